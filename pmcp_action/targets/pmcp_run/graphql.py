"""POST GraphQL to pmcp.run's AppSync API, the way cargo-pmcp does.

The access token goes into ``Authorization`` **raw** (AppSync with Cognito user pools; no
``Bearer `` prefix). AppSync's envelope (:class:`~.failures.AppSyncEnvelope`) turns a
non-200 answer or ``errors[]`` into an error carrying every message. A schema-validation
error (``FieldUndefined``, ``UnknownType``, ``Validation error``) usually means a stale
endpoint: discovery is run once more and the call sent again when the advertised URL
changed. A 401 is sent again once with a renewed token when the credential kind can renew.
429/5xx and connection errors are retried by the shared HTTP client, except for a call
sent ``once`` (a mutation that is not idempotent); a query is a read the client may send
again after a lost answer, and so is a mutation the caller calls ``idempotent`` (a PUT-like
set: sending it twice leaves what sending it once does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ...ci.base import Platform
from ...errors import RemoteApiError
from ...rest import RestApi, json_object
from .credentials import TokenSession
from .discovery import ENV_GRAPHQL_URL
from .failures import AppSyncEnvelope, GraphQLError, looks_like_unknown_schema

__all__ = ["GraphQLClient"]

_REQUEST_ID_HEADERS = ("x-amzn-requestid", "x-amz-request-id", "x-request-id")


class GraphQLClient:
    """Executes named GraphQL operations against the discovered endpoint."""

    def __init__(
        self,
        *,
        client: httpx.Client,
        url: str,
        session: TokenSession,
        console: Platform,
        rediscover: Callable[[], str] | None = None,
    ) -> None:
        #: AppSync request ids seen, for support cases.
        self.request_ids: list[str] = []
        self.envelope = AppSyncEnvelope(self.request_ids)
        self.api = RestApi(
            client,
            url,
            envelope=self.envelope,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            reach_hint=f"the endpoint comes from discovery; override: {ENV_GRAPHQL_URL}",
        )
        self.url = url
        self._session = session
        self._console = console
        self._rediscover = rediscover

    def execute(
        self,
        operation: str,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        doing: str,
        once: bool = False,
        idempotent: bool = False,
    ) -> dict[str, Any]:
        """Run ``query`` (``doing`` names it in errors); return its ``data`` object.

        A query is a read: the HTTP client may resend it after a lost answer, as it may an
        ``idempotent`` mutation. Another mutation is resent only after a 429/5xx; with
        ``once=True`` it is sent once, and the caller decides (after a read) whether to send
        it again.
        """
        payload = {"query": query, "variables": dict(variables or {})}
        reads = idempotent or query.lstrip().startswith(("query", "{"))
        renewed = False
        rediscovered = False
        while True:
            try:
                return self._round_trip(payload, doing, once=once, reads=reads)
            except GraphQLError as failure:
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
                raise

    def _round_trip(
        self, payload: dict[str, Any], doing: str, *, once: bool, reads: bool
    ) -> dict[str, Any]:
        response = self.api.send(
            "POST",
            self.url,
            doing,
            json=payload,
            headers={"Authorization": self._session.access_token()},
            once=once,
            idempotent=reads,
        )
        for header in _REQUEST_ID_HEADERS:
            request_id = response.headers.get(header)
            if request_id:
                self.request_ids.append(request_id)
                break
        if self.envelope.failed(response):
            raise self.envelope.error(response, doing)
        data = json_object(response, doing).get("data")
        if not isinstance(data, dict):
            raise RemoteApiError(
                f"{doing[:1].upper()}{doing[1:]}: pmcp.run answered without data.",
                status=response.status_code,
                body=response.text[:1000],
                remediation="This looks like a pmcp.run service problem; retry later.",
            )
        return data
