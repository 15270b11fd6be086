"""What to verify: the verify-* inputs of the action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["VerifyOptions"]


@dataclass(frozen=True)
class VerifyOptions:
    #: The MCP endpoint (verify-url, or the deployed URL).
    url: str
    #: Overall verification deadline (verify-timeout-seconds; its default lives in that spec).
    timeout_seconds: float
    #: Sent as ``Authorization: Bearer …`` when set (verify-bearer-token).
    bearer_token: str = ""
    #: Tool names that must appear in tools/list (verify-tools).
    required_tools: tuple[str, ...] = ()
    #: verify: strict — a server protected by OAuth is a failure, not a skip.
    strict: bool = False
    #: When set (the target's reason, e.g. "allUsers was just granted roles/run.invoker"),
    #: 401/403 is retried as "not yet" until the deadline instead of ending verification.
    access_settling: str = ""
    #: Asked for a token once, with the ``WWW-Authenticate`` challenge, when the server
    #: demands authorization (client credentials); raises a PmcpActionError saying why not.
    authorize: Callable[[str], str] | None = field(default=None, repr=False, compare=False)
