"""POST GraphQL to pmcp.run's AppSync API, the way cargo-pmcp does.

The access token goes into ``Authorization`` **raw** (AppSync with Cognito
user pools; no ``Bearer `` prefix). ``errors[]`` become a
:class:`RemoteApiError` carrying every message. A schema-validation error
(``FieldUndefined``, ``UnknownType``, ``Validation error``) usually means a
stale endpoint: discovery is run once more and the call retried when the
advertised URL changed. A 401 is retried once with a renewed token when the
credential kind can renew. 429/5xx and connection errors are retried by the
shared HTTP client.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ...ci.base import Platform
from ...errors import CredentialExchangeError, RemoteApiError
from ...http import RetryingClient
from ...rest.transport import DOING, HINT
from .credentials import CREATE_CLIENT_HELP, TokenSession

__all__ = ["GraphQLClient", "looks_like_unknown_schema"]

_SCHEMA_MARKERS = ("FieldUndefined", "UnknownType", "Validation error")
_GRAPHQL_TIMEOUT = 30.0
_REQUEST_ID_HEADERS = ("x-amzn-requestid", "x-amz-request-id", "x-request-id")


def looks_like_unknown_schema(messages: list[str]) -> bool:
    """Does the endpoint not know our operation (a stale or partial API)?"""
    return any(marker in message for message in messages for marker in _SCHEMA_MARKERS)


def _error_messages(body: object) -> list[str]:
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    messages: list[str] = []
    for error in errors:
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            kind = error.get("errorType")
            text = error["message"]
            messages.append(f"{kind}: {text}" if isinstance(kind, str) and kind else text)
    return messages


class _Failure(Exception):
    """One failed round-trip, before deciding on re-discovery or renewal."""

    def __init__(self, status: int, messages: list[str], body: str) -> None:
        super().__init__("; ".join(messages) or f"HTTP {status}")
        self.status = status
        self.messages = messages
        self.body = body


class GraphQLClient:
    """Executes named GraphQL operations against the discovered endpoint."""

    def __init__(
        self,
        *,
        client: RetryingClient,
        url: str,
        session: TokenSession,
        console: Platform,
        rediscover: Callable[[], str] | None = None,
    ) -> None:
        self._client = client
        self.url = url
        self._session = session
        self._console = console
        self._rediscover = rediscover
        #: AppSync request ids seen, for support cases.
        self.request_ids: list[str] = []

    def execute(
        self,
        operation: str,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        retry: bool = True,
    ) -> dict[str, Any]:
        """Run ``query``; return its ``data`` object or raise :class:`RemoteApiError`.

        A query is a read: the HTTP client may resend it after a lost answer. A
        mutation is resent only after a 429/5xx; with ``retry=False`` it is sent
        once, and the caller decides (after a read) whether to send it again.
        """
        payload = {"query": query, "variables": dict(variables or {})}
        extensions = {
            "pmcp_retry": retry,
            "pmcp_idempotent": query.lstrip().startswith(("query", "{")),
        }
        renewed = False
        rediscovered = False
        while True:
            try:
                return self._round_trip(operation, payload, extensions)
            except _Failure as failure:
                if failure.status == 401 and not renewed and self._session.renewable:
                    renewed = True
                    self._console.info(
                        f"pmcp.run refused the access token for {operation}; getting a new one."
                    )
                    self._session.renew()
                    continue
                if (
                    not rediscovered
                    and self._rediscover is not None
                    and looks_like_unknown_schema(failure.messages)
                ):
                    rediscovered = True
                    fresh = self._rediscover()
                    if fresh != self.url:
                        self._console.warning(
                            f"The GraphQL endpoint did not recognise {operation}; discovery now "
                            f"advertises {fresh} (the endpoint was stale) — retrying once."
                        )
                        self.url = fresh
                        continue
                raise self._error(operation, failure) from None

    def _round_trip(
        self, operation: str, payload: dict[str, Any], extensions: dict[str, bool]
    ) -> dict[str, Any]:
        token = self._session.access_token()
        response = self._client.post(
            self.url,
            content=json.dumps(payload).encode("utf-8"),
            headers={
                "Authorization": token,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout=_GRAPHQL_TIMEOUT,
            extensions={
                **extensions,
                DOING: f"the GraphQL request {operation}",
                HINT: "the endpoint comes from discovery; override: PMCP_RUN_GRAPHQL_URL",
            },
        )
        for header in _REQUEST_ID_HEADERS:
            request_id = response.headers.get(header)
            if request_id:
                self.request_ids.append(request_id)
                break
        text = response.text
        try:
            body: object = json.loads(text) if text else None
        except ValueError:
            body = None
        messages = _error_messages(body)
        if response.status_code != 200:
            raise _Failure(response.status_code, messages, text[:1000])
        if messages:
            raise _Failure(200, messages, text[:1000])
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise RemoteApiError(
                f"GraphQL {operation}: no data in the response.",
                status=response.status_code,
                body=text[:1000],
                remediation="This looks like a pmcp.run service problem; retry later.",
            )
        return data

    def _error(self, operation: str, failure: _Failure) -> Exception:
        joined = ", ".join(failure.messages)
        if failure.status in (401, 403):
            return CredentialExchangeError(
                f"pmcp.run refused the credentials for {operation} (HTTP {failure.status}"
                f"{': ' + joined if joined else ''}).",
                remediation="The token is expired, revoked or for another pmcp.run deployment "
                "(check pmcp-api-url). " + CREATE_CLIENT_HELP,
            )
        if failure.status != 200 and not failure.messages:
            return RemoteApiError(
                f"GraphQL request failed: {operation} answered HTTP {failure.status}.",
                status=failure.status,
                body=failure.body,
                remediation="Retry later; if it persists, check https://pmcp.run status or "
                "contact pmcp.run support with the request ids below.",
                details=self._request_id_details(),
            )
        remediation = "Fix what the messages describe, or contact pmcp.run support with the "
        remediation += "request ids below."
        if looks_like_unknown_schema(failure.messages):
            remediation = (
                "The pmcp.run API does not know this operation. Check pmcp-api-url and "
                "PMCP_RUN_GRAPHQL_URL, or upgrade pmcp-action if pmcp.run changed its API."
            )
        return RemoteApiError(
            f"GraphQL errors in {operation}: {joined}",
            status=failure.status,
            body=failure.body,
            remediation=remediation,
            details=self._request_id_details(),
        )

    def _request_id_details(self) -> str:
        if not self.request_ids:
            return ""
        return "Request ids: " + ", ".join(self.request_ids[-3:])
