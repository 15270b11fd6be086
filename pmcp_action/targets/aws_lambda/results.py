"""Every :class:`TargetResult` of this target: what a command leaves behind, as reported.

The outputs are written here by their declared names (``arn``, ``function-name``,
``log-group``); the service URL is the function URL, the URL the MCP endpoint under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from ...result import PlanChange, TargetResult
from ...secrets import SecretOutcome
from .connection import Connection

__all__ = ["Outcome", "result"]


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
    # The function URL's root, with its slash (as Lambda usually reports it).
    service = outcome.function_url.rstrip("/") + "/" if outcome.function_url else ""
    url = config.endpoint.url(service)
    notes = list(outcome.notes)
    if url and config.url_auth_type == "AWS_IAM":
        notes.append(
            "The function URL requires AWS_IAM (SigV4-signed) requests; an unsigned MCP "
            "client gets 403."
        )
    return TargetResult(
        url=url,
        service_url=service,
        version=outcome.version,
        previous_version=outcome.previous_version,
        region=config.region,
        health_url=service,
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
