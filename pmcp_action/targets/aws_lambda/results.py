"""Every :class:`TargetResult` of this target: what a command leaves behind, as reported.

The outputs are written here by their declared names (``arn``, ``function-name``,
``log-group``); the URL is the MCP endpoint under the function URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from ...result import PlanChange, TargetResult
from ...secrets import SecretOutcome
from .config import LambdaConfig
from .connection import Connection

__all__ = ["Outcome", "mcp_url", "result"]


@dataclass(frozen=True)
class Outcome:
    """What a command leaves behind: the alias ``live`` and the changes that got it there."""

    #: The function URL as Lambda reports it ("" when there is none).
    function_url: str = ""
    version: str = ""
    previous_version: str = ""
    arn: str = ""
    unchanged: bool | None = None
    changes: tuple[PlanChange, ...] = ()
    notes: tuple[str, ...] = ()
    can_roll_back: bool = False
    #: What the command did with each of the server's secrets (names only).
    secrets: tuple[SecretOutcome, ...] = ()


def result(conn: Connection, outcome: Outcome) -> TargetResult:
    """The result of a command over ``conn`` that leaves ``outcome`` behind."""
    config = conn.config
    url = mcp_url(config, outcome.function_url)
    notes = list(outcome.notes)
    if url and config.url_auth_type == "AWS_IAM":
        notes.append(
            "The function URL requires AWS_IAM (SigV4-signed) requests; an unsigned MCP "
            "client gets 403."
        )
    health = url.removesuffix(config.mcp_path) if config.mcp_path else url
    return TargetResult(
        url=url,
        version=outcome.version,
        previous_version=outcome.previous_version,
        region=config.region,
        health_url=health,
        unchanged=outcome.unchanged,
        identity=conn.session.arn,
        outputs=MappingProxyType(
            {
                "arn": outcome.arn,
                "function-name": config.function_name,
                "log-group": config.log_group,
            }
        ),
        changes=outcome.changes,
        notes=tuple(notes),
        request_ids=conn.requests.ids,
        can_roll_back=outcome.can_roll_back,
        secrets=outcome.secrets,
    )


def mcp_url(config: LambdaConfig, function_url: str) -> str:
    """The MCP endpoint under the function URL (``[server].mcp_path``, if any)."""
    if not function_url:
        return ""
    base = function_url.rstrip("/") + "/"
    return base + config.mcp_path if config.mcp_path else base
