"""JSON-RPC over MCP streamable HTTP: one request or notification at a time.

POSTs each message with the conversation's headers (the handshake era's
``Mcp-Session-Id`` and ``MCP-Protocol-Version``, or the 2026-07-28 era's
``MCP-Protocol-Version`` and ``Mcp-Method`` on every request), follows 307/308
within the endpoint's origin, and takes the answer as JSON or as an event
stream. Every way a request can fail becomes :class:`~.outcome.AttemptFailed`
(or :class:`~.outcome.Protected` for 401/403); it never retries on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ..errors import InsecureEndpointError
from ..rest import TransportFailure, retry_after_seconds
from .outcome import AttemptFailed, Protected, Sent
from .protocol import ACCEPT, error_problem, is_id, jsonrpc_error, stateless_headers
from .response import EXCERPT_BYTES, describe_response, media_type
from .sse import iter_sse_data
from .timings import RoundTrips

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_REDIRECTS",
    "MIN_REQUEST_TIMEOUT",
    "REQUEST_TIMEOUT",
    "Transport",
]

#: Longest any single HTTP request may take (less when the deadline is nearer).
REQUEST_TIMEOUT = 15.0
#: Shortest timeout a request gets, even when the deadline has (nearly) passed.
MIN_REQUEST_TIMEOUT = 1.0
#: Largest response body read (a tools/list page with big schemas fits easily).
MAX_BODY_BYTES = 8 * 1024 * 1024
#: 307/308 redirects followed within the endpoint's origin.
MAX_REDIRECTS = 3

_JSON = "application/json"
_SSE = "text/event-stream"


def _within_origin(sent: httpx.URL, location: httpx.URL) -> bool:
    """Same scheme, host and port, or the https upgrade of the same host on default ports."""
    if (sent.scheme, sent.host, sent.port) == (location.scheme, location.host, location.port):
        return True
    return (
        sent.host == location.host
        and sent.scheme == "http"
        and sent.port is None
        and location.scheme == "https"
        and location.port is None
    )


class Transport:
    """The HTTP side of one MCP session: its headers, requests and answers."""

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        *,
        token: str,
        budget: Callable[[], float],
        clock: Callable[[], float],
        log: Callable[[str], None],
        trips: RoundTrips | None = None,
    ) -> None:
        self.client = client
        #: Where each answered request's time is noted (the verification's latency).
        self.trips = trips
        self.url = url
        self.token = token
        self.budget = budget
        self.clock = clock
        self.log = log
        self.session_id = ""
        #: Sent as ``MCP-Protocol-Version`` once the handshake settled it.
        self.protocol_version = ""
        #: Set for a 2026-07-28-era conversation: every request carries this
        #: version and its method in headers, and no session is kept.
        self.stateless_version = ""
        #: The conversation is open (initialize or server/discover answered).
        self.initialized = False
        #: How the last JSON-RPC response arrived (status, content type, body excerpt).
        self.last_got = ""
        #: The HTTP status of the last response received.
        self.last_status: int | None = None
        self._next_id = 0

    def close(self) -> None:
        """End the session politely (DELETE); a server may refuse (405), which is fine."""
        if not self.session_id:
            return
        try:
            response = self.client.delete(
                self.url, headers=self._headers(), timeout=min(5.0, self._timeout())
            )
            response.close()
        except (httpx.HTTPError, TransportFailure):
            pass
        self.session_id = ""

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _timeout(self, limit: float = REQUEST_TIMEOUT) -> float:
        return max(MIN_REQUEST_TIMEOUT, min(limit, self.budget()))

    def _headers(self, method: str = "", params: dict[str, Any] | None = None) -> dict[str, str]:
        headers = {"Accept": ACCEPT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.stateless_version:
            headers.update(stateless_headers(self.stateless_version, method, params))
            return headers
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
        if self.protocol_version:
            headers["MCP-Protocol-Version"] = self.protocol_version
        return headers

    def request(
        self, method: str, params: dict[str, Any], *, timeout: float = REQUEST_TIMEOUT
    ) -> dict[str, Any]:
        """Send one request and return its result; ``timeout`` caps this request's wait."""
        request_id = self._take_id()
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        sent = Sent("POST", self.url, method)
        result = self._post(message, sent, request_id, timeout)
        assert result is not None
        return result

    def notify(self, method: str) -> None:
        message = {"jsonrpc": "2.0", "method": method}
        self._post(message, Sent("POST", self.url, method), None, REQUEST_TIMEOUT)

    def _post(
        self, message: dict[str, Any], sent: Sent, request_id: int | None, limit: float
    ) -> dict[str, Any] | None:
        body = json.dumps(message, separators=(",", ":")).encode()
        params = message.get("params")
        headers = self._headers(
            str(message["method"]), params if isinstance(params, dict) else None
        )
        headers["Content-Type"] = _JSON
        timeout = self._timeout(limit)
        ends_at = self.clock() + timeout
        request = self.client.build_request(
            "POST", self.url, content=body, headers=headers, timeout=timeout
        )
        sent_at = self.trips.sending() if self.trips is not None else 0.0
        try:
            response = self._send_following(request, sent)
        except InsecureEndpointError as exc:
            raise self._fail(sent, "a redirect", exc.message, kind="insecure redirect") from exc
        except TransportFailure as failure:
            cause = failure.__cause__ if isinstance(failure.__cause__, Exception) else failure
            raise self._fail(
                sent,
                f"no response ({type(cause).__name__}: {cause})",
                "",
                kind=type(cause).__name__,
            ) from cause
        answered = False
        try:
            result = self._handle(response, sent, request_id, ends_at)
            answered = result is not None
            return result
        except AttemptFailed as exc:
            exc.status = response.status_code
            raise
        except httpx.HTTPError as exc:
            raise self._fail(
                sent,
                f"HTTP {response.status_code}, then the body failed ({type(exc).__name__}: {exc})",
                "",
                kind=type(exc).__name__,
            ) from exc
        finally:
            response.close()
            if self.trips is not None:
                self.trips.answered(sent_at, result=answered)

    def _send_following(self, request: httpx.Request, sent: Sent) -> httpx.Response:
        """Send, following 307/308 within the endpoint's origin (trailing-slash fixes)."""
        for _hop in range(MAX_REDIRECTS + 1):
            response = self.client.send(request, stream=True)
            follow = response.next_request
            if (
                response.status_code not in (307, 308)
                or follow is None
                or follow.method != request.method
                or not _within_origin(request.url, follow.url)
            ):
                return response
            response.read()
            response.close()
            self.log(f"MCP verify: {request.url} redirects to {follow.url}; following")
            self.url = str(follow.url)
            request = follow
        return response

    def _fail(self, sent: Sent, got: str, problem: str, *, kind: str, **kw: Any) -> AttemptFailed:
        return AttemptFailed(
            sent,
            got,
            problem,
            kind=kind,
            after_initialize=self.initialized,
            stateless_version=self.stateless_version,
            protocol_version=self.protocol_version,
            **kw,
        )

    def _read_body(self, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                break
        return b"".join(chunks)

    def _handle(
        self, response: httpx.Response, sent: Sent, request_id: int | None, ends_at: float
    ) -> dict[str, Any] | None:
        status = response.status_code
        self.last_status = status
        media = media_type(response)
        if status in (401, 403):
            body = self._read_body(response)
            raise Protected(
                sent,
                describe_response(response, body),
                status,
                response.headers.get("www-authenticate", ""),
            )
        if not 200 <= status < 300:
            body = self._read_body(response)
            got = describe_response(response, body)
            if 300 <= status < 400:
                location = response.headers.get("location", "")
                problem = (
                    f"the server redirects to {location or '(no Location)'}, which is not "
                    "followed (it leaves the endpoint's origin or changes the method); "
                    "set verify-url to the final MCP endpoint"
                )
                raise self._fail(sent, got, problem, kind=f"HTTP {status}")
            problem, final = "", False
            error = jsonrpc_error(body) if media == _JSON else None
            if error is not None:
                problem, final = error_problem(error)
            elif status == 404 and self.session_id:
                problem = "the server no longer knows the session (404 after initialize)"
            elif status == 404:
                problem = "nothing answers at this path; is it the MCP endpoint's URL?"
            elif status == 405:
                problem = "the URL does not accept POST; is it the MCP endpoint's URL?"
            elif status in (406, 415):
                problem = (
                    "the server refused the request's media types; it should accept "
                    f"Content-Type {_JSON} and Accept: {ACCEPT}"
                )
            raise self._fail(
                sent,
                got,
                problem,
                kind=f"HTTP {status}",
                final=final,
                retry_after=retry_after_seconds(response.headers) if status in (429, 503) else None,
                error=error,
            )
        if request_id is None:  # a notification: 202 Accepted (any 2xx will do)
            return None
        if status == 202:
            body = self._read_body(response)
            raise self._fail(
                sent,
                describe_response(response, body),
                "the server answered a request with 202 Accepted and no JSON-RPC response",
                kind="protocol error",
            )
        if sent.rpc_method == "initialize":
            session_id = response.headers.get("mcp-session-id", "")
            if session_id and not all(0x21 <= ord(c) <= 0x7E for c in session_id):
                raise self._fail(
                    sent,
                    describe_response(response, b""),
                    "the Mcp-Session-Id header has characters outside visible ASCII",
                    kind="protocol error",
                )
            self.session_id = session_id
        if media == _JSON:
            body = self._read_body(response)
            return self._from_json(body, response, sent, request_id)
        if media == _SSE:
            return self._from_sse(response, sent, request_id, ends_at)
        body = self._read_body(response)
        raise self._fail(
            sent,
            describe_response(response, body),
            f"expected Content-Type {_JSON} or {_SSE}",
            kind=f"HTTP {status} {media or 'no content type'}",
        )

    def _from_json(
        self, body: bytes, response: httpx.Response, sent: Sent, request_id: int
    ) -> dict[str, Any]:
        if len(body) > MAX_BODY_BYTES:
            raise self._fail(
                sent,
                describe_response(response, body),
                f"the response is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB",
                kind="response too large",
            )
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise self._fail(
                sent,
                describe_response(response, body),
                f"the body is not valid JSON ({exc})",
                kind="invalid JSON",
            ) from exc
        messages = payload if isinstance(payload, list) else [payload]
        for message in messages:
            if isinstance(message, dict) and is_id(message.get("id"), request_id):
                return self._result(message, sent, describe_response(response, body))
        raise self._fail(
            sent,
            describe_response(response, body),
            f"no JSON-RPC response with id {request_id} in the body",
            kind="not JSON-RPC",
        )

    def _from_sse(
        self, response: httpx.Response, sent: Sent, request_id: int, ends_at: float
    ) -> dict[str, Any]:
        raw = bytearray()
        size = 0

        def lines() -> Iterator[str]:
            nonlocal size
            for line in response.iter_lines():
                size += len(line) + 1
                if len(raw) < EXCERPT_BYTES:
                    raw.extend(line.encode() + b"\n")
                if size > MAX_BODY_BYTES:
                    raise self._fail(
                        sent,
                        describe_response(response, bytes(raw)),
                        f"the event stream is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB "
                        "without a response",
                        kind="response too large",
                    )
                if self.clock() > ends_at:
                    raise self._fail(
                        sent,
                        describe_response(response, bytes(raw)),
                        "the event stream sent no response before the request timeout",
                        kind="SSE timeout",
                    )
                yield line

        for data in iter_sse_data(lines()):
            try:
                message = json.loads(data)
            except (ValueError, RecursionError) as exc:
                raise self._fail(
                    sent,
                    describe_response(response, bytes(raw)),
                    f"an event's data is not valid JSON ({exc})",
                    kind="invalid JSON in SSE",
                ) from exc
            if (
                isinstance(message, dict)
                and is_id(message.get("id"), request_id)
                and ("result" in message or "error" in message)
            ):
                return self._result(message, sent, describe_response(response, bytes(raw)))
            # Server notifications (progress, logging) and requests: not ours to answer.
        raise self._fail(
            sent,
            describe_response(response, bytes(raw)),
            f"the event stream ended without a JSON-RPC response to id {request_id}",
            kind="SSE without response",
        )

    def _result(self, message: dict[str, Any], sent: Sent, got: str) -> dict[str, Any]:
        self.last_got = got
        if message.get("jsonrpc") != "2.0":
            raise self._fail(sent, got, 'the message lacks "jsonrpc": "2.0"', kind="not JSON-RPC")
        error = message.get("error")
        if error is not None:
            problem, final = error_problem(error)
            code = error.get("code") if isinstance(error, dict) else None
            raise self._fail(
                sent,
                got,
                problem,
                kind=f"JSON-RPC error {code}",
                final=final,
                error=error if isinstance(error, dict) else {"message": str(error)},
            )
        result = message.get("result")
        if not isinstance(result, dict):
            raise self._fail(
                sent, got, "the JSON-RPC response has no result object", kind="not JSON-RPC"
            )
        return result
