"""What every fake shares: a request log, fault injection, and a loopback server.

A fake is one stateful class per remote API, subclassing :class:`FakeBase` and
implementing ``handle(request: httpx.Request) -> httpx.Response``. The same
instance is used two ways:

* in process: ``httpx.Client(transport=httpx.MockTransport(fake))``;
* across processes: ``with serve(fake) as base_url: ...`` runs it behind a
  stdlib ``ThreadingHTTPServer`` on 127.0.0.1, so a subprocess or a container
  on the host network talks real HTTP to it.

Faults are queued on ``fake.faults`` (a :class:`FaultPlan`) and consumed by the
next matching requests::

    fake.faults.status(503, times=2, path="/token")   # 503, 503, then normal
    fake.faults.status(429, retry_after=1)             # one 429 with Retry-After: 1
    fake.faults.delay(5.0)                             # answer after 5 s (handled normally)
    fake.faults.drop()                                 # close the socket, no response
    fake.faults.garbage("json")                        # 200 with a JSON body of the wrong shape

Behind :func:`serve`, delays and drops happen on the real socket, so clients
see real timeouts and disconnects. Under ``MockTransport`` they are simulated:
a drop raises ``httpx.RemoteProtocolError``; a delay longer than the request's
read timeout raises ``httpx.ReadTimeout`` (without waiting), a shorter one sleeps.

Every served fake also answers a small control API under ``/__fake__/`` so that
tests can steer a fake running in another process (the ``python -m tests.fakes``
CLI): ``POST /__fake__/faults`` (a JSON fault spec, see :meth:`FaultPlan.add_spec`),
``GET /__fake__/requests``, ``GET /__fake__/state`` and ``POST /__fake__/reset``.
Control requests are neither logged nor subject to faults.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import socketserver
import ssl
import struct
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import httpx

__all__ = [
    "CONTROL_PREFIX",
    "Fault",
    "FaultPlan",
    "FakeBase",
    "LoopbackServer",
    "Outcome",
    "RecordedRequest",
    "ServedUrl",
    "forward",
    "json_response",
    "serve",
]

CONTROL_PREFIX = "/__fake__/"

FaultKind = Literal["status", "delay", "drop", "garbage"]
GarbageKind = Literal["bytes", "json", "truncated-json", "content-type"]

_GARBAGE: dict[str, tuple[str, bytes]] = {
    # Not UTF-8, not JSON, though it claims to be JSON.
    "bytes": ("application/json", b"\x00\xff\xfe garbage \x89PNG\r\n\x1a\n"),
    # Valid JSON of the wrong shape.
    "json": ("application/json", b'{"unexpected": ["wrong", "shape"], "value": 42}'),
    # A body cut off mid-way.
    "truncated-json": ("application/json", b'{"value": "eyJhbGciOiJSUzI1NiIsInR5cCI6'),
    # What a captive portal or an HTML error page from a proxy looks like.
    "content-type": (
        "text/html; charset=utf-8",
        b"<!DOCTYPE html><html><body><h1>Bad Gateway</h1></body></html>",
    ),
}


def json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """A JSON response with the content type real APIs send."""
    all_headers = {"Content-Type": "application/json; charset=utf-8"}
    all_headers.update(headers or {})
    return httpx.Response(status, headers=all_headers, content=json.dumps(payload).encode())


def forward(request: httpx.Request, origin: str, path: str, who: str) -> httpx.Response:
    """``request`` passed on to ``origin`` + ``path`` (its query kept), as a front end would:
    what a fake's public host name stands for (a run.app URL, a workers.dev host) is served
    by a real server on loopback. ``who`` names that server when it does not answer."""
    headers = {
        k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
    }
    query = f"?{request.url.query.decode()}" if request.url.query else ""
    try:
        answer = httpx.request(
            request.method,
            f"{origin}{path}{query}",
            headers=headers,
            content=request.content,
            timeout=30,
        )
    except httpx.HTTPError as exc:
        return httpx.Response(502, text=f"{who} did not answer: {exc}")
    kept = {
        k: v
        for k, v in answer.headers.items()
        if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
    }
    return httpx.Response(answer.status_code, headers=kept, content=answer.content)


# --- faults --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One misbehaviour, applied to one request."""

    kind: FaultKind
    #: kind "status": the status code to answer with.
    status: int = 503
    #: kind "status": the Retry-After header value (seconds), if any.
    retry_after: float | None = None
    #: kind "status"/"garbage": the body (default: a short text / the garbage kind's body).
    body: bytes | None = None
    #: kind "status"/"garbage": the body's content type.
    content_type: str | None = None
    #: kind "delay": seconds to wait before answering (the request is then handled normally).
    seconds: float = 0.0
    #: kinds "drop" and "status": handle the request first (the server acted, the answer
    #: is lost or replaced by the fault's status).
    after_handling: bool = False
    #: kind "drop": reset the connection (RST) instead of closing it (FIN).
    reset: bool = False
    #: kind "garbage": which garbage.
    garbage: GarbageKind = "bytes"

    def describe(self) -> str:
        if self.kind == "status":
            return f"status {self.status}"
        if self.kind == "delay":
            return f"delay {self.seconds}s"
        if self.kind == "drop":
            return "drop (reset)" if self.reset else "drop"
        return f"garbage {self.garbage}"

    def response(self) -> httpx.Response:
        """The response of a "status" or "garbage" fault."""
        if self.kind == "status":
            headers = {"Content-Type": self.content_type or "text/plain; charset=utf-8"}
            retry_after = self.retry_after
            if retry_after is None and self.status == 429:
                retry_after = 1
            if retry_after is not None:
                headers["Retry-After"] = f"{retry_after:g}"
            body = self.body if self.body is not None else f"injected fault: {self.status}".encode()
            return httpx.Response(self.status, headers=headers, content=body)
        if self.kind == "garbage":
            content_type, body = _GARBAGE[self.garbage]
            return httpx.Response(
                200,
                headers={"Content-Type": self.content_type or content_type},
                content=self.body if self.body is not None else body,
            )
        raise ValueError(f"a {self.kind} fault has no response of its own")


