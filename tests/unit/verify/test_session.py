"""verify.session: both eras' conversations against the official SDK's servers (the
2026-07-28 single exchange, the handshake with its session id), tools/list pages and the
tools capability.

``serve_mcp(only="handshake")`` is the same SDK server as one of the handshake era would
answer (it has no 2026-07-28 entry), which is where the verifier falls back to
``initialize``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from pmcp_action.http import HttpClientFactory
from pmcp_action.verify import (
    CLIENT_CAPABILITIES,
    LATEST_PROTOCOL_VERSION,
    LATEST_STATELESS_VERSION,
    initialize_payload,
)
from tests.fakes.mcp_servers import (
    DEFAULT_TOOLS,
    RecordedRequest,
    Reply,
    RunningServer,
    serve_gated_mcp,
    serve_handler,
    serve_mcp,
    serve_paged_mcp,
    spec_handler,
)

from .helpers import FakeTime, assert_envelope, assert_probe, run_verify, since


@pytest.fixture(scope="module")
def handshake_sse_server() -> Iterator[RunningServer]:
    with serve_mcp(only="handshake") as server:
        yield server


@pytest.fixture(scope="module")
def handshake_json_server() -> Iterator[RunningServer]:
    with serve_mcp(json_response=True, only="handshake") as server:
        yield server


def _assert_single_exchange(seen: list[RecordedRequest], pages: int = 1) -> None:
    """server/discover, then tools/list page by page: no initialize, session or DELETE."""
    assert [(r.method, r.rpc_method) for r in seen] == [("POST", "server/discover")] + [
        ("POST", "tools/list")
    ] * pages
    assert_probe(seen[0])
    for request in seen[1:]:
        assert_envelope(request, "tools/list")
    for request in seen:
        assert request.status == 200
        assert "mcp-session-id" not in request.response_headers


@pytest.mark.parametrize("fixture", ["sse_server", "json_server"])
def test_2026_single_exchange(
    http: HttpClientFactory, fixture: str, request: pytest.FixtureRequest
) -> None:
    server: RunningServer = request.getfixturevalue(fixture)
    start = len(server.requests)
    result, logs = run_verify(http, server.url)

    assert result.status == "true", result.detail
    assert result.protocol_version == LATEST_STATELESS_VERSION == "2026-07-28"
    assert (result.server_name, result.server_version) == ("fake-mcp", "1.2.3")
    assert result.tools == DEFAULT_TOOLS
    assert result.tool_count == "3"
    assert "fake-mcp 1.2.3 at " in result.detail
    assert "server/discover and tools/list OK (protocol 2026-07-28, 3 tools; 1 attempt" in (
        result.detail
    )
    assert "probe" not in result.detail
    seen = since(server, start)
    _assert_single_exchange(seen)
    # The SDK answers a quick request as JSON even in SSE mode.
    assert all(r.response_headers["content-type"] == "application/json" for r in seen)
    assert any("server/discover OK: fake-mcp 1.2.3 (protocol 2026-07-28" in line for line in logs)


def test_2026_stateless_http_server(http: HttpClientFactory) -> None:
    with serve_mcp(stateless=True, tools=("only",)) as server:
        result, _ = run_verify(http, server.url)
        seen = list(server.requests)
    assert result.status == "true", result.detail
    assert result.protocol_version == "2026-07-28"
    assert result.tools == ("only",)
    _assert_single_exchange(seen)


def test_2026_event_stream_answers_and_pagination(http: HttpClientFactory) -> None:
    with serve_paged_mcp(tool_count=7, page_size=3, json_response=False, notify=True) as server:
        result, _ = run_verify(http, server.url)
        seen = list(server.requests)
    assert result.status == "true", result.detail
    assert result.protocol_version == "2026-07-28"
    assert (result.server_name, result.server_version) == ("paged-mcp", "0.9.0")
    assert result.tools == tuple(f"tool-{i:02d}" for i in range(7))
    _assert_single_exchange(seen, pages=3)
    assert [r.json["params"].get("cursor") for r in seen[1:]] == [None, "3", "6"]
    # Each page came as an event stream: the notification first, then the response.
    for page in seen[1:]:
        assert page.response_headers["content-type"].startswith("text/event-stream")


def test_2026_only_server(http: HttpClientFactory) -> None:
    with serve_mcp(json_response=True, only="2026-07-28") as server:
        result, _ = run_verify(http, server.url)
        seen = list(server.requests)
        refused = httpx.post(
            server.url,
            json=initialize_payload(),
            headers={"Accept": "application/json, text/event-stream"},
        )
    assert result.status == "true", result.detail
    assert result.protocol_version == "2026-07-28"
    assert result.tools == DEFAULT_TOOLS
    _assert_single_exchange(seen)
    # The fake is what it says: no handshake.
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == -32022


def test_sse_stateful_server_session_id_echoed(
    http: HttpClientFactory, handshake_sse_server: RunningServer
) -> None:
    sse_server = handshake_sse_server
    start = len(sse_server.requests)
    result, logs = run_verify(http, sse_server.url, timeout_seconds=15)

    assert result.status == "true", result.detail
    assert result.url == sse_server.url
    assert (result.server_name, result.server_version) == ("fake-mcp", "1.2.3")
    assert result.protocol_version == LATEST_PROTOCOL_VERSION
    assert result.tools == DEFAULT_TOOLS
    assert result.tool_count == "3"
    assert result.protection == ""
    assert "initialize and tools/list OK" in result.detail

    probe, *seen = since(sse_server, start)
    assert_probe(probe)
    assert probe.status == 400  # the handshake era's "Missing session ID"
    assert [(r.method, r.rpc_method) for r in seen] == [
        ("POST", "initialize"),
        ("POST", "notifications/initialized"),
        ("POST", "tools/list"),
        ("DELETE", ""),
    ]
    init, notified, listed, deleted = seen
    assert init.response_headers["content-type"].startswith("text/event-stream")
    assert listed.response_headers["content-type"].startswith("text/event-stream")
    session = init.response_headers["mcp-session-id"]
    assert session
    for later in (notified, listed, deleted):
        assert later.headers["mcp-session-id"] == session
        assert later.headers["mcp-protocol-version"] == LATEST_PROTOCOL_VERSION
        assert later.status < 300
    assert "mcp-session-id" not in init.headers
    assert "mcp-protocol-version" not in init.headers
    for request in (init, notified, listed):
        assert request.headers["accept"] == "application/json, text/event-stream"
        assert request.headers["content-type"] == "application/json"
        assert "authorization" not in request.headers
    assert init.json["params"]["protocolVersion"] == LATEST_PROTOCOL_VERSION
    assert init.json["params"]["capabilities"] == CLIENT_CAPABILITIES == {}
    assert notified.status == 202
    assert any("initialize OK" in line for line in logs)
    assert any("using the initialize handshake" in line for line in logs)
    assert "The 2026-07-28 probe (server/discover) got HTTP 400" in result.detail


def test_json_response_server(
    http: HttpClientFactory, handshake_json_server: RunningServer
) -> None:
    json_server = handshake_json_server
    start = len(json_server.requests)
    result, _ = run_verify(http, json_server.url)

    assert result.status == "true", result.detail
    assert result.tools == DEFAULT_TOOLS
    assert result.protocol_version == LATEST_PROTOCOL_VERSION
    probe, init, _notified, listed, _deleted = since(json_server, start)
    assert_probe(probe)
    assert init.response_headers["content-type"] == "application/json"
    assert listed.response_headers["content-type"] == "application/json"
    assert listed.headers["mcp-session-id"] == init.response_headers["mcp-session-id"]


def test_stateless_server_without_session(http: HttpClientFactory) -> None:
    with serve_mcp(json_response=True, stateless=True, tools=("only",), only="handshake") as server:
        result, _ = run_verify(http, server.url)
        probe, *seen = list(server.requests)

    assert result.status == "true", result.detail
    assert result.tools == ("only",)
    assert result.protocol_version == LATEST_PROTOCOL_VERSION
    assert_probe(probe)
    assert "Method not found" in result.detail  # how the stateless handshake era refuses it
    assert [r.rpc_method for r in seen] == ["initialize", "notifications/initialized", "tools/list"]
    assert all("mcp-session-id" not in r.headers for r in [probe, *seen])


def test_tools_list_pagination_is_followed(http: HttpClientFactory) -> None:
    with serve_paged_mcp(tool_count=7, page_size=3) as server:
        result, _ = run_verify(http, server.url)
        listed = server.rpc("tools/list")

    assert result.status == "true", result.detail
    assert result.tools == tuple(f"tool-{i:02d}" for i in range(7))
    assert [r.json["params"].get("cursor") for r in listed] == [None, "3", "6"]
    assert result.server_name == "paged-mcp"


def test_pagination_over_sse_from_a_spec_fake(http: HttpClientFactory) -> None:
    pages = (("a", "b"), ("c",), ("d", "e"))
    with serve_handler(spec_handler(pages=pages, sse=True)) as server:
        result, _ = run_verify(http, server.url)
    assert result.status == "true", result.detail
    assert result.tools == ("a", "b", "c", "d", "e")


@pytest.mark.parametrize("only", ["", "handshake"])
def test_tools_for_sampling_clients_are_not_counted(http: HttpClientFactory, only: str) -> None:
    """This verifier declares no capabilities, so it sees what such a client sees."""
    with serve_gated_mcp(only=only) as server:
        result, _ = run_verify(http, server.url)
    assert result.status == "true", result.detail
    assert result.protocol_version == ("2026-07-28" if not only else LATEST_PROTOCOL_VERSION)
    assert result.tools == ("plain",)
    assert result.tool_count == "1"


def test_no_tools_capability_means_no_tools_list(http: HttpClientFactory) -> None:
    with serve_handler(spec_handler(capabilities={})) as server:
        result, _ = run_verify(http, server.url)
        methods = [r.rpc_method for r in server.requests]
        missing, _ = run_verify(http, server.url, required_tools=("alpha",))
    assert result.status == "true", result.detail
    assert result.tools == ()
    assert "tools/list" not in methods
    assert "no tools capability" in result.detail
    assert missing.status == "false"
    assert "alpha" in missing.detail


def test_repeating_cursor_is_a_protocol_error(http: HttpClientFactory) -> None:
    def handle(request: RecordedRequest) -> Reply:
        if request.rpc_method == "tools/list":
            body = {
                "jsonrpc": "2.0",
                "id": request.json["id"],
                "result": {"tools": [{"name": "loop"}], "nextCursor": "same"},
            }
            return 200, {"Content-Type": "application/json"}, json.dumps(body)
        return spec_handler()(request)

    fake = FakeTime()
    with serve_handler(handle) as server:
        result, _ = run_verify(http, server.url, timeout_seconds=2, fake=fake)
    assert result.status == "false"
    assert "repeats an earlier one" in result.detail
