"""verify.transport: redirects within the origin, Retry-After, an event stream without a
response."""

from __future__ import annotations

from pmcp_action.http import HttpClientFactory
from tests.fakes.mcp_servers import (
    RunningServer,
    serve_mcp,
    serve_static,
)

from .helpers import FakeTime, run_verify


def test_redirect_within_origin_is_followed(
    http: HttpClientFactory, json_server: RunningServer
) -> None:
    # Starlette answers /mcp/ with 307 -> /mcp (a trailing-slash fix).
    result, logs = run_verify(http, json_server.url + "/")
    assert result.status == "true", result.detail
    assert any("redirects to" in line for line in logs)


def test_retry_after_is_honoured_for_429(http: HttpClientFactory) -> None:
    fake = FakeTime()
    with serve_mcp(json_response=True, fail_first=2, fail_status=429, retry_after="3") as server:
        result, logs = run_verify(http, server.url, fake=fake)
        statuses = [r.status for r in server.requests]
    assert result.status == "true", result.detail
    assert statuses[:3] == [429, 429, 200]
    assert len(fake.sleeps) == 2
    assert all(s >= 3 for s in fake.sleeps)
    assert "3 attempts" in result.detail
    assert sum("HTTP 429" in line for line in logs) == 2


def test_sse_stream_without_response(http: HttpClientFactory) -> None:
    fake = FakeTime()
    body = 'data: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n'
    with serve_static(body, content_type="text/event-stream") as server:
        result, _ = run_verify(http, server.url, timeout_seconds=3, fake=fake)
    assert result.status == "false"
    assert "ended without a JSON-RPC response to id 1" in result.detail
    assert "notifications/progress" in result.detail
