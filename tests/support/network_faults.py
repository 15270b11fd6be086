"""Network failures for whole-program tests: a host that does not resolve, a refused port,
a connection reset in the middle of an answer.

In process (``main(..., transport=FaultyTransport(...))``) the failure is raised where httpx
raises it, with the text the operating system gives; :func:`unresolvable`,
:func:`closed_port` and :func:`reset_server` make the real thing on loopback, for clients
that are not httpx (botocore) and to show the simulation matches what a socket does
(``tests/unit/rest/test_real_sockets.py``).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum

import httpx
import pytest

__all__ = [
    "Fault",
    "FaultyTransport",
    "assert_reported_network_failure",
    "closed_port",
    "reset_server",
    "unresolvable",
]


class Fault(Enum):
    """What goes wrong on the way to a host."""

    DNS = "the host name does not resolve"
    REFUSED = "the port refuses the connection"
    RESET = "the connection is reset in the middle of the answer"


#: What the OS and httpx say for each (Linux, glibc).
_DNS = "[Errno -2] Name or service not known"
_REFUSED = "[Errno 111] Connection refused"
_RESET = "[Errno 104] Connection reset by peer"


class FaultyTransport(httpx.BaseTransport):
    """``inner`` (a fake), except that requests ``match`` picks fail with ``fault``.

    A reset happens after the fake has handled the request (the answer was lost on the
    way back, so a mutation did happen); DNS and refused fail before anything is sent.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        match: Callable[[httpx.Request], bool],
        fault: Fault,
    ) -> None:
        self.inner = inner
        self.match = match
        self.fault = fault
        #: The requests that failed, as "METHOD host/path".
        self.failed: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.match(request):
            return self.inner.handle_request(request)
        self.failed.append(f"{request.method} {request.url.host}{request.url.path}")
        if self.fault is Fault.DNS:
            raise httpx.ConnectError(_DNS, request=request)
        if self.fault is Fault.REFUSED:
            raise httpx.ConnectError(_REFUSED, request=request)
        response = self.inner.handle_request(request)
        response.close()
        raise httpx.ReadError(_RESET, request=request)

    def close(self) -> None:
        self.inner.close()


def unresolvable(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    """Make ``host`` fail to resolve in this process, as glibc fails (EAI_NONAME)."""
    real = socket.getaddrinfo

    def getaddrinfo(name: object, *args: object, **kwargs: object) -> object:
        if (
            isinstance(name, (str, bytes))
            and (name.decode() if isinstance(name, bytes) else name).lower() == host.lower()
        ):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def reset_server() -> Iterator[int]:
    """A loopback server that reads a request, starts an answer and resets the connection."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"partial": ')
                except OSError:
                    pass
                # SO_LINGER 0: close with RST, as a crashed or cut-off peer does.
                conn.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def assert_reported_network_failure(
    code: int, printed: str, summary: str, *, host: str, doing: str
) -> None:
    """Exit 1, an ``::error::`` naming the host and the call, a summary entry, no "bug"."""
    assert code == 1, printed
    errors = [line for line in printed.splitlines() if line.startswith("::error")]
    assert errors, printed
    error = errors[0]
    assert "Network error" in error, error
    assert host in error, error
    assert doing.lower() in error.lower(), error
    assert "Network error" in summary and host in summary, summary
    assert "This is a bug" not in printed + summary
    assert "Unexpected error" not in printed + summary
