"""The one way this program makes HTTP requests.

:class:`HttpClientFactory` builds :class:`RetryingClient` instances: httpx
clients with timeouts, a user agent carrying the version, proxies from the
environment, the https-only endpoint rule, and retries with full-jitter
exponential backoff on 429, 5xx and connection errors, honouring
``Retry-After``. Tests pass a ``transport`` (e.g. ``httpx.MockTransport``
over a fake) to swap the network, never globals.
"""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from . import __version__
from .deadline import Deadline
from .rest.retry_after import retry_after_seconds
from .rest.transport import NOT_SENT, TransportFailure, host_of, transport_failure
from .urls import check_endpoint

__all__ = [
    "USER_AGENT",
    "HttpClientFactory",
    "RetryPolicy",
    "RetryingClient",
    "transient_reason",
]

USER_AGENT = f"pmcp-deploy-action/{__version__} httpx/{httpx.__version__}"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def transient_reason(exc: Exception) -> str | None:
    """Why ``exc`` is a passing failure worth another poll, or None when it is not.

    Transport errors (timeouts, dropped connections) and answers with a retry
    status count; a 4xx or a domain error does not.
    """
    from .errors import RemoteApiError

    cause = exc.__cause__ if isinstance(exc, TransportFailure) else exc
    if isinstance(cause, httpx.TransportError):
        return f"{type(cause).__name__} talking to {host_of(cause)}"
    if isinstance(exc, TransportFailure):
        return f"no answer from {exc.host}"
    if isinstance(exc, RemoteApiError) and exc.status in RETRY_STATUSES:
        return f"HTTP {exc.status}"
    if isinstance(exc.__cause__, httpx.TransportError):
        return f"{type(exc.__cause__).__name__} talking to {host_of(exc.__cause__)}"
    return None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform between 0 and the capped exponential."""
        return random.uniform(0.0, min(self.max_delay, self.base_delay * (2**attempt)))


class RetryingClient(httpx.Client):
    """An httpx client that retries transient failures within a deadline.

    A failure with no answer (DNS, refused, reset, TLS, timeout) raises
    :class:`~pmcp_action.rest.TransportFailure` once the retries are spent: it names the
    host, the call and whether the server may have acted, so no caller catches httpx
    errors. A request whose body is a one-shot stream cannot be replayed; callers
    that stream uploads pass a fresh stream per attempt through their own
    loop, or send with ``extensions={"pmcp_retry": False}``.
    """

    def __init__(
        self,
        *,
        policy: RetryPolicy,
        deadline: Deadline | None,
        sleep: Callable[[float], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.policy = policy
        self.deadline = deadline
        self._sleep = sleep
        #: Every attempt made, as (method, url, status or error name); for reports and tests.
        self.attempt_log: list[tuple[str, str, str]] = []

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        check_endpoint(str(request.url), "request URL")
        retry_allowed = request.extensions.get("pmcp_retry", True) is not False
        idempotent = request.method in IDEMPOTENT_METHODS or request.extensions.get(
            "pmcp_idempotent", False
        )
        attempt = 0
        while True:
            try:
                response = super().send(request, **kwargs)
            except NOT_SENT as exc:
                self._record(request, type(exc).__name__)
                if not retry_allowed or not self._pause(attempt, None):
                    raise transport_failure(exc, attempts=attempt + 1) from exc
            except httpx.TransportError as exc:  # sent: the server may have acted
                self._record(request, type(exc).__name__)
                if not (retry_allowed and idempotent) or not self._pause(attempt, None):
                    raise transport_failure(exc, attempts=attempt + 1) from exc
            else:
                self._record(request, str(response.status_code))
                if response.status_code not in RETRY_STATUSES or not retry_allowed:
                    return response
                wait = retry_after_seconds(response.headers)
                if not self._pause(attempt, wait):
                    return response
                response.close()
            attempt += 1

    def _record(self, request: httpx.Request, outcome: str) -> None:
        url = request.url.copy_with(query=None)
        self.attempt_log.append((request.method, str(url), outcome))

    def _pause(self, attempt: int, retry_after: float | None) -> bool:
        """Sleep before the next attempt; False when no attempt is left."""
        if attempt + 1 >= self.policy.attempts:
            return False
        delay = self.policy.backoff(attempt)
        if retry_after is not None:
            delay = min(max(delay, retry_after), self.policy.max_delay * 3)
        if self.deadline is not None and delay >= self.deadline.remaining():
            return False
        self._sleep(delay)
        return True


class _SharedTransport(httpx.BaseTransport):
    """An injected transport lent to each client: closing a client must not close it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        """The owner of the injected transport closes it, not the clients it serves."""


class HttpClientFactory:
    """Makes configured clients; one per remote API is the usual pattern."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        deadline: Deadline | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
    ) -> None:
        self.transport = _SharedTransport(transport) if transport is not None else None
        self.deadline = deadline
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._ssl_context: ssl.SSLContext | None = None

    def _ssl(self) -> ssl.SSLContext:
        """One TLS context per factory: building one costs 25-40 ms."""
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context(trust_env=True)
        return self._ssl_context

    def __call__(
        self,
        *,
        base_url: str = "",
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
        policy: RetryPolicy | None = None,
    ) -> RetryingClient:
        if base_url:
            check_endpoint(base_url, "base URL")
        all_headers = {"User-Agent": USER_AGENT}
        all_headers.update(headers or {})
        total = self.timeout if timeout is None else timeout
        return RetryingClient(
            policy=policy or self.policy,
            deadline=self.deadline,
            sleep=self.sleep,
            base_url=base_url,
            headers=all_headers,
            timeout=httpx.Timeout(total, connect=min(self.connect_timeout, total)),
            transport=self.transport,
            verify=self._ssl() if self.transport is None else True,
            trust_env=True,
            follow_redirects=False,
        )
