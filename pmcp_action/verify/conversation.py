"""An open MCP conversation for the calls beyond tools/list (scenarios, conformance).

Opened in the era the verification settled on: the 2026-07-28 era needs no opening (each
request carries the ``_meta`` envelope and its headers), the handshake era an ``initialize``
and ``notifications/initialized``. Every failure of a call becomes
:class:`~pmcp_action.scenarios.executor.CallFailed` with the JSON-RPC error, if the server
answered one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ..scenarios.executor import CallFailed
from .outcome import AttemptFailed, Protected
from .protocol import (
    DISCOVER,
    STATELESS_PROTOCOL_VERSIONS,
    initialize_payload,
    stateless_params,
)
from .timings import RoundTrips
from .transport import Transport

__all__ = ["Conversation"]


class Conversation:
    """One MCP session's requests, in the era it was opened in."""

    def __init__(self, transport: Transport, capabilities: dict[str, Any] | None = None) -> None:
        self.transport = transport
        #: What the server declared when the conversation opened (initialize or
        #: server/discover).
        self.capabilities: dict[str, Any] = capabilities or {}

    @classmethod
    def open(
        cls,
        client: httpx.Client,
        url: str,
        *,
        protocol_version: str,
        token: str = "",
        budget: Callable[[], float],
        clock: Callable[[], float],
        log: Callable[[str], None] = lambda _m: None,
        trips: RoundTrips | None = None,
    ) -> Conversation:
        """Open a conversation at ``protocol_version`` (the one verification used); ``trips``
        notes each round trip."""
        transport = Transport(
            client, url, token=token, budget=budget, clock=clock, log=log, trips=trips
        )
        conversation = cls(transport)
        if protocol_version in STATELESS_PROTOCOL_VERSIONS:
            transport.stateless_version = protocol_version
            discovered = conversation.call(DISCOVER, {}, timeout=15.0)
            supported = discovered.get("supportedVersions")
            if not isinstance(supported, list) or protocol_version not in supported:
                raise CallFailed(f"server/discover does not list {protocol_version}")
            transport.initialized = True
            conversation.capabilities = _capabilities(discovered)
            return conversation
        try:
            result = transport.request("initialize", initialize_payload()["params"])
        except (AttemptFailed, Protected) as exc:
            raise CallFailed(_described(exc), error=getattr(exc, "error", None)) from exc
        version = result.get("protocolVersion")
        if not isinstance(version, str) or version in STATELESS_PROTOCOL_VERSIONS:
            raise CallFailed("the initialize result has no handshake protocolVersion")
        transport.protocol_version = version
        transport.initialized = True
        conversation.capabilities = _capabilities(result)
        try:
            transport.notify("notifications/initialized")
        except (AttemptFailed, Protected) as exc:
            raise CallFailed(_described(exc)) from exc
        return conversation

    def call(self, method: str, params: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        transport = self.transport
        if transport.stateless_version:
            params = stateless_params(transport.stateless_version, params)
        try:
            return transport.request(method, params, timeout=timeout)
        except (AttemptFailed, Protected) as exc:
            error = exc.error if isinstance(exc, AttemptFailed) else None
            raise CallFailed(_described(exc), error=error) from exc

    def close(self) -> None:
        self.transport.close()


def _capabilities(result: dict[str, Any]) -> dict[str, Any]:
    found = result.get("capabilities")
    return found if isinstance(found, dict) else {}


def _described(exc: AttemptFailed | Protected) -> str:
    if isinstance(exc, Protected):
        return f"the server refused the request (HTTP {exc.status}): it needs authorization"
    error = exc.error
    if isinstance(error, dict) and "message" in error:
        return f"JSON-RPC error {error.get('code')}: {error.get('message')}"
    return exc.problem or exc.kind