@dataclass
class _Entry:
    fault: Fault
    remaining: int
    method: str | None
    path: str | None
    #: Only requests whose body contains this text (e.g. one GraphQL operation's name).
    contains: bytes | None = None
    #: Only requests whose whole path matches this pattern (one route, not its sub-paths).
    route: re.Pattern[str] | None = None
    #: Matching requests to let through first (the fault hits the one after them).
    skip: int = 0

    def matches(self, method: str, path: str, body: bytes = b"") -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        if self.contains is not None and self.contains not in body:
            return False
        if self.route is not None and self.route.fullmatch(path) is None:
            return False
        return self.path is None or path.startswith(self.path)


class FaultPlan:
    """A queue of faults for the next matching requests; thread-safe.

    Each entry applies to the next ``times`` requests that match its optional
    ``method``, ``path`` prefix, ``route`` (a pattern the whole path must match) and
    ``contains`` (text in the body). Entries are consumed in the order they were
    added; a request takes at most one fault.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def add(
        self,
        fault: Fault,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        contains: str | None = None,
        route: str | None = None,
        skip: int = 0,
    ) -> FaultPlan:
        """Queue ``fault`` for ``times`` matching requests, after ``skip`` of them pass."""
        if times < 1:
            raise ValueError("times must be at least 1")
        entry = _Entry(
            fault,
            times,
            method.upper() if method else None,
            path,
            contains.encode() if contains is not None else None,
            re.compile(route) if route is not None else None,
            skip,
        )
        with self._lock:
            self._entries.append(entry)
        return self

    def status(
        self,
        code: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        body: bytes | str | None = None,
        content_type: str | None = None,
        method: str | None = None,
        path: str | None = None,
        contains: str | None = None,
        route: str | None = None,
        after_handling: bool = False,
    ) -> FaultPlan:
        """Answer with ``code`` (429 gets ``Retry-After: 1`` unless given).

        ``after_handling``: the request is processed first, then answered with ``code``
        (a server that acted and then failed to say so).
        """
        raw = body.encode() if isinstance(body, str) else body
        fault = Fault(
            "status",
            status=code,
            retry_after=retry_after,
            body=raw,
            content_type=content_type,
            after_handling=after_handling,
        )
        return self.add(
            fault, times=times, method=method, path=path, contains=contains, route=route
        )

    def delay(
        self,
        seconds: float,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        contains: str | None = None,
        route: str | None = None,
    ) -> FaultPlan:
        """Wait ``seconds`` before answering; the request is handled normally."""
        return self.add(
            Fault("delay", seconds=seconds),
            times=times,
            method=method,
            path=path,
            contains=contains,
            route=route,
        )

    def drop(
        self,
        *,
        times: int = 1,
        after_handling: bool = False,
        reset: bool = False,
        method: str | None = None,
        path: str | None = None,
        contains: str | None = None,
        route: str | None = None,
    ) -> FaultPlan:
        """Close the connection without a response."""
        fault = Fault("drop", after_handling=after_handling, reset=reset)
        return self.add(
            fault, times=times, method=method, path=path, contains=contains, route=route
        )

    def garbage(
        self,
        kind: GarbageKind = "bytes",
        *,
        times: int = 1,
        body: bytes | str | None = None,
        content_type: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> FaultPlan:
        """Answer 200 with a payload the client cannot use."""
        raw = body.encode() if isinstance(body, str) else body
        fault = Fault("garbage", garbage=kind, body=raw, content_type=content_type)
        return self.add(fault, times=times, method=method, path=path)

    def add_spec(self, spec: Mapping[str, Any]) -> FaultPlan:
        """Queue a fault from JSON, e.g. ``{"kind": "status", "status": 503, "times": 2}``.

        Keys: kind, times, method, path, contains, route, skip, and the :class:`Fault` fields
        (status, retry_after, body as text, content_type, seconds,
        after_handling, reset, garbage).
        """
        known = {
            "status",
            "retry_after",
            "content_type",
            "seconds",
            "after_handling",
            "reset",
            "garbage",
        }
        unknown = (
            set(spec)
            - known
            - {
                "kind",
                "times",
                "method",
                "path",
                "body",
                "contains",
                "route",
            }
        )
        if unknown or spec.get("kind") not in ("status", "delay", "drop", "garbage"):
            raise ValueError(f"bad fault spec: {dict(spec)!r}")
        fields: dict[str, Any] = {k: v for k, v in spec.items() if k in known}
        if spec.get("body") is not None:
            fields["body"] = str(spec["body"]).encode()
        fault = Fault(spec["kind"], **fields)
        return self.add(
            fault,
            times=int(spec.get("times", 1)),
            method=spec.get("method"),
            path=spec.get("path"),
            contains=spec.get("contains"),
            route=spec.get("route"),
            skip=int(spec.get("skip", 0)),
        )

    def take(self, method: str, path: str, body: bytes = b"") -> Fault | None:
        """Consume the fault for a request, if one is queued for it."""
        with self._lock:
            for entry in self._entries:
                if entry.matches(method, path, body):
                    if entry.skip > 0:
                        entry.skip -= 1
                        continue
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._entries.remove(entry)
                    return entry.fault
        return None

    @property
    def pending(self) -> int:
        """How many faulty answers are still queued."""
        with self._lock:
            return sum(entry.remaining for entry in self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# --- the fake base --------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request a fake received, as tests assert on it."""

    method: str
    #: The URL path, without the query.
    path: str
    #: The raw query string (no leading "?").
    query: str
    headers: httpx.Headers
    body: bytes
    url: str
    #: The fault applied to it, if any (e.g. "status 503").
    fault: str | None = None

    @property
    def params(self) -> httpx.QueryParams:
        return httpx.QueryParams(self.query)

    def json(self) -> Any:
        return json.loads(self.body)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": list(self.headers.multi_items()),
            "body": base64.b64encode(self.body).decode(),
            "url": self.url,
            "fault": self.fault,
        }


