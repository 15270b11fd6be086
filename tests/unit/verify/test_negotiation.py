"""verify.negotiation: the newest era the server supports, else the handshake, as the
SDK client's ``mode="auto"`` negotiates it."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from pmcp_action.http import HttpClientFactory
from pmcp_action.verify import (
    LATEST_PROTOCOL_VERSION,
    STATELESS_PROTOCOL_VERSIONS,
    curl_command,
    initialize_payload,
)
from tests.fakes.mcp_servers import (
    DEFAULT_TOOLS,
    RecordedRequest,
    Reply,
    RunningServer,
    serve_handler,
    serve_mcp,
    serve_static,
    spec_handler,
)

from .helpers import FakeTime, assert_probe, run_verify, since


def _stateless(request: RecordedRequest) -> bool:
    return request.headers.get("mcp-protocol-version") in STATELESS_PROTOCOL_VERSIONS


_DISCOVER_HANDSHAKE_ONLY = {
    "jsonrpc": "2.0",
    "id": 1,
    "result": {"supportedVersions": ["2025-11-25"], "capabilities": {"tools": {}}},
}


_REFUSED_FOR_HANDSHAKE = {
    "jsonrpc": "2.0",
    "id": 1,
    "error": {
        "code": -32022,
        "message": "Unsupported protocol version",
        "data": {"supported": ["2025-06-18", "2025-11-25"], "requested": "2026-07-28"},
    },
}


def _sdk_client_listing(url: str) -> tuple[str, tuple[str, ...]]:
    """What the official SDK client (``Client(url)``, ``mode="auto"``) negotiates and lists."""
    import anyio
    from mcp.client import Client

    async def main() -> tuple[str, tuple[str, ...]]:
        async with Client(url) as client:
            names: list[str] = []
            cursor: str | None = None
            while True:
                page = await client.list_tools(cursor=cursor)
                names += [tool.name for tool in page.tools]
                cursor = page.next_cursor
                if not cursor:
                    return client.protocol_version, tuple(names)

    return anyio.run(main)


def test_older_revision_server_negotiates_down(http: HttpClientFactory) -> None:
    """A server that knows only the 2025-06-18 handshake and refuses other version headers."""
    fake = FakeTime()
    handler = spec_handler(protocol_version="2025-06-18", strict_version=True)
    with serve_handler(handler) as server:
        result, logs = run_verify(http, server.url, fake=fake)
        seen = list(server.requests)
    assert result.status == "true", result.detail
    assert result.protocol_version == "2025-06-18"
    assert (result.server_name, result.server_version) == ("spec-server", "0.0.1")
    assert result.tools == ("alpha", "beta")
    assert fake.sleeps == []  # falling back is immediate, not a retry
    assert [(r.rpc_method, r.status) for r in seen] == [
        ("server/discover", 400),
        ("initialize", 200),
        ("notifications/initialized", 202),
        ("tools/list", 200),
    ]
    assert_probe(seen[0])
    assert "mcp-protocol-version" not in seen[1].headers
    assert seen[3].headers["mcp-protocol-version"] == "2025-06-18"
    assert "initialize and tools/list OK (protocol 2025-06-18" in result.detail
    assert (
        "The 2026-07-28 probe (server/discover) got HTTP 400: JSON-RPC error -32600: "
        "Bad Request: Unsupported protocol version: 2026-07-28" in result.detail
    )
    assert any("using the initialize handshake" in line for line in logs)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((200, "text/html", "<html><h1>Welcome</h1></html>"), "HTTP 200 text/html"),
        ((200, "application/json", "{not json"), "not valid JSON"),
        (
            (200, "application/json", '{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}'),
            "lacks supportedVersions",
        ),
        ((200, "application/json", json.dumps(_DISCOVER_HANDSHAKE_ONLY)), "lists only 2025-11-25"),
        (
            (400, "application/json", json.dumps(_REFUSED_FOR_HANDSHAKE)),
            "the server supports 2025-06-18, 2025-11-25",
        ),
        ((500, "text/plain", "Internal Server Error"), "HTTP 500"),
        ((404, "text/html", "<h1>Not Found</h1>"), "HTTP 404"),
        ((405, "text/plain", ""), "HTTP 405"),
        ((202, "text/plain", ""), "202 Accepted"),
        (
            (200, "text/event-stream", 'data: {"jsonrpc":"2.0","method":"notifications/x"}\n\n'),
            "ended without a JSON-RPC response",
        ),
    ],
)
def test_probe_answered_with_garbage_falls_back(
    http: HttpClientFactory, answer: tuple[int, str, str], reason: str
) -> None:
    status, content_type, body = answer
    handshake = spec_handler()

    def handle(request: RecordedRequest) -> Reply:
        if _stateless(request):
            return status, {"Content-Type": content_type}, body
        return handshake(request)

    fake = FakeTime()
    with serve_handler(handle) as server:
        result, _ = run_verify(http, server.url, fake=fake)
        methods = [r.rpc_method for r in server.requests]
    assert result.status == "true", result.detail
    assert result.protocol_version == LATEST_PROTOCOL_VERSION
    assert result.tools == ("alpha", "beta")
    assert fake.sleeps == []
    assert methods == ["server/discover", "initialize", "notifications/initialized", "tools/list"]
    assert "The 2026-07-28 probe (server/discover) got " in result.detail
    assert reason in result.detail


def test_garbage_probe_then_a_failing_handshake_is_reported(http: HttpClientFactory) -> None:
    handshake = spec_handler(session_id="s-1")

    def handle(request: RecordedRequest) -> Reply:
        if _stateless(request):
            return 200, {"Content-Type": "text/html"}, "<html>loading</html>"
        if request.rpc_method == "tools/list":
            return 500, {"Content-Type": "text/plain"}, "Internal Server Error"
        return handshake(request)

    fake = FakeTime()
    with serve_handler(handle) as server:
        result, _ = run_verify(http, server.url, fake=fake, timeout_seconds=6)
        methods = [r.rpc_method for r in server.requests if r.method == "POST"]
    assert result.status == "false"
    assert sum(fake.sleeps) == pytest.approx(6.0)  # retried until the deadline, no longer
    # The probe's answer settled the era: later attempts go straight to initialize.
    assert methods.count("server/discover") == 1
    attempts = methods.count("initialize")
    assert attempts > 1
    detail = result.detail
    assert f"({attempts} attempts in 6.0 s)" in detail
    assert f"Sent: POST {server.url} (JSON-RPC tools/list)" in detail
    assert (
        f"Before it: POST {server.url} (JSON-RPC server/discover) at 2026-07-28 got "
        "HTTP 200 text/html: expected Content-Type application/json or text/event-stream "
        "(HTTP 200, Content-Type text/html, body (first 300 bytes): <html>loading</html>), "
        "so the initialize handshake was used." in detail
    )
    assert f"Failed requests: 1× HTTP 200 text/html, {attempts}× HTTP 500" in detail
    assert "Reproduce: " + curl_command(server.url, initialize_payload(), token=False) in detail
    assert "-H 'MCP-Protocol-Version: 2025-11-25'" in detail


def test_handshake_refusal_naming_2026_probes_again(
    http: HttpClientFactory, sse_server: RunningServer
) -> None:
    """The probe failed oddly, but initialize says the server speaks only 2026-07-28."""
    probes = 0

    def handle(request: RecordedRequest) -> Reply:
        nonlocal probes
        if request.rpc_method == "initialize":
            refusal = {
                "jsonrpc": "2.0",
                "id": request.json["id"],
                "error": {
                    "code": -32022,
                    "message": "Unsupported protocol version",
                    "data": {"supported": ["2026-07-28"], "requested": LATEST_PROTOCOL_VERSION},
                },
            }
            return 400, {"Content-Type": "application/json"}, json.dumps(refusal)
        if request.rpc_method == "server/discover":
            probes += 1
            if probes == 1:
                return 200, {"Content-Type": "text/html"}, "<html>warming up</html>"
        forwarded = {k: v for k, v in request.headers.items() if k.startswith(("mcp-", "accept"))}
        forwarded["content-type"] = "application/json"
        answer = httpx.post(sse_server.url, content=request.body, headers=forwarded)
        return answer.status_code, {"Content-Type": answer.headers["content-type"]}, answer.content

    fake = FakeTime()
    with serve_handler(handle) as server:
        result, logs = run_verify(http, server.url, fake=fake)
        methods = [r.rpc_method for r in server.requests]
    assert result.status == "true", result.detail
    assert result.protocol_version == "2026-07-28"
    assert result.tools == DEFAULT_TOOLS
    assert fake.sleeps == []
    assert methods == ["server/discover", "initialize", "server/discover", "tools/list"]
    assert any("probing 2026-07-28 again" in line for line in logs)


def test_probe_refused_at_a_newer_version_probes_at_the_servers(
    http: HttpClientFactory, sse_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A verifier that knows a newer revision than the server: the SDK's -32022 names its own."""
    from pmcp_action.verify import negotiation, session

    newer = ("2027-01-01", "2026-07-28")
    monkeypatch.setattr(negotiation, "STATELESS_PROTOCOL_VERSIONS", newer)
    monkeypatch.setattr(negotiation, "LATEST_STATELESS_VERSION", newer[0])
    monkeypatch.setattr(session, "STATELESS_PROTOCOL_VERSIONS", newer)
    start = len(sse_server.requests)
    result, _ = run_verify(http, sse_server.url)
    seen = since(sse_server, start)
    assert result.status == "true", result.detail
    assert result.protocol_version == "2026-07-28"
    assert [(r.rpc_method, r.headers["mcp-protocol-version"], r.status) for r in seen] == [
        ("server/discover", "2027-01-01", 400),
        ("server/discover", "2026-07-28", 200),
        ("tools/list", "2026-07-28", 200),
    ]


