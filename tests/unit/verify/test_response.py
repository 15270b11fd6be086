"""verify.response: an unexpected body quoted precisely, on one line."""

from __future__ import annotations

from pmcp_action.http import HttpClientFactory
from pmcp_action.verify import (
    curl_command,
    initialize_payload,
)
from tests.fakes.mcp_servers import (
    serve_static,
)

from .helpers import FakeTime, run_verify


def test_garbage_html_is_reported_precisely(http: HttpClientFactory) -> None:
    fake = FakeTime()
    junk = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 500 + "</body></html>"
    with serve_static(junk, content_type="text/html; charset=utf-8") as server:
        result, _ = run_verify(http, server.url, timeout_seconds=10, fake=fake)
        attempts = len(server.requests)

    assert result.status == "false"
    assert attempts > 1  # protocol errors are retried until the deadline
    detail = result.detail
    assert f"Sent: POST {server.url} (JSON-RPC initialize)" in detail
    assert "HTTP 200, Content-Type text/html; charset=utf-8" in detail
    assert "<html><body><h1>502 Bad Gateway</h1>xxx" in detail
    assert "x" * 301 not in detail  # only the first ~300 bytes
    assert "expected Content-Type application/json or text/event-stream" in detail
    assert f"{attempts}× HTTP 200 text/html" in detail
    curl = [line for line in detail.splitlines() if line.startswith("Reproduce: ")][0]
    assert curl == "Reproduce: " + curl_command(server.url, initialize_payload(), token=False)
    assert curl.startswith(f"Reproduce: curl -sS -X POST {server.url} ")
    assert "-H 'Content-Type: application/json'" in curl
    assert "-H 'Accept: application/json, text/event-stream'" in curl
    assert '"method":"initialize"' in curl