@dataclass
class Outcome:
    """What the server must do for one request."""

    #: None means: close the connection without a response.
    response: httpx.Response | None
    delay: float = 0.0
    reset: bool = False


class FakeBase:
    """Base of every fake remote: request log, faults, MockTransport entry point.

    Subclasses implement :meth:`handle` and may override :meth:`snapshot` (the
    state shown by ``GET /__fake__/state``) and :meth:`reset_state`.
    """

    #: Registry name; also used in logs.
    name = "fake"

    def __init__(self) -> None:
        self.faults = FaultPlan()
        self.requests: list[RecordedRequest] = []
        #: Exceptions raised by :meth:`handle` while served (answered with 500).
        self.errors: list[str] = []
        #: Used to simulate delays under MockTransport.
        self.sleep: Callable[[float], None] = time.sleep
        self._lock = threading.RLock()

    # --- for subclasses ---------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        """JSON-able state for cross-process tests."""
        return {}

    def reset_state(self) -> None:
        """Forget the remote's state (the request log and faults are reset by the base)."""

    def fault_response(self, fault: Fault, request: httpx.Request) -> httpx.Response:
        """The answer of a "status" or "garbage" fault (a fake may shape it as its API
        shapes errors)."""
        return fault.response()

    def fault_text(self, request: httpx.Request) -> bytes:
        """What a fault's ``contains`` looks in: the body (a fake may add what names the
        request's operation, e.g. an AWS operation carried in a header)."""
        return request.content

    # --- helpers for tests ---------------------------------------------------------------
    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.startswith(path) and (method is None or r.method == method.upper())
            ]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.errors.clear()
            self.faults.clear()
            self.reset_state()

    # --- entry points ------------------------------------------------------------------
    def process(self, request: httpx.Request) -> Outcome:
        """Log the request, apply a queued fault, or let :meth:`handle` answer."""
        request.read()
        path = request.url.path
        if path.startswith(CONTROL_PREFIX):
            return Outcome(self._control(request, path[len(CONTROL_PREFIX) :]))
        fault = self.faults.take(request.method, path, self.fault_text(request))
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=path,
                    query=request.url.query.decode(),
                    headers=httpx.Headers(request.headers),
                    body=request.content,
                    url=str(request.url),
                    fault=fault.describe() if fault else None,
                )
            )
        if fault is None:
            return Outcome(self.handle(request))
        if fault.kind == "delay":
            return Outcome(self.handle(request), delay=fault.seconds)
        if fault.kind == "drop":
            if fault.after_handling:
                self.handle(request)
            return Outcome(None, reset=fault.reset)
        if fault.after_handling:
            self.handle(request)
        return Outcome(self.fault_response(fault, request))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """The ``httpx.MockTransport`` handler; socket faults are simulated."""
        outcome = self.process(request)
        if outcome.delay:
            timeout = request.extensions.get("timeout", {}).get("read")
            if timeout is not None and outcome.delay > timeout:
                raise httpx.ReadTimeout("The read operation timed out", request=request)
            self.sleep(outcome.delay)
        if outcome.response is None:
            if outcome.reset:
                raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return outcome.response

    def _control(self, request: httpx.Request, action: str) -> httpx.Response:
        if request.method == "POST" and action == "faults":
            try:
                specs = json.loads(request.content or b"null")
                for spec in specs if isinstance(specs, list) else [specs]:
                    self.faults.add_spec(spec)
            except (ValueError, TypeError) as exc:
                return json_response(400, {"error": str(exc)})
            return json_response(200, {"pending": self.faults.pending})
        if request.method == "GET" and action == "requests":
            with self._lock:
                return json_response(200, [r.to_json() for r in self.requests])
        if request.method == "GET" and action == "state":
            with self._lock:
                return json_response(200, self.snapshot())
        if request.method == "POST" and action == "reset":
            self.reset()
            return json_response(200, {"reset": True})
        return json_response(404, {"error": f"no control action {request.method} {action}"})


