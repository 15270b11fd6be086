"""Deployment targets behind one small protocol.

Each target is a sub-package with a light ``declaration`` module (found by
:mod:`pmcp_action.registry`) whose ``factory`` names the function that builds
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
    from ..result import TargetResult

__all__ = ["Target", "create_target"]


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


def create_target(context: RunContext) -> Target:
    """Build the chosen target through its declaration's factory."""
    from ..registry import catalogue

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
