"""The ``trust`` command: whose tokens (from the inputs and the checkout), the target's
answer, printed; with ``--apply``, created by the target's ``trust`` module.

A target without a ``trust`` module signs in with no OIDC token: its credentials text
(the declaration's) says what to create instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from ..ci.base import Platform
from ..errors import Problem
from ..flow import DeployFlow
from ..settings.core_settings import Settings
from ..settings.declaration import TargetDeclaration
from ..settings.vocabulary import CiSystem
from .model import Applied, Outcome, TrustDiffers, TrustPlan, TrustRequest
from .subjects import token_source

__all__ = ["print_plan", "run_trust", "trust_module", "trust_request"]

#: The module a target says what it needs in (the same name in every target that has one).
MODULE = "trust"


def trust_module(target: DeployFlow[Any, Any, Any]) -> ModuleType | None:
    """The target package's ``trust`` module, or None when it has none."""
    package = type(target).__module__.rpartition(".")[0]
    name = f"{package}.{MODULE}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def trust_request(
    settings: Settings, environ: Mapping[str, str], project_root: Path
) -> tuple[TrustRequest | None, list[Problem]]:
    """Whose tokens: the inputs, else the checkout's CI and origin."""
    from ..init.checkout import find_checkout
    from ..init.plan import GITLAB_CI_FILE

    checkout = find_checkout(project_root)
    if settings.ci:
        ci = CiSystem(settings.ci)
    elif (checkout.root / GITLAB_CI_FILE).is_file():
        ci = CiSystem.GITLAB
    else:
        ci = CiSystem.GITHUB
    sources = dict(settings.sources)
    repository = settings.repository.strip()
    if not repository and checkout.origin:
        repository = checkout.origin
        sources["repository"] = "the checkout's origin remote"
    source, problems = token_source(
        ci=ci,
        repository=repository,
        ref=settings.ref,
        environment=settings.ci_environment,
        environ=environ,
        sources=sources,
    )
    if source is None:
        return None, problems
    return TrustRequest(source=source, apply=settings.apply), []


def print_plan(plan: TrustPlan, platform: Platform) -> None:
    """The plan as a reader follows it: what, the documents, the commands, the notes."""
    platform.info(plan.summary)
    for document in plan.documents:
        platform.info(f"\n{document.title} ({document.name}):\n{document.json()}")
    if plan.commands:
        platform.info("\nThe commands that create them:\n" + "\n".join(plan.commands))
    for note in plan.notes:
        platform.info(f"\nNote: {note}")


def run_trust(target: DeployFlow[Any, Any, Any], request: TrustRequest, platform: Platform) -> None:
    """Print what the cloud needs; with ``apply``, create what is missing."""
    module = trust_module(target)
    if module is None:
        declaration = _declaration(target)
        platform.info(
            f"{declaration.title} signs in with no CI token to trust; its credentials:\n"
            + declaration.credentials
        )
        return
    plan: TrustPlan = module.plan(target, request)
    print_plan(plan, platform)
    if not request.apply:
        if plan.applies:
            platform.info("\n`--apply` creates them with this terminal's own credentials.")
        return
    if not plan.applies:
        platform.info("\nNothing to apply: create the above by hand.")
        return
    applied: tuple[Applied, ...] = module.apply(target, request, plan)
    platform.info("")
    for item in applied:
        platform.info(f"{item.outcome.value}: {item.what}")
    differing = [item for item in applied if item.outcome is Outcome.DIFFERS]
    if differing:
        raise TrustDiffers(
            f"{len(differing)} of what trust would create exist{'s' if len(differing) == 1 else ''}"
            " already and differ; nothing of them was changed.",
            details="\n".join(
                f"{item.what}:\n  " + item.detail.replace("\n", "\n  ") for item in differing
            ),
            remediation="Change them as the documents above show (or delete them and run "
            "`pmcp-action trust --apply` again).",
        )


def _declaration(target: DeployFlow[Any, Any, Any]) -> TargetDeclaration:
    from ..settings.catalogue import catalogue

    declaration = catalogue().target(target.name)
    assert declaration is not None, "a target that runs is in the catalogue"
    return declaration
