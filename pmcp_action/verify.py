"""Prove that a deployed MCP server works by speaking MCP to it.

A small client for the MCP streamable HTTP transport, built on the action's
own httpx client (see ``benchmarks/verify_client.md`` for why not the ``mcp``
SDK's client): ``initialize`` → ``notifications/initialized`` → ``tools/list``
(following ``nextCursor``), with JSON or SSE (``text/event-stream``) answers,
``Mcp-Session-Id`` echoed back and ``MCP-Protocol-Version`` sent after the
handshake. A fresh session is opened per attempt; attempts repeat with backoff
until the verification deadline, because a freshly deployed server is often
still cold (connection refused, 502/503/504, 429, a proxy's HTML page).

:func:`verify_server` never raises for anything the server does: it returns a
:class:`~pmcp_action.result.Verification` whose ``detail`` says what was sent,
what came back and how to reproduce it with curl.
"""

from __future__ import annotations

import json
import random
import shlex
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from . import __version__
from .deadline import Deadline
from .errors import InsecureEndpointError
from .http import HttpClientFactory, RetryPolicy
from .redact import Redactor
from .result import Verification
from .urls import endpoint_problem

__all__ = [
    "LATEST_PROTOCOL_VERSION",
    "STATELESS_PROTOCOL_VERSIONS",
    "SUPPORTED_PROTOCOL_VERSIONS",
    "VerifyOptions",
    "curl_command",
    "initialize_payload",
    "verify_server",
]

#: Protocol revisions reachable through the ``initialize`` handshake, newest
#: first (mcp 2.3's ``mcp_types.version.HANDSHAKE_PROTOCOL_VERSIONS``). We
#: offer the newest and accept any of these in the server's answer.
SUPPORTED_PROTOCOL_VERSIONS: tuple[str, ...] = (
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
)
LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[0]
#: Revisions of the stateless per-request era (no ``initialize``; mcp 2.3's
#: ``MODERN_PROTOCOL_VERSIONS``). Known so a server that speaks only these is
#: reported as such instead of as garbage.
STATELESS_PROTOCOL_VERSIONS: tuple[str, ...] = ("2026-07-28",)

CLIENT_NAME = "pmcp-deploy-action"
ACCEPT = "application/json, text/event-stream"
#: Longest any single HTTP request may take (less when the deadline is nearer).
REQUEST_TIMEOUT = 15.0
#: Shortest timeout a request gets, even when the deadline has (nearly) passed.
MIN_REQUEST_TIMEOUT = 1.0
#: Largest response body read (a tools/list page with big schemas fits easily).
MAX_BODY_BYTES = 8 * 1024 * 1024
#: How much of an unexpected body a failure report quotes.
EXCERPT_BYTES = 300
#: tools/list pages followed before giving up on a server that never ends.
MAX_PAGES = 200
#: 307/308 redirects followed within the endpoint's origin.
MAX_REDIRECTS = 3
FIRST_RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 10.0
#: Names listed in a report before "and N more".
MAX_NAMES_SHOWN = 40

_JSON = "application/json"
_SSE = "text/event-stream"
_UNSUPPORTED_PROTOCOL_VERSION = -32022


@dataclass(frozen=True)
class VerifyOptions:
    #: The MCP endpoint (verify-url, or the deployed URL).
    url: str
    #: Overall verification deadline (verify-timeout-seconds).
    timeout_seconds: float = 120
    #: Sent as ``Authorization: Bearer …`` when set (verify-bearer-token).
    bearer_token: str = ""
    #: Tool names that must appear in tools/list (verify-tools).
    required_tools: tuple[str, ...] = ()
    #: verify: strict — a server protected by OAuth is a failure, not a skip.
    strict: bool = False


