"""Alias ``candidate``: the new version, verified at a function URL of its own before alias
``live`` moves to it.

``stage`` points ``candidate`` at the version it published (``CreateAlias``, or
``UpdateAlias`` conditional on the ``RevisionId`` read before) and ensures the alias's own
function URL with ``live``'s settings: the same auth type and CORS, and for a public URL
the same two resource-based statements (:data:`.url.PUBLIC_STATEMENTS`) on the alias.
``live`` keeps serving the previous version all the while.

After a failed verification the alias is left on the failed version: no traffic reaches it
through ``live``, its URL keeps answering with what failed (for a look at it), and the next
deploy points it at its own version. Lambda tags neither aliases nor URLs: the function's
ownership tags stand for them, and ``destroy`` deletes them before the function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ...errors import DeployError, PmcpActionError
from ...result import PlanChange
from .failures import aws_step, has_code
from .function import FunctionManager
from .url import UrlManager, UrlState

__all__ = [
    "CANDIDATE",
    "CandidateState",
    "delete_candidate",
    "plan_candidate",
    "point_candidate",
    "read_candidate",
]

#: The alias a new version answers on while it is verified.
CANDIDATE = "candidate"
_DESCRIPTION = (
    "The version verified at its own function URL before alias live moves to it; managed by "
    "pmcp-deploy-action."
)


@dataclass(frozen=True)
class CandidateState:
    """Alias ``candidate`` as read (empty when there is none)."""

    version: str = ""
    revision: str = ""
    url: UrlState = field(default_factory=UrlState)

    @property
    def exists(self) -> bool:
        return bool(self.version)


def read_candidate(functions: FunctionManager, urls: UrlManager) -> CandidateState:
    """The alias and its URL; nothing changed."""
    with aws_step(f"read the alias {CANDIDATE}"):
        alias = functions.alias(CANDIDATE)
    if alias is None:
        return CandidateState()
    return CandidateState(
        version=str(alias["FunctionVersion"]),
        revision=str(alias.get("RevisionId", "")),
        url=urls.for_alias(CANDIDATE).read(),
    )


def plan_candidate(urls: UrlManager, state: CandidateState, version: str) -> list[PlanChange]:
    """What staging ``version`` (a number, or "new version") changes about the candidate."""
    alias = f"alias {CANDIDATE}"
    changes: list[PlanChange] = []
    if not state.exists:
        changes.append(PlanChange("create", alias, f"→ {version}"))
    elif state.version != version:
        changes.append(PlanChange("update", alias, f"{state.version} → {version}"))
    return changes + urls.for_alias(CANDIDATE).plan(state.url)


def point_candidate(
    functions: FunctionManager, state: CandidateState, version: str
) -> list[PlanChange]:
    """Point ``candidate`` at ``version`` (a conditional write); the change made.

    A refusal (another run moved or made the alias since it was read) stops this run: two
    runs staging at once would verify each other's version.
    """
    name = functions.name
    if state.version == version:
        return []
    try:
        if state.exists:
            guard: dict[str, Any] = {"RevisionId": state.revision} if state.revision else {}
            functions.call(
                f"point the alias {CANDIDATE} at version {version}",
                "update_alias",
                FunctionName=name,
                Name=CANDIDATE,
                FunctionVersion=version,
                Description=_DESCRIPTION,
                **guard,
            )
            change = PlanChange("update", f"alias {CANDIDATE}", f"{state.version} → {version}")
        else:
            functions.call(
                f"create the alias {CANDIDATE}",
                "create_alias",
                FunctionName=name,
                Name=CANDIDATE,
                FunctionVersion=version,
                Description=_DESCRIPTION,
            )
            change = PlanChange("create", f"alias {CANDIDATE}", f"→ {version}")
    except PmcpActionError as exc:
        cause = exc.__cause__
        if not has_code(cause or exc, "PreconditionFailedException", "ResourceConflictException"):
            raise
        raise DeployError(
            f"Another run changed alias {CANDIDATE} of {name} while this one staged version "
            f"{version}; this run stopped before verifying it. Alias live was not touched.",
            target="aws-lambda",
            remediation="Let the other run finish (a `concurrency:` group per server keeps "
            "deploys from overlapping), then deploy again.",
        ) from exc
    return [change]


def delete_candidate(functions: FunctionManager, urls: UrlManager) -> list[PlanChange]:
    """Delete the candidate's URL and the alias (``destroy``); what was there."""
    if not read_candidate(functions, urls).exists:
        return []
    changes: list[PlanChange] = []
    if urls.for_alias(CANDIDATE).delete():
        changes.append(PlanChange("delete", f"function URL {functions.name}:{CANDIDATE}"))
    with aws_step(f"delete the alias {CANDIDATE}"):
        try:
            functions.lam.delete_alias(FunctionName=functions.name, Name=CANDIDATE)
        except ClientError as exc:
            if not has_code(exc, "ResourceNotFoundException"):
                raise
    return [*changes, PlanChange("delete", f"alias {CANDIDATE}")]
