"""Real MCP servers (the official ``mcp`` SDK) and misbehaving peers on 127.0.0.1.

Every server runs in a background thread with its own event loop, so tests
stay synchronous and need no asyncio plugin. Each helper is a context manager
that yields a :class:`RunningServer` once the socket accepts connections and
stops the server cleanly on exit.

- :func:`serve_mcp` — an ``MCPServer`` over streamable HTTP: SSE or JSON
  responses, stateful (``Mcp-Session-Id``) or stateless, optionally protected
  by the SDK's own bearer-token auth (401 + ``WWW-Authenticate`` with
  ``resource_metadata``), optionally answering 503 to the first requests or
  binding its port only after a delay (a cold start). The SDK serves both
  protocol eras at one endpoint, routed by the ``MCP-Protocol-Version``
  header: the 2026-07-28 single exchange (``server/discover``, no session)
  and the ``initialize`` handshake. ``only="handshake"`` hides the first (a
  server of the handshake era), ``only="2026-07-28"`` the second.
- :func:`serve_shop_mcp` — an ``MCPServer`` with tools that answer JSON, text and errors,
  a resource and a prompt: what scenario files call and assert on.
- :func:`serve_everything` — ``@modelcontextprotocol/server-everything`` from npm (the
  reference server, written by the MCP maintainers) over streamable HTTP, held to 127.0.0.1.
- :func:`serve_paged_mcp` — a low-level ``Server`` whose ``tools/list`` pages
  through ``nextCursor`` (``MCPServer`` returns every tool on one page), and
  can send a notification while listing (which makes the SDK answer a
  2026-07-28 request as an event stream instead of JSON).
- :func:`serve_gated_mcp` — a low-level ``Server`` that lists some tools only
  to clients that declare the sampling capability.
- :func:`serve_handler` — a tiny stdlib HTTP server whose answers a test
  scripts (wrong JSON-RPC, odd SSE framing, unknown protocol versions);
  :func:`spec_handler` is a ready hand-written MCP endpoint for it, and
  :func:`serve_static` answers every request the same (garbage).
- :func:`unused_port` — a port with nothing listening.

Every request a server receives is recorded (method, path, headers, body,
response status and headers) on ``RunningServer.requests``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_TOOLS",
    "RecordedRequest",
    "Reply",
    "RunningServer",
    "serve_everything",
    "serve_gated_mcp",
    "serve_handler",
    "serve_mcp",
    "serve_paged_mcp",
    "serve_shop_mcp",
    "serve_static",
    "spec_handler",
    "unused_port",
]

HOST = "127.0.0.1"
#: Tool names the default test server registers, in registration order.
DEFAULT_TOOLS: tuple[str, ...] = ("echo", "add", "get_time")
SERVER_NAME = "fake-mcp"
SERVER_VERSION = "1.2.3"


@dataclass
class RecordedRequest:
    method: str
    path: str
    #: Header names in lower case.
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def rpc_method(self) -> str:
        payload = self.json if self.method == "POST" else None
        return str(payload.get("method", "")) if isinstance(payload, dict) else ""


@dataclass
class RunningServer:
    url: str
    port: int
    requests: list[RecordedRequest] = field(default_factory=list)

    def rpc(self, method: str) -> list[RecordedRequest]:
        """The recorded POSTs that carried JSON-RPC ``method``."""
        return [r for r in list(self.requests) if r.rpc_method == method]


def unused_port() -> int:
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _bind(port: int) -> socket.socket:
    # proto=IPPROTO_TCP, as uvicorn's own bind gets it: asyncio sets TCP_NODELAY only on
    # sockets that say so, and without it every keep-alive response written as headers then
    # body waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    return sock


def _wait_listening(port: int, timeout: float) -> None:
    ends = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > ends:
                raise RuntimeError(f"server on port {port} did not start") from None
            time.sleep(0.02)


# --- ASGI helpers ------------------------------------------------------------

Scope = dict[str, Any]
Message = dict[str, Any]


class _Recorder:
    """ASGI middleware that records each HTTP request and the response status."""

    def __init__(self, app: Any, log: list[RecordedRequest]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        record = RecordedRequest(scope["method"], scope["path"], headers, b"".join(chunks))
        self.log.append(record)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": record.body, "more_body": False}
            later: Message = await receive()  # e.g. http.disconnect
            return later

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                record.response_headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                }
            await send(message)

        await self.app(scope, replay, watch)


class _FailFirst:
    """ASGI middleware: answer the first ``count`` HTTP requests with ``status``."""

    def __init__(self, app: Any, count: int, status: int, retry_after: str) -> None:
        self.app = app
        self.left = count
        self.status = status
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.left > 0:
            self.left -= 1
            body = b"upstream is starting"
            headers = [
                (b"content-type", b"text/plain"),
                (b"content-length", str(len(body)).encode()),
            ]
            if self.retry_after:
                headers.append((b"retry-after", self.retry_after.encode()))
            await send({"type": "http.response.start", "status": self.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


#: The SDK's handshake-era revisions (``mcp_types.version.HANDSHAKE_PROTOCOL_VERSIONS``).
_HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
_STATELESS_ERA = "2026-07-28"


def _header(scope: Scope, name: bytes) -> str | None:
    headers = scope.get("headers", [])
    return next((v.decode("latin-1") for k, v in headers if k.lower() == name), None)


class _HandshakeOnly:
    """ASGI middleware: the SDK as a server of the handshake era only.

    The SDK routes a request whose ``MCP-Protocol-Version`` is not a handshake
    revision to its 2026-07-28 entry. A server of the handshake era has no such
    entry: the request reaches its streamable HTTP transport like any other
    (stateful: 400 "Missing session ID"; stateless: an error for the unknown
    method). So the routing headers are dropped before the SDK sees them.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        version = _header(scope, b"mcp-protocol-version")
        if scope["type"] == "http" and version is not None and version not in _HANDSHAKE_VERSIONS:
            dropped = (b"mcp-protocol-version", b"mcp-method", b"mcp-name")
            headers = [(k, v) for k, v in scope["headers"] if k.lower() not in dropped]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


