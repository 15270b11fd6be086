"""verify_server (the package's face): attempts until the deadline, with backoff; access
that is still settling; the token kept out of every detail and log; inputs it refuses.

Retry timing is driven by a fake clock and sleep wherever the test is about the schedule
rather than real waiting.
"""

from __future__ import annotations

import json
import time

import pytest

from pmcp_action.http import HttpClientFactory
from pmcp_action.verify import (
    LATEST_STATELESS_VERSION,
)
from tests.fakes.mcp_servers import (
    DEFAULT_TOOLS,
    RecordedRequest,
    Reply,
    RunningServer,
    serve_handler,
    serve_mcp,
    unused_port,
)

from .helpers import TOKEN, FakeTime, run_verify


def test_403_right_after_an_access_grant_is_not_yet(http: HttpClientFactory) -> None:
    # Cloud Run's front end answers 403 until a fresh allUsers binding has spread.
    fake = FakeTime()
    with serve_mcp(json_response=True, fail_first=3, fail_status=403) as server:
        result, logs = run_verify(
            http, server.url, fake=fake, access_settling="allUsers was just granted"
        )
        plain, _ = run_verify(http, server.url)  # the fake's 403s are used up: a clear answer
    assert result.status == "true", result.detail
    assert result.tools == DEFAULT_TOOLS
    assert len(fake.sleeps) == 3
    assert "HTTP 403, not yet (allUsers was just granted); retrying" in "\n".join(logs)
    assert plain.status == "true"


def test_without_a_grant_403_ends_verification_at_once(http: HttpClientFactory) -> None:
    with serve_mcp(json_response=True, fail_first=3, fail_status=403) as server:
        result, _ = run_verify(http, server.url, fake=FakeTime())
        assert len(server.requests) == 1
    assert result.status == "skipped" and result.protection == "protected"


def test_a_grant_that_never_takes_effect_is_named(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    fake = FakeTime()
    result, _ = run_verify(
        http,
        protected_server.url,
        fake=fake,
        timeout_seconds=20,
        access_settling="allUsers was just granted",
    )
    assert result.status == "skipped" and result.protection == "protected"
    assert "still answered HTTP 401 after 20 s, although allUsers was just granted" in (
        result.detail
    )
    assert fake.now - 1000.0 == pytest.approx(20, abs=0.01)


@pytest.mark.slow
def test_slow_start_within_deadline(http: HttpClientFactory) -> None:
    with serve_mcp(json_response=True, start_delay=2.0) as server:
        began = time.monotonic()
        result, logs = run_verify(http, server.url, timeout_seconds=15)
        took = time.monotonic() - began
    assert result.status == "true", result.detail
    assert result.tools == DEFAULT_TOOLS
    assert 1.5 < took < 10
    assert "attempts" in result.detail
    assert any("ConnectError" in line and "retrying" in line for line in logs)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried(http: HttpClientFactory, status: int) -> None:
    fake = FakeTime()
    with serve_mcp(json_response=True, fail_first=1, fail_status=status) as server:
        result, _ = run_verify(http, server.url, fake=fake)
        methods = [r.rpc_method for r in server.requests]
    assert result.status == "true", result.detail
    assert len(fake.sleeps) == 1
    # An outage says nothing about the era: the probe is retried, not given up.
    assert result.protocol_version == LATEST_STATELESS_VERSION
    assert methods == ["server/discover", "server/discover", "tools/list"]


@pytest.mark.slow
def test_down_server_fails_after_the_deadline(http: HttpClientFactory) -> None:
    url = f"http://127.0.0.1:{unused_port()}/mcp"
    began = time.monotonic()
    result, _ = run_verify(http, url, timeout_seconds=2)
    took = time.monotonic() - began

    assert result.status == "false"
    assert 1.9 <= took < 6
    assert "within 2 s" in result.detail
    assert "ConnectError" in result.detail
    # The first request is now the 2026-07-28 probe; nothing answered it.
    assert f"Sent: POST {url} (JSON-RPC server/discover)" in result.detail
    assert "Reproduce: curl -sS -X POST" in result.detail
    assert "-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: server/discover'" in result.detail


def test_down_server_backoff_schedule(http: HttpClientFactory) -> None:
    fake = FakeTime()
    url = f"http://127.0.0.1:{unused_port()}/mcp"
    result, _ = run_verify(http, url, fake=fake, timeout_seconds=120)

    assert result.status == "false"
    assert 0.8 <= fake.sleeps[0] <= 1.0
    assert max(fake.sleeps) <= 10.0
    assert sum(fake.sleeps) == pytest.approx(120.0)
    assert f"{len(fake.sleeps) + 1}× ConnectError" in result.detail


def test_token_never_appears_in_detail_or_log(http: HttpClientFactory) -> None:
    def echo_headers(request: RecordedRequest) -> Reply:
        # A misconfigured proxy that reflects the request headers into an error page.
        return 502, {"Content-Type": "text/html"}, f"<pre>{json.dumps(request.headers)}</pre>"

    fake = FakeTime()
    with serve_handler(echo_headers) as server:
        result, logs = run_verify(
            http, server.url, bearer_token=TOKEN, timeout_seconds=3, fake=fake
        )
        sent = [r.headers.get("authorization") for r in server.requests]

    assert sent and all(value == f"Bearer {TOKEN}" for value in sent)
    assert result.status == "false"
    assert "HTTP 502" in result.detail
    assert "***" in result.detail  # the reflected header, scrubbed
    assert TOKEN not in result.detail
    assert not any(TOKEN in line for line in logs)
    assert '-H "Authorization: Bearer $TOKEN"' in result.detail


def test_insecure_url_is_refused_without_a_request(http: HttpClientFactory) -> None:
    result, _ = run_verify(http, "http://mcp.example.com/mcp")
    assert result.status == "false"
    assert "plain http://" in result.detail


def test_nonpositive_timeout_is_a_programming_error(http: HttpClientFactory) -> None:
    with pytest.raises(ValueError, match="timeout_seconds"):
        run_verify(http, "http://127.0.0.1:1/mcp", timeout_seconds=0)