def initialize_payload(request_id: int = 1) -> dict[str, Any]:
    """The JSON-RPC ``initialize`` request this client sends."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": LATEST_PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": CLIENT_NAME, "version": __version__},
        },
    }


# --- outcomes of one attempt -------------------------------------------------


@dataclass(frozen=True)
class _Sent:
    """One request as a report names it."""

    http_method: str
    url: str
    rpc_method: str

    def describe(self) -> str:
        rpc = f" (JSON-RPC {self.rpc_method})" if self.rpc_method else ""
        return f"{self.http_method} {self.url}{rpc}"


class _AttemptFailed(Exception):
    """This attempt did not prove the server works."""

    def __init__(
        self,
        sent: _Sent,
        got: str,
        problem: str,
        *,
        kind: str,
        final: bool = False,
        retry_after: float | None = None,
        after_initialize: bool = False,
    ) -> None:
        super().__init__(problem)
        self.sent = sent
        self.got = got
        self.problem = problem
        #: Short class of failure, counted in the attempt history.
        self.kind = kind
        #: No point retrying: the server answered clearly and will answer the same.
        self.final = final
        self.retry_after = retry_after
        self.after_initialize = after_initialize


class _Protected(Exception):
    """The server demanded authorization (401/403)."""

    def __init__(self, sent: _Sent, got: str, status: int, www_authenticate: str) -> None:
        super().__init__(got)
        self.sent = sent
        self.got = got
        self.status = status
        self.www_authenticate = www_authenticate


@dataclass(frozen=True)
class _Listing:
    server_name: str
    server_version: str
    protocol_version: str
    tools: tuple[str, ...]
    has_tools_capability: bool


# --- small helpers -----------------------------------------------------------


_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {10: "\\n", 13: "\\r", 9: "\\t"}


def _excerpt(body: bytes) -> str:
    """The start of a body on one line, control characters escaped."""
    text = body[:EXCERPT_BYTES].decode("utf-8", errors="replace").translate(_CONTROL)
    return text + ("…" if len(body) > EXCERPT_BYTES else "")


def _describe_response(response: httpx.Response, body: bytes) -> str:
    content_type = response.headers.get("content-type", "") or "(none)"
    text = f"HTTP {response.status_code}, Content-Type {content_type}"
    if body:
        text += f", body (first {EXCERPT_BYTES} bytes): {_excerpt(body)}"
    else:
        text += ", empty body"
    return text


def _media_type(response: httpx.Response) -> str:
    content_type = str(response.headers.get("content-type", ""))
    return content_type.split(";")[0].strip().lower()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date; the backoff is good enough


def _auth_param(header: str, name: str) -> str:
    """A parameter of a ``WWW-Authenticate`` challenge (RFC 9110 auth-param), or ""."""
    lowered = header.lower()
    key = name.lower() + "="
    start = 0
    while (index := lowered.find(key, start)) >= 0:
        start = index + len(key)
        if index > 0 and lowered[index - 1] not in " ,\t":
            continue
        rest = header[start:]
        if rest.startswith('"'):
            end = rest.find('"', 1)
            return rest[1:end] if end > 0 else rest[1:]
        return rest.split(",")[0].strip()
    return ""


def _names(names: tuple[str, ...] | list[str]) -> str:
    if not names:
        return "(none)"
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    if len(names) > MAX_NAMES_SHOWN:
        shown += f" and {len(names) - MAX_NAMES_SHOWN} more"
    return shown


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


def _iter_sse_data(lines: Iterator[str]) -> Iterator[str]:
    """The ``data`` of each server-sent event (lines joined by newlines)."""
    data: list[str] = []
    for line in lines:
        if line == "":
            if any(data):  # an empty data field (a priming event) dispatches nothing
                yield "\n".join(data)
            data = []
            continue
        if line.startswith(":"):
            continue  # a comment / keep-alive
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
    if any(data):
        yield "\n".join(data)


def _is_id(value: Any, request_id: int) -> bool:
    """Whether a message's id is ours (``true`` and ``1.0`` are not ``1``)."""
    return type(value) is int and value == request_id