class _StatelessOnly:
    """ASGI middleware: the SDK as a server of the 2026-07-28 era only.

    Requests without a 2026-07-28-era ``MCP-Protocol-Version`` (an
    ``initialize``, a handshake-era request) are refused the way the SDK's own
    2026-07-28 entry refuses a version it does not serve: HTTP 400 with
    JSON-RPC error -32022 naming the supported versions. GET and DELETE
    (session streams and endings) are 405, as at that entry.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        version = _header(scope, b"mcp-protocol-version")
        if scope["type"] != "http" or version == _STATELESS_ERA:
            await self.app(scope, receive, send)
            return
        from mcp.shared.inbound import unsupported_protocol_version_rejection

        if scope["method"] != "POST":
            await _send_plain(send, 405, b"", [(b"allow", b"POST")])
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        try:
            request = json.loads(b"".join(chunks))
        except ValueError:
            request = None
        request_id = request.get("id") if isinstance(request, dict) else None
        params = request.get("params") if isinstance(request, dict) else None
        offered = params.get("protocolVersion") if isinstance(params, dict) else None
        rejection = unsupported_protocol_version_rejection(str(version or offered or ""))
        assert rejection is not None
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "error": {
                    "code": rejection.code,
                    "message": rejection.message,
                    "data": rejection.data,
                },
            }
        ).encode()
        await _send_plain(send, 400, body, [(b"content-type", b"application/json")])


async def _send_plain(
    send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _only(app: Any, only: str) -> Any:
    if only == "handshake":
        return _HandshakeOnly(app)
    if only == _STATELESS_ERA:
        return _StatelessOnly(app)
    if only:
        raise ValueError(f"only must be '', 'handshake' or {_STATELESS_ERA!r}, not {only!r}")
    return app


class _UvicornThread:
    """Runs an ASGI app with uvicorn in a thread; optionally binds after a delay."""

    def __init__(self, app: Any, port: int, start_delay: float) -> None:
        import uvicorn

        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="on",
            ws="none",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.port = port
        self.start_delay = start_delay
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"mcp-fake-{port}", daemon=True)

    def _run(self) -> None:
        try:
            if self._stop.wait(self.start_delay):
                return
            sock = _bind(self.port)
            asyncio.run(self.server.serve(sockets=[sock]))
        except BaseException as exc:  # reported by stop(); never lost in the thread
            self.error = exc

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=5)
        if self.error is not None:
            raise RuntimeError(f"fake MCP server on port {self.port} failed") from self.error


@contextlib.contextmanager
def _run_asgi(app: Any, port: int, start_delay: float) -> Iterator[None]:
    runner = _UvicornThread(app, port, start_delay)
    runner.start()
    try:
        if start_delay <= 0:
            _wait_listening(port, 10)
        yield
    finally:
        runner.stop()


# --- MCP servers -------------------------------------------------------------


class _StaticTokenVerifier:
    """Accepts exactly one bearer token (the SDK's ``TokenVerifier`` protocol)."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def verify_token(self, token: str) -> Any:
        from mcp.server.auth.provider import AccessToken

        if token != self.token:
            return None
        return AccessToken(token=token, client_id="test-client", scopes=[])


def _build_mcp_server(tools: Sequence[str], token: str, port: int) -> Any:
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer

    kwargs: dict[str, Any] = {}
    if token:
        kwargs["auth"] = AuthSettings(
            issuer_url=f"http://{HOST}:{port}/issuer",  # type: ignore[arg-type]
            resource_server_url=f"http://{HOST}:{port}/mcp",  # type: ignore[arg-type]
            validate_token_resource=False,
        )
        kwargs["token_verifier"] = _StaticTokenVerifier(token)
    server = MCPServer(SERVER_NAME, version=SERVER_VERSION, log_level="WARNING", **kwargs)

    def make_tool(tool_name: str) -> Any:
        def tool(text: str = "") -> str:
            return f"{tool_name}:{text}"

        tool.__name__ = tool_name
        return tool

    for name in tools:
        server.add_tool(make_tool(name), name=name, description=f"The {name} tool.")
    return server


@contextlib.contextmanager
def serve_mcp(
    *,
    json_response: bool = False,
    stateless: bool = False,
    tools: Sequence[str] = DEFAULT_TOOLS,
    token: str = "",
    start_delay: float = 0.0,
    fail_first: int = 0,
    fail_status: int = 503,
    retry_after: str = "",
    only: str = "",
) -> Iterator[RunningServer]:
    """A real ``MCPServer`` over streamable HTTP at ``http://127.0.0.1:PORT/mcp``.

    ``json_response`` picks JSON bodies instead of SSE; ``stateless`` turns off
    sessions (no ``Mcp-Session-Id``); ``token`` demands that bearer token via the
    SDK's auth (401 + ``WWW-Authenticate`` otherwise); ``start_delay`` binds the
    port only after that many seconds (the context is entered at once);
    ``fail_first`` answers the first N requests with ``fail_status`` (and a
    ``Retry-After`` header when ``retry_after`` is set); ``only`` serves one
    protocol era instead of both (``"handshake"`` or ``"2026-07-28"``).
    """
    port = unused_port()
    server = _build_mcp_server(tools, token, port)
    app: Any = server.streamable_http_app(json_response=json_response, stateless_http=stateless)
    app = _only(app, only)
    if fail_first:
        app = _FailFirst(app, fail_first, fail_status, retry_after)
    running = RunningServer(url=f"http://{HOST}:{port}/mcp", port=port)
    app = _Recorder(app, running.requests)
    with _run_asgi(app, port, start_delay):
        yield running


def _build_shop_server() -> Any:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("shop-mcp", version="2.0.0", log_level="WARNING")
    stock = {"apple": 3, "pear": 0}

    def price(item: str, quantity: int = 1) -> str:
        """The price of an item, as JSON."""
        if item not in stock:
            raise ValueError(f"no such item: {item}")
        return json.dumps({"item": item, "quantity": quantity, "total": 1.5 * quantity})

    def items() -> str:
        """The items in stock, as JSON."""
        return json.dumps([name for name, count in stock.items() if count])

    def greet(name: str) -> str:
        """A plain-text greeting."""
        return f"Hello, {name}!"

    server.add_tool(price, name="price", description="The price of an item.")
    server.add_tool(items, name="items", description="The items in stock.")
    server.add_tool(greet, name="greet", description="Say hello.")

    @server.resource("shop://catalogue", name="catalogue", mime_type="text/plain")
    def catalogue() -> str:
        return "apple, pear"

    @server.prompt(name="order", description="Ask for an order.")
    def order(item: str) -> str:
        return f"Please order one {item}."

    return server


@contextlib.contextmanager
def serve_shop_mcp(
    *, json_response: bool = False, stateless: bool = False, only: str = ""
) -> Iterator[RunningServer]:
    """A real ``MCPServer`` with JSON-answering tools, a failing call, a resource and a prompt."""
    port = unused_port()
    server = _build_shop_server()
    app: Any = server.streamable_http_app(json_response=json_response, stateless_http=stateless)
    app = _only(app, only)
    running = RunningServer(url=f"http://{HOST}:{port}/mcp", port=port)
    app = _Recorder(app, running.requests)
    with _run_asgi(app, port, 0.0):
        yield running


@contextlib.contextmanager
def serve_everything(launcher: Path) -> Iterator[RunningServer]:
    """``node <launcher> streamableHttp`` on a free loopback port, stopped on exit."""
    import os
    import subprocess

    port = unused_port()
    preload = Path(__file__).with_name("loopback_only.cjs")
    process = subprocess.Popen(
        ["node", "--require", str(preload), str(launcher), "streamableHttp"],
        env={"PATH": os.environ.get("PATH", ""), "PORT": str(port), "HOME": str(Path.home())},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, 30)
        yield RunningServer(url=f"http://{HOST}:{port}/mcp", port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def serve_paged_mcp(
    *,
    tool_count: int = 7,
    page_size: int = 3,
    json_response: bool = True,
    notify: bool = False,
    only: str = "",
) -> Iterator[RunningServer]:
    """A low-level SDK ``Server`` whose ``tools/list`` pages via ``nextCursor``.

    Tools are named ``tool-00``, ``tool-01``, ...; the cursor is the index of the
    next page's first tool. Requests for ``tools/list`` are recorded as usual,
    so tests can check the cursors sent. ``notify`` sends a request-scoped
    ``notifications/tools/list_changed`` before each page (with SSE responses,
    the SDK then answers a 2026-07-28 request as an event stream; without one
    it answers JSON even in SSE mode). ``only`` as for :func:`serve_mcp`.
    """
    import mcp.types as types
    from mcp.server.lowlevel import Server

    names = [f"tool-{i:02d}" for i in range(tool_count)]

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> Any:
        if notify:
            await ctx.session.send_notification(
                types.ToolListChangedNotification(), related_request_id=ctx.request_id
            )
        start = int(params.cursor) if params is not None and params.cursor else 0
        page = names[start : start + page_size]
        after = start + page_size
        return types.ListToolsResult(
            tools=[types.Tool(name=n, input_schema={"type": "object"}) for n in page],
            next_cursor=str(after) if after < len(names) else None,
        )

    server: Any = Server("paged-mcp", version="0.9.0", on_list_tools=list_tools)
    port = unused_port()
    running = RunningServer(url=f"http://{HOST}:{port}/mcp", port=port)
    app = _only(server.streamable_http_app(json_response=json_response), only)
    app = _Recorder(app, running.requests)
    with _run_asgi(app, port, 0.0):
        yield running


@contextlib.contextmanager
def serve_gated_mcp(
    *,
    tools: Sequence[str] = ("plain",),
    sampling_tools: Sequence[str] = ("summarize",),
    json_response: bool = True,
    only: str = "",
) -> Iterator[RunningServer]:
    """A low-level SDK ``Server`` that lists ``sampling_tools`` only to clients declaring sampling.

    Such tools call back into the client's model, so a server may hide them
    from a client that could not serve those calls. In either era the SDK
    checks what the client declared (``initialize`` capabilities, or the
    2026-07-28 ``_meta`` envelope of each request).
    """
    import mcp.types as types
    from mcp.server.lowlevel import Server

    wants_sampling = types.ClientCapabilities(sampling=types.SamplingCapability())

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> Any:
        names = list(tools)
        if ctx.session.check_client_capability(wants_sampling):
            names += sampling_tools
        return types.ListToolsResult(
            tools=[types.Tool(name=n, input_schema={"type": "object"}) for n in names]
        )

    server: Any = Server("gated-mcp", version="0.1.0", on_list_tools=list_tools)
    port = unused_port()
    running = RunningServer(url=f"http://{HOST}:{port}/mcp", port=port)
    app = _only(server.streamable_http_app(json_response=json_response), only)
    app = _Recorder(app, running.requests)
    with _run_asgi(app, port, 0.0):
        yield running


# --- Not MCP at all ----------------------------------------------------------


#: What a scripted handler returns: status, headers, body.
Reply = tuple[int, dict[str, str], bytes | str]


@contextlib.contextmanager
def serve_handler(handler: Callable[[RecordedRequest], Reply]) -> Iterator[RunningServer]:
    """A stdlib HTTP server whose every answer comes from ``handler(request)``.

    For peers the SDK will not impersonate: garbage, wrong JSON-RPC, odd SSE
    framing, protocol versions from the future.
    """
    port = unused_port()
    running = RunningServer(url=f"http://{HOST}:{port}/mcp", port=port)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            record = RecordedRequest(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            running.requests.append(record)
            status, headers, body = handler(record)
            payload = body.encode() if isinstance(body, str) else body
            record.status = status
            record.response_headers = {k.lower(): v for k, v in headers.items()}
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer((HOST, port), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield running
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def serve_static(
    body: bytes | str,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> contextlib.AbstractContextManager[RunningServer]:
    """A server answering every request with the same response (a proxy page, junk)."""
    all_headers = {"Content-Type": content_type, **(headers or {})}
    return serve_handler(lambda _request: (status, all_headers, body))


def spec_handler(
    *,
    protocol_version: str = "2025-11-25",
    pages: Sequence[Sequence[str]] = (("alpha", "beta"),),
    capabilities: dict[str, Any] | None = None,
    sse: bool = False,
    session_id: str = "",
    strict_version: bool = False,
) -> Callable[[RecordedRequest], Reply]:
    """A hand-written MCP endpoint (for :func:`serve_handler`) of the handshake era.

    It answers ``initialize`` with ``protocol_version`` whatever was offered (a
    server from the past or the future), ``tools/list`` page by page from
    ``pages`` (cursor = page index), notifications with 202, ``DELETE`` with
    200, and any other method (``server/discover`` too) with JSON-RPC -32601;
    JSON bodies, or one SSE event per answer when ``sse``. ``strict_version``
    refuses a request whose ``MCP-Protocol-Version`` header is not
    ``protocol_version`` with HTTP 400, as handshake-era SDK servers did.
    """
    caps = {"tools": {}} if capabilities is None else capabilities

    def handle(request: RecordedRequest) -> Reply:
        if request.method != "POST":
            return 200, {}, b""
        header = request.headers.get("mcp-protocol-version")
        if strict_version and header is not None and header != protocol_version:
            refusal = {
                "jsonrpc": "2.0",
                "id": "server-error",
                "error": {
                    "code": -32600,
                    "message": f"Bad Request: Unsupported protocol version: {header}. "
                    f"Supported versions: {protocol_version}",
                },
            }
            return 400, {"Content-Type": "application/json"}, json.dumps(refusal)
        message = request.json
        if "id" not in message:
            return 202, {}, b""
        method = message.get("method")
        params = message.get("params") or {}
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"]}
        headers: dict[str, str] = {}
        if method == "initialize":
            reply["result"] = {
                "protocolVersion": protocol_version,
                "capabilities": caps,
                "serverInfo": {"name": "spec-server", "version": "0.0.1"},
            }
            if session_id:
                headers["Mcp-Session-Id"] = session_id
        elif method == "tools/list":
            index = int(params.get("cursor") or 0)
            result: dict[str, Any] = {
                "tools": [{"name": n, "inputSchema": {"type": "object"}} for n in pages[index]]
            }
            if index + 1 < len(pages):
                result["nextCursor"] = str(index + 1)
            reply["result"] = result
        else:
            reply["error"] = {"code": -32601, "message": f"Method not found: {method}"}
        body = json.dumps(reply)
        if sse:
            return 200, {**headers, "Content-Type": "text/event-stream"}, f"data: {body}\n\n"
        return 200, {**headers, "Content-Type": "application/json"}, body

    return handle
