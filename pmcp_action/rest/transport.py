"""A request that got no answer: what was being done, to which host, and whether it may
have happened anyway.

The retrying client raises :class:`TransportFailure` once its retries are spent (or at
once for a call it may not repeat), chained to httpx's own error. The call is named by the
request's ``pmcp_doing`` extension (:class:`~pmcp_action.rest.RestApi` sets it), else by
its method and path.
"""

from __future__ import annotations

import httpx

from ..errors import RemoteApiError

__all__ = [
    "DOING",
    "HINT",
    "TransportFailure",
    "describe_transport_error",
    "transport_failure",
]

#: The request extension that says, in words, what a call does ("uploading version 3").
DOING = "pmcp_doing"
#: The request extension that names where the endpoint comes from ("override: PMCP_API_URL").
HINT = "pmcp_hint"

#: Failures where the request certainly never reached the server.
NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
)


class TransportFailure(RemoteApiError):
    """No answer came back: the host could not be reached, or the connection broke."""

    title = "Network error"

    def __init__(
        self,
        message: str,
        *,
        host: str,
        doing: str,
        may_have_happened: bool,
        remediation: str = "",
    ) -> None:
        super().__init__(message, status=None, remediation=remediation)
        self.host = host
        self.doing = doing
        #: True when the request was sent and the server may have carried it out.
        self.may_have_happened = may_have_happened


def host_of(exc: httpx.TransportError) -> str:
    try:
        return exc.request.url.host or "the API"
    except RuntimeError:  # no request attached
        return "the API"


def describe_transport_error(exc: httpx.TransportError) -> str:
    """What a transport failure means, in words, with httpx's name for it in brackets."""
    host = host_of(exc)
    name = type(exc).__name__
    detail = str(exc).strip()
    if isinstance(exc, httpx.ConnectTimeout):
        text = f"{host} did not accept the connection in time"
    elif isinstance(exc, httpx.ConnectError):
        lowered = detail.lower()
        if (
            "name or service not known" in lowered
            or "nodename nor servname" in lowered
            or ("name resolution" in lowered or "getaddrinfo" in lowered)
        ):
            text = f"the host name {host} does not resolve"
        elif "refused" in lowered:
            text = f"{host} refused the connection"
        elif "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
            text = f"the TLS handshake with {host} failed"
        else:
            text = f"could not connect to {host}"
    elif isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)):
        text = f"{host} did not answer in time"
    elif isinstance(exc, httpx.RemoteProtocolError):
        text = f"the connection to {host} closed before it answered"
    elif isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        text = f"the connection to {host} broke"
    elif isinstance(exc, httpx.ProxyError):
        text = f"the proxy refused the connection to {host}"
    else:
        text = f"the request to {host} failed"
    return f"{text} ({name})"


def _doing(request: httpx.Request) -> str:
    given = request.extensions.get(DOING)
    if isinstance(given, str) and given:
        return given
    return f"{request.method} {request.url.copy_with(query=None)}"


def transport_failure(exc: httpx.TransportError, *, attempts: int = 1) -> TransportFailure:
    """The program's error for ``exc``; the request is the one attached to it."""
    try:
        request: httpx.Request | None = exc.request
    except RuntimeError:
        request = None
    host = host_of(exc)
    doing = _doing(request) if request is not None else "a request"
    sent = not isinstance(exc, NOT_SENT) and request is not None
    # A GET, or a POST marked as a read (a GraphQL query), changes nothing when it happens.
    reads = request is not None and (
        request.method == "GET" or request.extensions.get("pmcp_idempotent") is True
    )
    may_have_happened = sent and not reads
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    message = (
        f"{doing[:1].upper()}{doing[1:]} got no answer{tries}: {describe_transport_error(exc)}."
    )
    if may_have_happened:
        message += " The request was sent, so it may have been carried out."
    hint = request.extensions.get(HINT) if request is not None else None
    remediation = (
        f"Check that this runner can reach {host} (DNS, firewall, HTTPS_PROXY/NO_PROXY) and "
        "that any endpoint override points where you meant"
        + (f" ({hint})" if isinstance(hint, str) and hint else "")
        + "; then run again"
        + (", which reads what is there before it changes anything." if may_have_happened else ".")
    )
    return TransportFailure(
        message,
        host=host,
        doing=doing,
        may_have_happened=may_have_happened,
        remediation=remediation,
    )