def test_server_of_unknown_versions_only_fails_at_once(http: HttpClientFactory) -> None:
    error = {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32022, "message": "no", "data": {"supported": ["2099-01-01"]}},
    }
    fake = FakeTime()
    with serve_static(json.dumps(error), status=400, content_type="application/json") as server:
        result, _ = run_verify(http, server.url, fake=fake)
        methods = [r.rpc_method for r in server.requests]
    assert result.status == "false"
    assert fake.sleeps == []
    assert methods == ["server/discover"]
    assert "(the server supports 2099-01-01); this verifier speaks none of them" in result.detail


@pytest.mark.slow
def test_probe_never_answered_fails_within_the_deadline(http: HttpClientFactory) -> None:
    def handle(request: RecordedRequest) -> Reply:
        time.sleep(4)
        return spec_handler()(request)

    with serve_handler(handle) as server:
        began = time.monotonic()
        result, _ = run_verify(http, server.url, timeout_seconds=2)
        took = time.monotonic() - began
    assert result.status == "false"
    assert took < 3.5
    assert f"Sent: POST {server.url} (JSON-RPC server/discover)" in result.detail
    assert "ReadTimeout" in result.detail
    assert "-H 'Mcp-Method: server/discover'" in result.detail


@pytest.mark.parametrize(
    "mode",
    [
        {},
        {"json_response": True},
        {"stateless": True},
        {"only": "2026-07-28"},
        {"only": "handshake"},
        {"only": "handshake", "json_response": True, "stateless": True},
    ],
    ids=["sse", "json", "stateless", "2026-only", "handshake", "handshake-stateless-json"],
)
def test_negotiates_what_the_sdk_client_negotiates(
    http: HttpClientFactory, mode: dict[str, Any]
) -> None:
    with serve_mcp(**mode) as server:
        ours, _ = run_verify(http, server.url)
        theirs = _sdk_client_listing(server.url)
    assert ours.status == "true", ours.detail
    assert (ours.protocol_version, ours.tools) == theirs
    expected = LATEST_PROTOCOL_VERSION if mode.get("only") == "handshake" else "2026-07-28"
    assert ours.protocol_version == expected


def test_stateless_only_server_is_named(http: HttpClientFactory) -> None:
    error = {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {
            "code": -32022,
            "message": "Unsupported protocol version",
            "data": {"supported": ["2026-07-28"], "requested": LATEST_PROTOCOL_VERSION},
        },
    }
    fake = FakeTime()
    with serve_static(json.dumps(error), status=400, content_type="application/json") as server:
        result, _ = run_verify(http, server.url, fake=fake)
    assert result.status == "false"
    assert fake.sleeps == []  # a clear answer: no point waiting for another
    assert "HTTP 400" in result.detail
    assert "JSON-RPC error -32022" in result.detail
    assert "stateless protocol era" in result.detail


def test_unsupported_version_error_in_a_200_is_final(http: HttpClientFactory) -> None:
    def handle(request: RecordedRequest) -> Reply:
        body = {
            "jsonrpc": "2.0",
            "id": request.json["id"],
            "error": {"code": -32022, "message": "no", "data": {"supported": ["2026-07-28"]}},
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    fake = FakeTime()
    with serve_handler(handle) as server:
        result, _ = run_verify(http, server.url, fake=fake)
    assert result.status == "false"
    assert fake.sleeps == []
    assert "stateless protocol era" in result.detail