# --- the loopback server ----------------------------------------------------------------


class ServedUrl(str):
    """The base URL of a served fake; ``ca_bundle`` is set when served over TLS."""

    ca_bundle: Path | None = None

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting the fake's CA (for ``httpx.Client(verify=...)``)."""
        if self.ca_bundle is None:
            raise ValueError(f"{self} is not served over TLS")
        return ssl.create_default_context(cafile=str(self.ca_bundle))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeBase, scheme: str) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.fake = fake
        self.scheme = scheme
        self.stopping = threading.Event()
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        #: Connections to abort with RST: closed without the FIN of a shutdown().
        self.reset_sockets: set[socket.socket] = set()

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            abort = request in self.reset_sockets
            self.reset_sockets.discard(request)
        if abort:
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would do a reverse DNS lookup (getfqdn); not needed.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pmcp-fake/1"
    #: Headers and body go out in separate sends; without this each answer waits for a
    #: delayed ACK (~30 ms).
    disable_nagle_algorithm = True
    #: Idle keep-alive connections are closed after this many seconds.
    timeout = 10
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.sockets_lock:
                self.server.open_sockets.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        server = self.server
        body = self._body()
        host = self.headers.get("Host") or f"{server.server_name}:{server.server_port}"
        headers = [
            (k, v) for k, v in self.headers.items() if k.lower() not in ("transfer-encoding",)
        ]
        request = httpx.Request(
            self.command, f"{server.scheme}://{host}{self.path}", headers=headers, content=body
        )
        try:
            outcome = server.fake.process(request)
        except Exception:
            text = traceback.format_exc()
            server.fake.errors.append(text)
            outcome = Outcome(httpx.Response(500, text=f"fake crashed:\n{text}"))
        if outcome.delay and server.stopping.wait(outcome.delay):
            self.close_connection = True
            return
        if outcome.response is None:
            self.close_connection = True
            if outcome.reset:
                # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                with server.sockets_lock:
                    server.reset_sockets.add(self.connection)
            return
        self._write(outcome.response)

    def _write(self, response: httpx.Response) -> None:
        content = response.read()
        status = response.status_code
        self.send_response(status, response.reason_phrase)
        for key, value in response.headers.multi_items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        if status != 204 and status >= 200:
            self.send_header("Content-Length", str(len(content)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class LoopbackServer:
    """A fake behind a ``ThreadingHTTPServer`` on a loopback port (0 = any free port)."""

    def __init__(
        self,
        fake: FakeBase,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        ca: Any = None,
    ) -> None:
        """``ca``: a ``trustme.CA`` to issue the certificate (default: a new one)."""
        self.fake = fake
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server = _Server((host, port), fake, "https" if tls else "http")
        bound_port = self._server.server_address[1]
        if tls:
            self.url = ServedUrl(f"https://localhost:{bound_port}")
            self._wrap_tls(ca)
        else:
            shown = f"[{host}]" if ":" in host else host
            self.url = ServedUrl(f"http://{shown}:{bound_port}")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-{fake.name}-{bound_port}",
            daemon=True,
        )

    def _wrap_tls(self, ca: Any) -> None:
        import trustme

        ca = ca or trustme.CA()
        cert = ca.issue_cert("localhost", "127.0.0.1", "::1")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._tmp = tempfile.TemporaryDirectory(prefix="pmcp-fake-ca-")
        bundle = Path(self._tmp.name) / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        self.url.ca_bundle = bundle
        # The handshake happens in the handler thread, on first read.
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        server = self._server
        server.stopping.set()  # wakes handlers that are delaying
        if self._thread.is_alive():
            server.shutdown()
        with server.sockets_lock:
            sockets = list(server.open_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread.ident is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve(
    fake: FakeBase, *, tls: bool = False, port: int = 0, ca: Any = None
) -> Iterator[ServedUrl]:
    """Serve ``fake`` on loopback; yield its base URL (``http://127.0.0.1:PORT``).

    With ``tls=True`` the URL is ``https://localhost:PORT`` and ``url.ca_bundle``
    is a PEM file of the throwaway CA (for ``SSL_CERT_FILE`` in a subprocess;
    in process use ``verify=url.ssl_context()``).
    """
    with LoopbackServer(fake, port=port, tls=tls, ca=ca) as server:
        yield server.url
