"""verify_server against real MCP servers (the official SDK) and misbehaving peers.

Everything listens on 127.0.0.1. Retry timing is driven by a fake clock and
sleep wherever the test is about the schedule rather than real waiting.

The SDK's servers serve both protocol eras at one endpoint, so the verifier
speaks 2026-07-28 to them; ``serve_mcp(only="handshake")`` is the same SDK
server as one of the handshake era would answer (it has no 2026-07-28 entry),
which is where the verifier falls back to ``initialize``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pmcp_action.http import HttpClientFactory
from pmcp_action.verify import (
    CLIENT_CAPABILITIES,
    LATEST_PROTOCOL_VERSION,
    LATEST_STATELESS_VERSION,
    STATELESS_PROTOCOL_VERSIONS,
    SUPPORTED_PROTOCOL_VERSIONS,
    VerifyOptions,
    curl_command,
    discover_payload,
    initialize_payload,
    verify_server,
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
    serve_static,
    spec_handler,
    unused_port,
)

TOKEN = "tok-3f9a1c7e5b2d4a60"


class FakeTime:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def _never_sleep(seconds: float) -> None:
    raise AssertionError(f"the HTTP factory's own retry slept {seconds} s")


@pytest.fixture
def http() -> HttpClientFactory:
    # The factory's own retry policy (5 attempts) must not be used by verify.
    return HttpClientFactory(sleep=_never_sleep)


@pytest.fixture(scope="module")
def sse_server() -> Iterator[RunningServer]:
    with serve_mcp() as server:
        yield server


@pytest.fixture(scope="module")
def json_server() -> Iterator[RunningServer]:
    with serve_mcp(json_response=True) as server:
        yield server


@pytest.fixture(scope="module")
def handshake_sse_server() -> Iterator[RunningServer]:
    with serve_mcp(only="handshake") as server:
        yield server


@pytest.fixture(scope="module")
def handshake_json_server() -> Iterator[RunningServer]:
    with serve_mcp(json_response=True, only="handshake") as server:
        yield server


@pytest.fixture(scope="module")
def protected_server() -> Iterator[RunningServer]:
    with serve_mcp(token=TOKEN, json_response=True) as server:
        yield server


def _verify(http: HttpClientFactory, url: str, **options: Any) -> Any:
    logs: list[str] = []
    options.setdefault("timeout_seconds", 15)  # never wait the real 120 s by accident
    fake: FakeTime | None = options.pop("fake", None)
    kwargs: dict[str, Any] = {"http": http, "log": logs.append}
    if fake is not None:
        kwargs.update(sleep=fake.sleep, clock=fake.clock)
    result = verify_server(VerifyOptions(url, **options), **kwargs)
    return result, logs


def _since(server: RunningServer, start: int) -> list[RecordedRequest]:
    return list(server.requests)[start:]


def _assert_envelope(request: RecordedRequest, method: str) -> None:
    """A 2026-07-28 request: its version and method in headers and in the ``_meta`` envelope."""
    assert request.method == "POST"
    assert request.rpc_method == method
    assert request.headers["mcp-protocol-version"] == LATEST_STATELESS_VERSION
    assert request.headers["mcp-method"] == method
    assert request.headers["accept"] == "application/json, text/event-stream"
    assert request.headers["content-type"] == "application/json"
    assert "mcp-session-id" not in request.headers
    meta = request.json["params"]["_meta"]
    assert meta["io.modelcontextprotocol/protocolVersion"] == LATEST_STATELESS_VERSION
    assert meta["io.modelcontextprotocol/clientCapabilities"] == {}
    assert meta["io.modelcontextprotocol/clientInfo"]["name"] == "pmcp-deploy-action"


def _assert_probe(request: RecordedRequest) -> None:
    _assert_envelope(request, "server/discover")
    assert request.json == discover_payload()


# --- protocol versions -----------------------------------------------------------


def test_protocol_versions_match_the_installed_sdk() -> None:
    from mcp_types.version import (
        HANDSHAKE_PROTOCOL_VERSIONS,
        LATEST_HANDSHAKE_VERSION,
        MODERN_PROTOCOL_VERSIONS,
    )

    assert SUPPORTED_PROTOCOL_VERSIONS == tuple(reversed(HANDSHAKE_PROTOCOL_VERSIONS))
    assert LATEST_PROTOCOL_VERSION == LATEST_HANDSHAKE_VERSION
    assert STATELESS_PROTOCOL_VERSIONS == MODERN_PROTOCOL_VERSIONS
    assert initialize_payload()["params"]["protocolVersion"] == LATEST_PROTOCOL_VERSION


def test_stateless_envelope_matches_the_installed_sdk() -> None:
    import mcp_types
    from mcp.client.session import DISCOVER_TIMEOUT_SECONDS
    from mcp_types.version import LATEST_MODERN_VERSION

    from pmcp_action.verify import protocol
    from pmcp_action.verify.session import PROBE_TIMEOUT

    assert LATEST_STATELESS_VERSION == LATEST_MODERN_VERSION
    assert protocol.PROTOCOL_VERSION_META_KEY == mcp_types.PROTOCOL_VERSION_META_KEY
    assert protocol.CLIENT_INFO_META_KEY == mcp_types.CLIENT_INFO_META_KEY
    assert protocol.CLIENT_CAPABILITIES_META_KEY == mcp_types.CLIENT_CAPABILITIES_META_KEY
    assert protocol.SERVER_INFO_META_KEY == mcp_types.SERVER_INFO_META_KEY
    assert protocol.UNSUPPORTED_PROTOCOL_VERSION == mcp_types.UNSUPPORTED_PROTOCOL_VERSION
    assert PROBE_TIMEOUT == DISCOVER_TIMEOUT_SECONDS
    # The probe is a request the SDK itself accepts as a 2026-07-28 discover.
    mcp_types.DiscoverRequest.model_validate(discover_payload())


# --- the 2026-07-28 single exchange against the SDK's servers ----------------------


def _assert_single_exchange(seen: list[RecordedRequest], pages: int = 1) -> None:
    """server/discover, then tools/list page by page: no initialize, session or DELETE."""
    assert [(r.method, r.rpc_method) for r in seen] == [("POST", "server/discover")] + [
        ("POST", "tools/list")
    ] * pages
    _assert_probe(seen[0])
    for request in seen[1:]:
        _assert_envelope(request, "tools/list")
    for request in seen:
        assert request.status == 200
        assert "mcp-session-id" not in request.response_headers


@pytest.mark.parametrize("fixture", ["sse_server", "json_server"])
def test_2026_single_exchange(
    http: HttpClientFactory, fixture: str, request: pytest.FixtureRequest
) -> None:
    server: RunningServer = request.getfixturevalue(fixture)
    start = len(server.requests)
    result, logs = _verify(http, server.url)

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
    seen = _since(server, start)
    _assert_single_exchange(seen)
    # The SDK answers a quick request as JSON even in SSE mode.
    assert all(r.response_headers["content-type"] == "application/json" for r in seen)
    assert any("server/discover OK: fake-mcp 1.2.3 (protocol 2026-07-28" in line for line in logs)


def test_2026_stateless_http_server(http: HttpClientFactory) -> None:
    with serve_mcp(stateless=True, tools=("only",)) as server:
        result, _ = _verify(http, server.url)
        seen = list(server.requests)
    assert result.status == "true", result.detail
    assert result.protocol_version == "2026-07-28"
    assert result.tools == ("only",)
    _assert_single_exchange(seen)


def test_2026_event_stream_answers_and_pagination(http: HttpClientFactory) -> None:
    with serve_paged_mcp(tool_count=7, page_size=3, json_response=False, notify=True) as server:
        result, _ = _verify(http, server.url)
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
        result, _ = _verify(http, server.url)
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


def test_2026_failure_after_discover_gives_stateless_curl_lines(
    http: HttpClientFactory, sse_server: RunningServer
) -> None:
    def handle(request: RecordedRequest) -> Reply:
        if request.rpc_method == "tools/list":
            return 500, {"Content-Type": "text/plain"}, "Internal Server Error"
        forwarded = {k: v for k, v in request.headers.items() if k.startswith(("mcp-", "accept"))}
        forwarded["content-type"] = "application/json"
        answer = httpx.post(sse_server.url, content=request.body, headers=forwarded)
        return answer.status_code, {"Content-Type": answer.headers["content-type"]}, answer.content

    fake = FakeTime()
    with serve_handler(handle) as server:
        result, _ = _verify(http, server.url, timeout_seconds=4, fake=fake)
        methods = [r.rpc_method for r in server.requests]
    assert result.status == "false"
    assert set(methods) == {"server/discover", "tools/list"}  # no fallback once discover worked
    detail = result.detail
    assert f"Sent: POST {server.url} (JSON-RPC tools/list)" in detail
    assert "HTTP 500, Content-Type text/plain" in detail
    lines = detail.splitlines()
    reproduce = [line for line in lines if line.startswith("Reproduce: ")][0]
    routing = ("-H 'MCP-Protocol-Version: 2026-07-28'", "-H 'Mcp-Method: server/discover'")
    assert reproduce == "Reproduce: " + curl_command(
        server.url, discover_payload(), token=False, extra_headers=routing
    )
    then = [line for line in lines if line.startswith("then ")][0]
    assert "-H 'Mcp-Method: tools/list'" in then
    assert '"method":"tools/list"' in then
    assert "io.modelcontextprotocol/protocolVersion" in then
    assert "Mcp-Session-Id" not in detail


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_line_reproduces_discover(http: HttpClientFactory, sse_server: RunningServer) -> None:
    # The curl line of a failed probe (a server still starting), run against a working server.
    fake = FakeTime()
    with serve_handler(lambda _r: (503, {"Content-Type": "text/plain"}, "starting")) as cold:
        cold_result, _ = _verify(http, cold.url, timeout_seconds=1, fake=fake)
    line = [x for x in cold_result.detail.splitlines() if x.startswith("Reproduce: ")][0]
    command = line.removeprefix("Reproduce: ").replace(cold.url, sse_server.url)
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 0, done.stderr
    assert '"supportedVersions":["2026-07-28"]' in done.stdout
    assert '"io.modelcontextprotocol/serverInfo":{"name":"fake-mcp"' in done.stdout


# --- success against the SDK's servers --------------------------------------------


def test_sse_stateful_server_session_id_echoed(
    http: HttpClientFactory, handshake_sse_server: RunningServer
) -> None:
    sse_server = handshake_sse_server
    start = len(sse_server.requests)
    result, logs = _verify(http, sse_server.url, timeout_seconds=15)

    assert result.status == "true", result.detail
    assert result.url == sse_server.url
    assert (result.server_name, result.server_version) == ("fake-mcp", "1.2.3")
    assert result.protocol_version == LATEST_PROTOCOL_VERSION
    assert result.tools == DEFAULT_TOOLS
    assert result.tool_count == "3"
    assert result.protection == ""
    assert "initialize and tools/list OK" in result.detail

    probe, *seen = _since(sse_server, start)
    _assert_probe(probe)
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
    result, _ = _verify(http, json_server.url)

    assert result.status == "true", result.detail
    assert result.tools == DEFAULT_TOOLS
    assert result.protocol_version == LATEST_PROTOCOL_VERSION
    probe, init, _notified, listed, _deleted = _since(json_server, start)
    _assert_probe(probe)
    assert init.response_headers["content-type"] == "application/json"
    assert listed.response_headers["content-type"] == "application/json"
    assert listed.headers["mcp-session-id"] == init.response_headers["mcp-session-id"]


def test_stateless_server_without_session(http: HttpClientFactory) -> None:
    with serve_mcp(json_response=True, stateless=True, tools=("only",), only="handshake") as server:
        result, _ = _verify(http, server.url)
        probe, *seen = list(server.requests)

    assert result.status == "true", result.detail
    assert result.tools == ("only",)
    assert result.protocol_version == LATEST_PROTOCOL_VERSION
    _assert_probe(probe)
    assert "Method not found" in result.detail  # how the stateless handshake era refuses it
    assert [r.rpc_method for r in seen] == ["initialize", "notifications/initialized", "tools/list"]
    assert all("mcp-session-id" not in r.headers for r in [probe, *seen])


def test_tools_list_pagination_is_followed(http: HttpClientFactory) -> None:
    with serve_paged_mcp(tool_count=7, page_size=3) as server:
        result, _ = _verify(http, server.url)
        listed = server.rpc("tools/list")

    assert result.status == "true", result.detail
    assert result.tools == tuple(f"tool-{i:02d}" for i in range(7))
    assert [r.json["params"].get("cursor") for r in listed] == [None, "3", "6"]
    assert result.server_name == "paged-mcp"


def test_pagination_over_sse_from_a_spec_fake(http: HttpClientFactory) -> None:
    pages = (("a", "b"), ("c",), ("d", "e"))
    with serve_handler(spec_handler(pages=pages, sse=True)) as server:
        result, _ = _verify(http, server.url)
    assert result.status == "true", result.detail
    assert result.tools == ("a", "b", "c", "d", "e")


def test_redirect_within_origin_is_followed(
    http: HttpClientFactory, json_server: RunningServer
) -> None:
    # Starlette answers /mcp/ with 307 -> /mcp (a trailing-slash fix).
    result, logs = _verify(http, json_server.url + "/")
    assert result.status == "true", result.detail
    assert any("redirects to" in line for line in logs)


def test_older_protocol_version_is_accepted(http: HttpClientFactory) -> None:
    with serve_handler(spec_handler(protocol_version="2024-11-05")) as server:
        result, _ = _verify(http, server.url)
        listed = server.rpc("tools/list")
    assert result.status == "true", result.detail
    assert result.protocol_version == "2024-11-05"
    assert listed[0].headers["mcp-protocol-version"] == "2024-11-05"


# --- negotiation: the newest era the server supports, else the handshake -----------


def _stateless(request: RecordedRequest) -> bool:
    return request.headers.get("mcp-protocol-version") in STATELESS_PROTOCOL_VERSIONS


def test_older_revision_server_negotiates_down(http: HttpClientFactory) -> None:
    """A server that knows only the 2025-06-18 handshake and refuses other version headers."""
    fake = FakeTime()
    handler = spec_handler(protocol_version="2025-06-18", strict_version=True)
    with serve_handler(handler) as server:
        result, logs = _verify(http, server.url, fake=fake)
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
    _assert_probe(seen[0])
    assert "mcp-protocol-version" not in seen[1].headers
    assert seen[3].headers["mcp-protocol-version"] == "2025-06-18"
    assert "initialize and tools/list OK (protocol 2025-06-18" in result.detail
    assert (
        "The 2026-07-28 probe (server/discover) got HTTP 400: JSON-RPC error -32600: "
        "Bad Request: Unsupported protocol version: 2026-07-28" in result.detail
    )
    assert any("using the initialize handshake" in line for line in logs)


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
        result, _ = _verify(http, server.url, fake=fake)
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
        result, _ = _verify(http, server.url, fake=fake, timeout_seconds=6)
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
        result, logs = _verify(http, server.url, fake=fake)
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
    result, _ = _verify(http, sse_server.url)
    seen = _since(sse_server, start)
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
        result, _ = _verify(http, server.url, fake=fake)
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
        result, _ = _verify(http, server.url, timeout_seconds=2)
        took = time.monotonic() - began
    assert result.status == "false"
    assert took < 3.5
    assert f"Sent: POST {server.url} (JSON-RPC server/discover)" in result.detail
    assert "ReadTimeout" in result.detail
    assert "-H 'Mcp-Method: server/discover'" in result.detail


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
        ours, _ = _verify(http, server.url)
        theirs = _sdk_client_listing(server.url)
    assert ours.status == "true", ours.detail
    assert (ours.protocol_version, ours.tools) == theirs
    expected = LATEST_PROTOCOL_VERSION if mode.get("only") == "handshake" else "2026-07-28"
    assert ours.protocol_version == expected


@pytest.mark.parametrize("only", ["", "handshake"])
def test_tools_for_sampling_clients_are_not_counted(http: HttpClientFactory, only: str) -> None:
    """This verifier declares no capabilities, so it sees what such a client sees."""
    with serve_gated_mcp(only=only) as server:
        result, _ = _verify(http, server.url)
    assert result.status == "true", result.detail
    assert result.protocol_version == ("2026-07-28" if not only else LATEST_PROTOCOL_VERSION)
    assert result.tools == ("plain",)
    assert result.tool_count == "1"


# --- required tools ------------------------------------------------------------------


def test_required_tools_present(http: HttpClientFactory, json_server: RunningServer) -> None:
    result, _ = _verify(http, json_server.url, required_tools=("add", "echo"))
    assert result.status == "true", result.detail


def test_required_tools_missing(http: HttpClientFactory, json_server: RunningServer) -> None:
    result, _ = _verify(http, json_server.url, required_tools=("echo", "deploy", "rollback"))
    assert result.status == "false"
    assert result.tools == DEFAULT_TOOLS  # what the server did list is still reported
    assert result.tool_count == ""
    assert "deploy, rollback" in result.detail
    assert "echo, add, get_time" in result.detail


def test_no_tools_capability_means_no_tools_list(http: HttpClientFactory) -> None:
    with serve_handler(spec_handler(capabilities={})) as server:
        result, _ = _verify(http, server.url)
        methods = [r.rpc_method for r in server.requests]
        missing, _ = _verify(http, server.url, required_tools=("alpha",))
    assert result.status == "true", result.detail
    assert result.tools == ()
    assert "tools/list" not in methods
    assert "no tools capability" in result.detail
    assert missing.status == "false"
    assert "alpha" in missing.detail


# --- OAuth-protected servers -----------------------------------------------------------


def test_protected_without_token_is_skipped(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    start = len(protected_server.requests)
    result, _ = _verify(http, protected_server.url)

    assert result.status == "skipped"
    assert result.protection == "protected"
    assert result.tools == ()
    metadata = f"http://127.0.0.1:{protected_server.port}/.well-known/oauth-protected-resource/mcp"
    assert metadata in result.detail
    assert "HTTP 401" in result.detail
    assert len(_since(protected_server, start)) == 1  # no retrying a clear answer


def test_protected_with_token_is_verified(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    start = len(protected_server.requests)
    result, logs = _verify(http, protected_server.url, bearer_token=TOKEN)

    assert result.status == "true", result.detail
    assert result.tools == DEFAULT_TOOLS
    assert result.protection == ""
    seen = _since(protected_server, start)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in seen)
    assert TOKEN not in result.detail
    assert not any(TOKEN in line for line in logs)


def test_protected_in_strict_mode_fails(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    result, _ = _verify(http, protected_server.url, strict=True)
    assert result.status == "false"
    assert result.protection == "protected"
    assert "strict" in result.detail


def test_protected_with_rejected_token(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    result, logs = _verify(http, protected_server.url, bearer_token="wrong-" + TOKEN)
    assert result.status == "skipped"
    assert result.protection == "protected"
    assert "rejected the verify-bearer-token" in result.detail
    assert "invalid_token" in result.detail
    assert TOKEN not in result.detail
    strict, _ = _verify(http, protected_server.url, bearer_token="wrong-" + TOKEN, strict=True)
    assert strict.status == "false"


def test_403_right_after_an_access_grant_is_not_yet(http: HttpClientFactory) -> None:
    # Cloud Run's front end answers 403 until a fresh allUsers binding has spread.
    fake = FakeTime()
    with serve_mcp(json_response=True, fail_first=3, fail_status=403) as server:
        result, logs = _verify(
            http, server.url, fake=fake, access_settling="allUsers was just granted"
        )
        plain, _ = _verify(http, server.url)  # the fake's 403s are used up: a clear answer
    assert result.status == "true", result.detail
    assert result.tools == DEFAULT_TOOLS
    assert len(fake.sleeps) == 3
    assert "HTTP 403, not yet (allUsers was just granted); retrying" in "\n".join(logs)
    assert plain.status == "true"


def test_without_a_grant_403_ends_verification_at_once(http: HttpClientFactory) -> None:
    with serve_mcp(json_response=True, fail_first=3, fail_status=403) as server:
        result, _ = _verify(http, server.url, fake=FakeTime())
        assert len(server.requests) == 1
    assert result.status == "skipped" and result.protection == "protected"


def test_a_grant_that_never_takes_effect_is_named(
    http: HttpClientFactory, protected_server: RunningServer
) -> None:
    fake = FakeTime()
    result, _ = _verify(
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


# --- cold starts and retries ----------------------------------------------------------


@pytest.mark.slow
def test_slow_start_within_deadline(http: HttpClientFactory) -> None:
    with serve_mcp(json_response=True, start_delay=2.0) as server:
        began = time.monotonic()
        result, logs = _verify(http, server.url, timeout_seconds=15)
        took = time.monotonic() - began
    assert result.status == "true", result.detail
    assert result.tools == DEFAULT_TOOLS
    assert 1.5 < took < 10
    assert "attempts" in result.detail
    assert any("ConnectError" in line and "retrying" in line for line in logs)


def test_retry_after_is_honoured_for_429(http: HttpClientFactory) -> None:
    fake = FakeTime()
    with serve_mcp(json_response=True, fail_first=2, fail_status=429, retry_after="3") as server:
        result, logs = _verify(http, server.url, fake=fake)
        statuses = [r.status for r in server.requests]
    assert result.status == "true", result.detail
    assert statuses[:3] == [429, 429, 200]
    assert len(fake.sleeps) == 2
    assert all(s >= 3 for s in fake.sleeps)
    assert "3 attempts" in result.detail
    assert sum("HTTP 429" in line for line in logs) == 2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried(http: HttpClientFactory, status: int) -> None:
    fake = FakeTime()
    with serve_mcp(json_response=True, fail_first=1, fail_status=status) as server:
        result, _ = _verify(http, server.url, fake=fake)
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
    result, _ = _verify(http, url, timeout_seconds=2)
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
    result, _ = _verify(http, url, fake=fake, timeout_seconds=120)

    assert result.status == "false"
    assert 0.8 <= fake.sleeps[0] <= 1.0
    assert max(fake.sleeps) <= 10.0
    assert sum(fake.sleeps) == pytest.approx(120.0)
    assert f"{len(fake.sleeps) + 1}× ConnectError" in result.detail


# --- garbage and protocol errors ------------------------------------------------------


def test_garbage_html_is_reported_precisely(http: HttpClientFactory) -> None:
    fake = FakeTime()
    junk = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 500 + "</body></html>"
    with serve_static(junk, content_type="text/html; charset=utf-8") as server:
        result, _ = _verify(http, server.url, timeout_seconds=10, fake=fake)
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


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('{"hello": "world"}', "no JSON-RPC response with id 1"),
        ("{not json", "not valid JSON"),
        ('{"id": 1, "result": {}}', '"jsonrpc": "2.0"'),
        ('{"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": 5}}', "lacks protocolVersion"),
        (
            '{"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "boom"}}',
            "JSON-RPC error -32603: boom",
        ),
    ],
)
def test_wrong_json_rpc_is_reported(http: HttpClientFactory, body: str, problem: str) -> None:
    fake = FakeTime()
    with serve_static(body, content_type="application/json") as server:
        result, _ = _verify(http, server.url, timeout_seconds=5, fake=fake)
    assert result.status == "false"
    assert problem in result.detail
    assert "Content-Type application/json" in result.detail
    assert len(fake.sleeps) >= 1  # retried until the deadline


def test_unknown_protocol_version_fails_at_once(http: HttpClientFactory) -> None:
    fake = FakeTime()
    with serve_handler(spec_handler(protocol_version="2099-01-01")) as server:
        result, _ = _verify(http, server.url, fake=fake)
    assert result.status == "false"
    assert fake.sleeps == []
    assert "'2099-01-01'" in result.detail
    assert LATEST_PROTOCOL_VERSION in result.detail


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
        result, _ = _verify(http, server.url, fake=fake)
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
        result, _ = _verify(http, server.url, fake=fake)
    assert result.status == "false"
    assert fake.sleeps == []
    assert "stateless protocol era" in result.detail


def test_sse_framing_variants(http: HttpClientFactory) -> None:
    """Comments, a priming event, a server notification, multi-line data, CRLF."""

    def handle(request: RecordedRequest) -> Reply:
        if request.method != "POST":
            return 405, {}, b""
        message = request.json
        if "id" not in message:
            return 202, {}, b""
        if message["method"] == "initialize":
            result: dict[str, Any] = {
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {"listChanged": True}},
                "serverInfo": {"name": "sse-edge", "version": "2"},
            }
        else:
            result = {"tools": [{"name": "one"}, {"name": "two"}]}
        reply = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}, indent=1)
        data = "".join(f"data: {line}\r\n" for line in reply.splitlines())
        body = (
            ": keep-alive\r\n\r\n"
            "id: prime-0\r\nretry: 1000\r\ndata:\r\n\r\n"
            'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/message",'
            '"params":{"level":"info","data":"warming up"}}\r\n\r\n'
            f"event: message\r\nid: 7\r\n{data}\r\n"
        )
        return 200, {"Content-Type": "text/event-stream"}, body

    with serve_handler(handle) as server:
        result, _ = _verify(http, server.url)
    assert result.status == "true", result.detail
    assert result.tools == ("one", "two")
    assert result.protocol_version == "2025-06-18"


def test_sse_stream_without_response(http: HttpClientFactory) -> None:
    fake = FakeTime()
    body = 'data: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n'
    with serve_static(body, content_type="text/event-stream") as server:
        result, _ = _verify(http, server.url, timeout_seconds=3, fake=fake)
    assert result.status == "false"
    assert "ended without a JSON-RPC response to id 1" in result.detail
    assert "notifications/progress" in result.detail


def test_failure_after_initialize_gives_a_tools_list_curl(http: HttpClientFactory) -> None:
    def handle(request: RecordedRequest) -> Reply:
        if request.rpc_method == "tools/list":
            return 500, {"Content-Type": "text/plain"}, "Internal Server Error"
        return spec_handler(session_id="abc123")(request)

    fake = FakeTime()
    with serve_handler(handle) as server:
        result, _ = _verify(http, server.url, timeout_seconds=4, fake=fake)
        deletes = [r for r in server.requests if r.method == "DELETE"]
    assert result.status == "false"
    assert f"Sent: POST {server.url} (JSON-RPC tools/list)" in result.detail
    assert "HTTP 500, Content-Type text/plain" in result.detail
    assert '-H "Mcp-Session-Id: $SESSION_ID"' in result.detail
    assert '"method":"tools/list"' in result.detail
    assert deletes and all(r.headers["mcp-session-id"] == "abc123" for r in deletes)


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
        result, _ = _verify(http, server.url, timeout_seconds=2, fake=fake)
    assert result.status == "false"
    assert "repeats an earlier one" in result.detail


# --- secrets and inputs ---------------------------------------------------------------


def test_token_never_appears_in_detail_or_log(http: HttpClientFactory) -> None:
    def echo_headers(request: RecordedRequest) -> Reply:
        # A misconfigured proxy that reflects the request headers into an error page.
        return 502, {"Content-Type": "text/html"}, f"<pre>{json.dumps(request.headers)}</pre>"

    fake = FakeTime()
    with serve_handler(echo_headers) as server:
        result, logs = _verify(http, server.url, bearer_token=TOKEN, timeout_seconds=3, fake=fake)
        sent = [r.headers.get("authorization") for r in server.requests]

    assert sent and all(value == f"Bearer {TOKEN}" for value in sent)
    assert result.status == "false"
    assert "HTTP 502" in result.detail
    assert "***" in result.detail  # the reflected header, scrubbed
    assert TOKEN not in result.detail
    assert not any(TOKEN in line for line in logs)
    assert '-H "Authorization: Bearer $TOKEN"' in result.detail


def test_insecure_url_is_refused_without_a_request(http: HttpClientFactory) -> None:
    result, _ = _verify(http, "http://mcp.example.com/mcp")
    assert result.status == "false"
    assert "plain http://" in result.detail


def test_nonpositive_timeout_is_a_programming_error(http: HttpClientFactory) -> None:
    with pytest.raises(ValueError, match="timeout_seconds"):
        _verify(http, "http://127.0.0.1:1/mcp", timeout_seconds=0)


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_line_reproduces_initialize(sse_server: RunningServer) -> None:
    command = curl_command(sse_server.url, initialize_payload(), token=False)
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 0, done.stderr
    assert '"serverInfo":{"name":"fake-mcp"' in done.stdout
