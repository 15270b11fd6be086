"""Every :class:`TargetResult` of this target: what a command leaves behind, as reported.

The outputs are written here by their declared names (``arn``, ``function-name``,
``log-group``); the service URL is ``live``'s function URL, the URL the MCP endpoint under
it; a staged version's ``candidate_url`` is the MCP endpoint under alias ``candidate``'s.
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
    #: The function URL of alias ``candidate`` (a staged version: ``live`` has not moved).
    candidate_url: str = ""
    #: Why a 403 from the candidate URL may only mean "not yet" ("" when nothing settles).
    access_settling: str = ""


def result(conn: Connection, outcome: Outcome) -> TargetResult:
    """The result of a command over ``conn`` that leaves ``outcome`` behind."""
    config = conn.config
    service = _root(outcome.function_url)
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
        candidate_url=config.endpoint.url(_root(outcome.candidate_url)),
        access_settling=outcome.access_settling,
    )


def _root(function_url: str) -> str:
    """The function URL's root, with its slash (as Lambda usually reports it)."""
    return function_url.rstrip("/") + "/" if function_url else ""
