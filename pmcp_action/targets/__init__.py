"""Deployment targets behind one small protocol.

Each target is a sub-package with a light ``declaration`` module (found by
:mod:`pmcp_action.settings.catalogue`) whose ``factory`` names the function that builds
the target for a :class:`~pmcp_action.context.RunContext`. That module is
imported only when its target is chosen, so heavy SDKs (botocore, …) never slow
down the others. ``docs/adding-a-target.md`` has the recipe.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, cast

from ..errors import NotSupportedError, Problem

if TYPE_CHECKING:  # the registry imports this package: it must not pull in the HTTP client
    from ..context import RunContext
    from ..previews.identity import Preview
    from ..result import LogExcerpt, TargetResult

__all__ = [
    "LogTarget",
    "PreviewTarget",
    "StagingTarget",
    "Target",
    "TrafficTarget",
    "create_target",
    "logs_of",
    "previews_of",
    "staging_of",
    "traffic_of",
]


class Target(Protocol):
    """What every target can do. Each method returns a result or raises a PmcpActionError."""

    #: The target id, e.g. "aws-lambda".
    name: str

    def validate(self) -> Sequence[Problem]:
        """Offline checks of settings and config; no network. Empty when all is well."""
        ...

    def plan(self) -> TargetResult:
        """What a deploy would change; may read remote state, never mutates it."""
        ...

    def deploy(self) -> TargetResult:
        """Build/upload/activate; the previous version stays reachable until this one is live."""
        ...

    def outputs(self) -> TargetResult:
        """What is deployed now."""
        ...

    def rollback(self, to_version: str) -> TargetResult:
        """Serve ``to_version`` (or the previous version when empty) again."""
        ...

    def destroy(self) -> TargetResult:
        """Delete what this tool created; fail when nothing was found."""
        ...

    def check_access(self) -> TargetResult:
        """Everything a deploy does up to its first write, then probes of its permissions;
        raises :class:`~pmcp_action.access.AccessMissing` naming what is missing."""
        ...


class StagingTarget(Target, Protocol):
    """A target that can create a version without traffic, to be proven before it serves.

    The pipeline uses these instead of :meth:`Target.deploy` when it verifies the
    deployment: ``stage()`` uploads the new version and returns a result whose
    ``candidate_url`` is where that version answers on its own; the pipeline
    verifies it there, then calls ``promote()`` (move the traffic, return the final
    result) or ``discard()`` (leave the serving version alone). A staged result with
    no ``candidate_url`` means the target could not stage (first deploy, no
    preview URLs, nothing changed) and has deployed as ``deploy()`` would.
    """

    def stage(self) -> TargetResult:
        """Upload the new version without moving traffic; see the class docstring."""
        ...

    def promote(self, staged: TargetResult) -> TargetResult:
        """Send all traffic to the staged version; the result is that of a deploy."""
        ...

    def discard(self, staged: TargetResult) -> None:
        """Forget the staged version; the serving version was never touched."""
        ...


class TrafficTarget(StagingTarget, Protocol):
    """A staging target that can split the traffic between the staged version and the one
    it replaces (``traffic-steps``); see :meth:`pmcp_action.flow.Steps.shift_traffic`."""

    def shift_traffic(self, staged: TargetResult, percent: int, *, current: int) -> TargetResult:
        """``percent`` % to the staged version, the rest to the previous one (0: all back);
        conditional on finding ``current`` % there."""
        ...


class LogTarget(Target, Protocol):
    """A target that can show what a deployed version of the server logged."""

    def logs(self, *, version: str, since: float | None, limit: int) -> LogExcerpt:
        """The last ``limit`` lines of ``version`` ("" = the serving one) since ``since``."""
        ...


class PreviewTarget(Target, Protocol):
    """A target that can deploy a preview beside production (``command: preview``)."""

    def preview_problems(self, preview: str) -> Sequence[Problem]:
        """The platform's limits on the preview's name, checked offline."""
        ...

    def preview(self, preview: Preview) -> TargetResult:
        """Deploy the artifact as ``preview``; what serves production is never touched."""
        ...

    def destroy_preview(self, preview: str) -> TargetResult:
        """Remove the preview and what was made for it; a missing one is no error."""
        ...


def previews_of(target: Target) -> PreviewTarget | None:
    """The target as a :class:`PreviewTarget` when it offers previews."""
    names = ("preview_problems", "preview", "destroy_preview")
    if all(callable(getattr(target, name, None)) for name in names):
        return cast(PreviewTarget, target)
    return None


def logs_of(target: Target) -> LogTarget | None:
    """The target as a :class:`LogTarget` when it offers ``logs``."""
    if callable(getattr(target, "logs", None)):
        return cast(LogTarget, target)
    return None


def staging_of(target: Target) -> StagingTarget | None:
    """The target as a :class:`StagingTarget` when it offers all three methods."""
    if all(callable(getattr(target, name, None)) for name in ("stage", "promote", "discard")):
        return cast(StagingTarget, target)
    return None


def traffic_of(target: Target) -> TrafficTarget | None:
    """The target as a :class:`TrafficTarget` when it says it splits traffic."""
    staging = staging_of(target)
    if staging is not None and getattr(target, "shifts_traffic", False) is True:
        return cast(TrafficTarget, staging)
    return None


def create_target(context: RunContext) -> Target:
    """Build the chosen target through its declaration's factory."""
    from ..settings.catalogue import catalogue

    known = catalogue()
    declaration = context.settings.inputs.declaration
    if not declaration.available:
        available = ", ".join(known.available_ids) or "none yet"
        raise NotSupportedError(
            f"The target {declaration.id!r} is not available in this version of pmcp-action.",
            remediation=f"Targets available in this version: {available}.",
        )
    module_name, _, function = declaration.factory.partition(":")
    module = importlib.import_module(module_name)
    factory = cast("Callable[[RunContext], Target]", getattr(module, function))
    return factory(context)
