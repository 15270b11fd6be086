"""The outcomes of one attempt: a listing, a failure or a demand for authorization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AttemptFailed", "Listing", "Protected", "Sent"]


@dataclass(frozen=True)
class Sent:
    """One request as a report names it."""

    http_method: str
    url: str
    rpc_method: str

    def describe(self) -> str:
        rpc = f" (JSON-RPC {self.rpc_method})" if self.rpc_method else ""
        return f"{self.http_method} {self.url}{rpc}"


class AttemptFailed(Exception):
    """This attempt did not prove the server works."""

    def __init__(
        self,
        sent: Sent,
        got: str,
        problem: str,
        *,
        kind: str,
        final: bool = False,
        retry_after: float | None = None,
        after_initialize: bool = False,
        status: int | None = None,
        error: dict[str, Any] | None = None,
        stateless_version: str = "",
        protocol_version: str = "",
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
        #: Failed after the conversation was opened (initialize or server/discover).
        self.after_initialize = after_initialize
        #: The HTTP status of the answer; None when none arrived (or it was cut short).
        self.status = status
        #: The JSON-RPC error the server answered with, if any.
        self.error = error
        #: The 2026-07-28-era version this request was sent at; "" for the handshake era.
        self.stateless_version = stateless_version
        #: The ``MCP-Protocol-Version`` header the request carried ("" for none).
        self.protocol_version = protocol_version or stateless_version


class Protected(Exception):
    """The server demanded authorization (401/403)."""

    def __init__(self, sent: Sent, got: str, status: int, www_authenticate: str) -> None:
        super().__init__(got)
        self.sent = sent
        self.got = got
        self.status = status
        self.www_authenticate = www_authenticate


@dataclass(frozen=True)
class Listing:
    server_name: str
    server_version: str
    protocol_version: str
    tools: tuple[str, ...]
    has_tools_capability: bool
    #: The request that opened the conversation: ``initialize`` or ``server/discover``.
    opened_with: str = "initialize"
    #: Why the 2026-07-28 probe did not settle it, when the handshake was used after it.
    probe_fallback: str = ""