def _jsonrpc_error(body: bytes) -> dict[str, Any] | None:
    """The ``error`` member of a JSON-RPC error response body, or None."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        error: dict[str, Any] = payload["error"]
        return error
    return None


def _error_problem(error: Any) -> tuple[str, bool]:
    """How to report a JSON-RPC error, and whether retrying is pointless."""
    fields = error if isinstance(error, dict) else {}
    code, text, data = fields.get("code"), fields.get("message"), fields.get("data")
    problem = f"JSON-RPC error {code}: {text}"
    if code != _UNSUPPORTED_PROTOCOL_VERSION or not isinstance(data, dict):
        return problem, False
    supported = data.get("supported")
    if not isinstance(supported, list) or not supported:
        return problem, False
    problem += f" (the server supports {', '.join(map(str, supported))})"
    if set(supported) & set(SUPPORTED_PROTOCOL_VERSIONS):
        return problem, False
    if set(supported) & set(STATELESS_PROTOCOL_VERSIONS):
        problem += (
            "; it speaks only the stateless protocol era (no initialize handshake), "
            "which this verifier does not speak yet"
        )
    return problem, True


def curl_command(
    url: str, payload: dict[str, Any], *, token: bool, extra_headers: tuple[str, ...] = ()
) -> str:
    """A ready curl line that POSTs ``payload``; a token appears only as ``$TOKEN``."""
    parts = ["curl -sS -X POST", shlex.quote(url)]
    parts.append("-H 'Content-Type: application/json'")
    parts.append(f"-H '{'Accept: ' + ACCEPT}'")
    parts.extend(extra_headers)
    if token:
        parts.append('-H "Authorization: Bearer $TOKEN"')
    parts.append("-d " + shlex.quote(json.dumps(payload, separators=(",", ":"))))
    return " ".join(parts)


# --- one MCP session over streamable HTTP --------------------------------------


class _Session:
    """One initialize → tools/list conversation; never retries on its own."""

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        *,
        token: str,
        budget: Callable[[], float],
        clock: Callable[[], float],
        log: Callable[[str], None],
    ) -> None:
        self.client = client
        self.url = url
        self.token = token
        self.budget = budget
        self.clock = clock
        self.log = log
        self.session_id = ""
        self.protocol_version = ""
        self.initialized = False
        #: How the last JSON-RPC response arrived (status, content type, body excerpt).
        self.last_got = ""
        self._next_id = 0

    # -- the conversation --

    def run(self) -> _Listing:
        try:
            return self._run()
        finally:
            self.close()

    def _run(self) -> _Listing:
        init = self.request("initialize", initialize_payload()["params"])
        sent = _Sent("POST", self.url, "initialize")
        version = init.get("protocolVersion")
        info = init.get("serverInfo")
        capabilities = init.get("capabilities")
        if not isinstance(version, str) or not isinstance(capabilities, dict):
            raise _AttemptFailed(
                sent,
                self.last_got,
                "the initialize result lacks protocolVersion (string) or capabilities (object)",
                kind="invalid initialize result",
            )
        if not isinstance(info, dict) or not isinstance(info.get("name"), str):
            raise _AttemptFailed(
                sent,
                self.last_got,
                "the initialize result lacks serverInfo.name",
                kind="invalid initialize result",
            )
        if version not in SUPPORTED_PROTOCOL_VERSIONS:
            raise _AttemptFailed(
                sent,
                self.last_got,
                f"the server chose protocol version {version!r}, which this verifier does not "
                f"speak (it offered {LATEST_PROTOCOL_VERSION} and accepts "
                f"{', '.join(SUPPORTED_PROTOCOL_VERSIONS)})",
                kind="unsupported protocol version",
                final=True,
            )
        self.protocol_version = version
        self.initialized = True
        server_version = info.get("version")
        listing_name = str(info["name"])
        listing_version = server_version if isinstance(server_version, str) else ""
        self.log(
            f"MCP verify: initialize OK: {listing_name} {listing_version} (protocol {version}"
            + (", session" if self.session_id else ", no session")
            + ")"
        )
        self.notify("notifications/initialized")
        has_tools = capabilities.get("tools") is not None
        tools = self.list_tools() if has_tools else ()
        return _Listing(listing_name, listing_version, version, tools, has_tools)

    def list_tools(self) -> tuple[str, ...]:
        names: list[str] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _page in range(MAX_PAGES):
            params: dict[str, Any] = {} if cursor is None else {"cursor": cursor}
            result = self.request("tools/list", params)
            sent = _Sent("POST", self.url, "tools/list")
            tools = result.get("tools")
            if not isinstance(tools, list):
                raise _AttemptFailed(
                    sent,
                    self.last_got,
                    "the tools/list result has no tools array",
                    kind="invalid tools/list result",
                    after_initialize=True,
                )
            for tool in tools:
                if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                    raise _AttemptFailed(
                        sent,
                        self.last_got,
                        f"a tools/list entry has no name: {_excerpt(json.dumps(tool).encode())}",
                        kind="invalid tools/list result",
                        after_initialize=True,
                    )
                names.append(tool["name"])
            next_cursor = result.get("nextCursor")
            if next_cursor is None or next_cursor == "":
                return tuple(names)
            if not isinstance(next_cursor, str) or next_cursor in seen:
                raise _AttemptFailed(
                    sent,
                    self.last_got,
                    "the server's nextCursor is not a string or repeats an earlier one "
                    "(pagination would never end)",
                    kind="invalid tools/list pagination",
                    after_initialize=True,
                )
            seen.add(next_cursor)
            cursor = next_cursor
        raise _AttemptFailed(
            _Sent("POST", self.url, "tools/list"),
            f"{MAX_PAGES} pages, {len(names)} tools so far",
            f"tools/list was still paginating after {MAX_PAGES} pages",
            kind="invalid tools/list pagination",
            after_initialize=True,
        )

    def close(self) -> None:
        """End the session politely (DELETE); a server may refuse (405), which is fine."""
        if not self.session_id:
            return
        try:
            response = self.client.delete(
                self.url, headers=self._headers(), timeout=min(5.0, self._timeout())
            )
            response.close()
        except httpx.HTTPError:
            pass
        self.session_id = ""

    # -- JSON-RPC over streamable HTTP --

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _timeout(self) -> float:
        return max(MIN_REQUEST_TIMEOUT, min(REQUEST_TIMEOUT, self.budget()))

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": ACCEPT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
        if self.protocol_version:
            headers["MCP-Protocol-Version"] = self.protocol_version
        return headers

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        request_id = self._take_id()
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        sent = _Sent("POST", self.url, method)
        result = self._post(message, sent, request_id)
        assert result is not None
        return result

    def notify(self, method: str) -> None:
        self._post({"jsonrpc": "2.0", "method": method}, _Sent("POST", self.url, method), None)

    def _post(
        self, message: dict[str, Any], sent: _Sent, request_id: int | None
    ) -> dict[str, Any] | None:
        body = json.dumps(message, separators=(",", ":")).encode()
        headers = self._headers()
        headers["Content-Type"] = _JSON
        timeout = self._timeout()
        ends_at = self.clock() + timeout
        request = self.client.build_request(
            "POST", self.url, content=body, headers=headers, timeout=timeout
        )
        try:
            response = self._send_following(request, sent)
        except InsecureEndpointError as exc:
            raise self._fail(sent, "a redirect", exc.message, kind="insecure redirect") from exc
        except httpx.HTTPError as exc:
            raise self._fail(
                sent, f"no response ({type(exc).__name__}: {exc})", "", kind=type(exc).__name__
            ) from exc
        try:
            return self._handle(response, sent, request_id, ends_at)
        except httpx.HTTPError as exc:
            raise self._fail(
                sent,
                f"HTTP {response.status_code}, then the body failed ({type(exc).__name__}: {exc})",
                "",
                kind=type(exc).__name__,
            ) from exc
        finally:
            response.close()

    def _send_following(self, request: httpx.Request, sent: _Sent) -> httpx.Response:
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

    def _fail(self, sent: _Sent, got: str, problem: str, *, kind: str, **kw: Any) -> _AttemptFailed:
        return _AttemptFailed(
            sent, got, problem, kind=kind, after_initialize=self.initialized, **kw
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
        self, response: httpx.Response, sent: _Sent, request_id: int | None, ends_at: float
    ) -> dict[str, Any] | None:
        status = response.status_code
        media = _media_type(response)
        if status in (401, 403):
            body = self._read_body(response)
            raise _Protected(
                sent,
                _describe_response(response, body),
                status,
                response.headers.get("www-authenticate", ""),
            )
        if not 200 <= status < 300:
            body = self._read_body(response)
            got = _describe_response(response, body)
            if 300 <= status < 400:
                location = response.headers.get("location", "")
                problem = (
                    f"the server redirects to {location or '(no Location)'}, which is not "
                    "followed (it leaves the endpoint's origin or changes the method); "
                    "set verify-url to the final MCP endpoint"
                )
                raise self._fail(sent, got, problem, kind=f"HTTP {status}")
            problem, final = "", False
            error = _jsonrpc_error(body) if media == _JSON else None
            if error is not None:
                problem, final = _error_problem(error)
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
                retry_after=_retry_after(response) if status in (429, 503) else None,
            )
        if request_id is None:  # a notification: 202 Accepted (any 2xx will do)
            return None
        if status == 202:
            body = self._read_body(response)
            raise self._fail(
                sent,
                _describe_response(response, body),
                "the server answered a request with 202 Accepted and no JSON-RPC response",
                kind="protocol error",
            )
        if sent.rpc_method == "initialize":
            session_id = response.headers.get("mcp-session-id", "")
            if session_id and not all(0x21 <= ord(c) <= 0x7E for c in session_id):
                raise self._fail(
                    sent,
                    _describe_response(response, b""),
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
            _describe_response(response, body),
            f"expected Content-Type {_JSON} or {_SSE}",
            kind=f"HTTP {status} {media or 'no content type'}",
        )

    def _from_json(
        self, body: bytes, response: httpx.Response, sent: _Sent, request_id: int
    ) -> dict[str, Any]:
        if len(body) > MAX_BODY_BYTES:
            raise self._fail(
                sent,
                _describe_response(response, body),
                f"the response is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB",
                kind="response too large",
            )
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise self._fail(
                sent,
                _describe_response(response, body),
                f"the body is not valid JSON ({exc})",
                kind="invalid JSON",
            ) from exc
        messages = payload if isinstance(payload, list) else [payload]
        for message in messages:
            if isinstance(message, dict) and _is_id(message.get("id"), request_id):
                return self._result(message, sent, _describe_response(response, body))
        raise self._fail(
            sent,
            _describe_response(response, body),
            f"no JSON-RPC response with id {request_id} in the body",
            kind="not JSON-RPC",
        )

    def _from_sse(
        self, response: httpx.Response, sent: _Sent, request_id: int, ends_at: float
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
                        _describe_response(response, bytes(raw)),
                        f"the event stream is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB "
                        "without a response",
                        kind="response too large",
                    )
                if self.clock() > ends_at:
                    raise self._fail(
                        sent,
                        _describe_response(response, bytes(raw)),
                        "the event stream sent no response before the request timeout",
                        kind="SSE timeout",
                    )
                yield line

        for data in _iter_sse_data(lines()):
            try:
                message = json.loads(data)
            except (ValueError, RecursionError) as exc:
                raise self._fail(
                    sent,
                    _describe_response(response, bytes(raw)),
                    f"an event's data is not valid JSON ({exc})",
                    kind="invalid JSON in SSE",
                ) from exc
            if (
                isinstance(message, dict)
                and _is_id(message.get("id"), request_id)
                and ("result" in message or "error" in message)
            ):
                return self._result(message, sent, _describe_response(response, bytes(raw)))
            # Server notifications (progress, logging) and requests: not ours to answer.
        raise self._fail(
            sent,
            _describe_response(response, bytes(raw)),
            f"the event stream ended without a JSON-RPC response to id {request_id}",
            kind="SSE without response",
        )

    def _result(self, message: dict[str, Any], sent: _Sent, got: str) -> dict[str, Any]:
        self.last_got = got
        if message.get("jsonrpc") != "2.0":
            raise self._fail(sent, got, 'the message lacks "jsonrpc": "2.0"', kind="not JSON-RPC")
        error = message.get("error")
        if error is not None:
            problem, final = _error_problem(error)
            code = error.get("code") if isinstance(error, dict) else None
            raise self._fail(sent, got, problem, kind=f"JSON-RPC error {code}", final=final)
        result = message.get("result")
        if not isinstance(result, dict):
            raise self._fail(
                sent, got, "the JSON-RPC response has no result object", kind="not JSON-RPC"
            )
        return result


# --- the retry loop and the report ---------------------------------------------


def verify_server(
    options: VerifyOptions,
    *,
    http: HttpClientFactory,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda _m: None,
    clock: Callable[[], float] = time.monotonic,
) -> Verification:
    """Speak MCP to ``options.url`` until it proves itself or the deadline passes.

    Returns status "true" (initialize and tools/list worked and every required
    tool is listed), "false" (with a detail saying what was sent, what came
    back and a curl line to reproduce it) or "skipped" (protected by OAuth and
    no usable token; "false" in strict mode). Never raises for the server's
    behaviour.
    """
    if options.timeout_seconds <= 0:
        raise ValueError("timeout_seconds must be positive")
    redactor = Redactor()
    if options.bearer_token:
        redactor.add(options.bearer_token)

    def say(message: str) -> None:
        log(redactor.redact(message))

    def done(**fields: Any) -> Verification:
        fields["detail"] = redactor.redact(str(fields.get("detail", "")))
        return Verification(url=options.url, **fields)

    problem = endpoint_problem(options.url, "verify URL")
    if problem is not None:
        return done(status="false", detail=f"Cannot verify: {problem.render()}.")

    deadline = Deadline(options.timeout_seconds, clock=clock)
    started = clock()
    kinds: list[str] = []
    failure: _AttemptFailed | None = None
    delay = FIRST_RETRY_DELAY
    say(f"MCP verify: {options.url} (deadline {options.timeout_seconds:.0f} s)")
    with http(timeout=REQUEST_TIMEOUT, policy=RetryPolicy(attempts=1)) as client:
        while True:
            session = _Session(
                client,
                options.url,
                token=options.bearer_token,
                budget=deadline.remaining,
                clock=clock,
                log=say,
            )
            try:
                listing = session.run()
            except _Protected as protected:
                return done(**_protected_fields(protected, options))
            except _AttemptFailed as exc:
                failure = exc
                kinds.append(exc.kind)
                if exc.final or deadline.expired:
                    break
                wait = delay * random.uniform(0.8, 1.0)
                if exc.retry_after is not None:
                    wait = max(wait, exc.retry_after)
                wait = min(wait, deadline.remaining())
                say(
                    f"MCP verify: attempt {len(kinds)}: {exc.sent.describe()}: "
                    f"{exc.problem or exc.got}; retrying in {wait:.1f} s"
                )
                sleep(wait)
                delay = min(delay * 2, MAX_RETRY_DELAY)
                continue
            attempts = len(kinds) + 1
            return done(**_listing_fields(listing, options, attempts, clock() - started))
    assert failure is not None
    return done(
        status="false",
        detail=_failure_detail(failure, options, kinds, clock() - started),
    )


def _listing_fields(
    listing: _Listing, options: VerifyOptions, attempts: int, seconds: float
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "server_name": listing.server_name,
        "server_version": listing.server_version,
        "protocol_version": listing.protocol_version,
        "tools": listing.tools,
    }
    tried = f"{attempts} attempt{'s' if attempts != 1 else ''} in {seconds:.1f} s"
    server = f"{listing.server_name} {listing.server_version}".strip()
    missing = [name for name in options.required_tools if name not in listing.tools]
    if missing:
        detail = (
            f"{server} at {options.url} answered MCP (protocol {listing.protocol_version}) "
            f"but lacks required tool{'s' if len(missing) != 1 else ''}: {_names(missing)}. "
            f"It lists {len(listing.tools)}: {_names(listing.tools)}."
        )
        if not listing.has_tools_capability:
            detail += " (It declares no tools capability, so tools/list was not called.)"
        return {**fields, "status": "false", "detail": detail}
    detail = (
        f"{server} at {options.url}: initialize and tools/list OK "
        f"(protocol {listing.protocol_version}, {len(listing.tools)} "
        f"tool{'s' if len(listing.tools) != 1 else ''}; {tried})."
    )
    if not listing.has_tools_capability:
        detail += " The server declares no tools capability; tools/list was not called."
    return {**fields, "status": "true", "detail": detail}


def _protected_fields(protected: _Protected, options: VerifyOptions) -> dict[str, Any]:
    challenge = protected.www_authenticate
    metadata = _auth_param(challenge, "resource_metadata") if challenge else ""
    lines: list[str] = []
    if options.bearer_token:
        lines.append(
            f"The server at {options.url} rejected the verify-bearer-token "
            f"(HTTP {protected.status}); tools/list was not checked."
        )
        error = _auth_param(challenge, "error") if challenge else ""
        if error:
            lines.append(f"Its error: {error}.")
    else:
        lines.append(
            f"The server at {options.url} is protected (HTTP {protected.status}"
            + (", WWW-Authenticate" if challenge else "")
            + "); tools/list was not checked."
        )
    if challenge:
        lines.append(f"WWW-Authenticate: {challenge}")
    if metadata:
        lines.append(f"OAuth protected-resource metadata: {metadata}")
    lines.append(f"Sent: {protected.sent.describe()}")
    lines.append(f"Got: {protected.got}")
    if options.strict:
        lines.append("verify is strict, so a protected server fails verification.")
    elif options.bearer_token:
        lines.append("Give a valid token in verify-bearer-token to verify this server.")
    else:
        lines.append(
            "Give a token in verify-bearer-token to verify it, or set verify: strict to "
            "fail on protected servers."
        )
    return {
        "status": "false" if options.strict else "skipped",
        "protection": "protected",
        "detail": "\n".join(lines),
    }


def _failure_detail(
    failure: _AttemptFailed, options: VerifyOptions, kinds: list[str], seconds: float
) -> str:
    attempts = len(kinds)
    tried = f"{attempts} attempt{'s' if attempts != 1 else ''} in {seconds:.1f} s"
    if failure.final:
        head = f"MCP verification of {options.url} failed ({tried})."
    else:
        head = (
            f"MCP verification of {options.url} failed: no working answer within "
            f"{options.timeout_seconds:.0f} s ({tried})."
        )
    lines = [head]
    if failure.problem:
        lines.append(f"Problem: {failure.problem}")
    lines.append(f"Sent: {failure.sent.describe()}")
    lines.append(f"Got: {failure.got}")
    if attempts > 1:
        counts = Counter(kinds)
        lines.append("Attempts: " + ", ".join(f"{n}× {kind}" for kind, n in counts.items()))
    token = bool(options.bearer_token)
    lines.append("Reproduce: " + curl_command(options.url, initialize_payload(), token=token))
    if failure.after_initialize:
        followup = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
        lines.append(
            "then, with the Mcp-Session-Id header of that answer (if any): "
            + curl_command(
                options.url,
                followup,
                token=token,
                extra_headers=(
                    '-H "Mcp-Session-Id: $SESSION_ID"',
                    f"-H 'MCP-Protocol-Version: {LATEST_PROTOCOL_VERSION}'",
                ),
            )
        )
    return "\n".join(lines)
