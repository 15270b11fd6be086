"""Deployment targets behind one small protocol.

A target module exposes ``create(context) -> Target``. Modules are imported
only when their target is chosen, so heavy SDKs (boto3, …) never slow down
the others. Adding a target means adding a module and one line in
:data:`TARGET_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from ..context import RunContext
from ..errors import NotSupportedError, Problem
from ..result import TargetResult

__all__ = ["TARGET_MODULES", "Target", "create_target", "implemented_targets"]


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


#: Target id -> module under pmcp_action.targets implementing ``create``.
TARGET_MODULES: dict[str, str] = {
    "pmcp-run": "pmcp_run",
    "aws-lambda": "aws_lambda",
}


def implemented_targets() -> tuple[str, ...]:
    return tuple(TARGET_MODULES)


def create_target(name: str, context: RunContext) -> Target:
    module_name = TARGET_MODULES.get(name)
    if module_name is None:
        available = ", ".join(implemented_targets()) or "none yet"
        raise NotSupportedError(
            f"The target {name!r} is not available in this version of pmcp-action.",
            remediation=f"Targets available in this version: {available}.",
        )
    module = importlib.import_module(f"{__name__}.{module_name}")
    factory = cast(Callable[[RunContext], Target], module.create)
    return factory(context)
