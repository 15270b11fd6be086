"""The trust of a target without OIDC federation: the CI secrets it signs in with, and the
``gh``/``glab`` commands that store them for the repository's scope."""

from __future__ import annotations

import shlex

from ..settings.declaration import TargetDeclaration
from ..settings.vocabulary import CiSystem
from .model import TrustPlan, TrustRequest
from .subjects import Scope

__all__ = ["stored_secrets_plan"]


def _names(declaration: TargetDeclaration) -> list[tuple[str, str, bool]]:
    """(input, CI variable, secret?) of each input the CI job signs in with."""
    from ..init.plan import ci_variable

    specs = {spec.name: spec for spec in declaration.inputs}
    found = []
    for name in declaration.ci.secrets:
        spec = specs[name]
        variable, _flag_only = ci_variable(declaration, spec)
        found.append((name, variable, spec.secret))
    return found


def _command(request: TrustRequest, variable: str, secret: bool) -> str:
    source = request.source
    repository = shlex.quote(source.repository)
    if source.ci is CiSystem.GITHUB:
        kind = "secret" if secret else "variable"
        scope = f" --env {shlex.quote(source.name)}" if source.scope is Scope.ENVIRONMENT else ""
        value = "" if secret else " --body VALUE"
        return f"gh {kind} set {variable} --repo {repository}{scope}{value}"
    flags = " --masked --protected" if secret else ""
    scope = f" --scope {shlex.quote(source.name)}" if source.scope is Scope.ENVIRONMENT else ""
    return f"glab variable set {variable} --repo {repository}{flags}{scope} --value VALUE"


def stored_secrets_plan(
    declaration: TargetDeclaration, request: TrustRequest, what: str
) -> TrustPlan:
    """What to create at the platform (``what``) and store in the CI, and the commands."""
    names = _names(declaration)
    listed = ", ".join(f"{variable} ({name})" for name, variable, _ in names)
    where = request.source.describe()
    return TrustPlan(
        summary=(
            f"{declaration.title} has no OIDC federation: nothing in it can trust a CI token. "
            f"{what} Then store it for {where} as {listed}."
        ),
        commands=tuple(_command(request, variable, secret) for _, variable, secret in names),
        notes=(
            "gh asks for a secret's value on its terminal; nothing is echoed or kept in the "
            "shell history.",
        )
        if request.source.ci is CiSystem.GITHUB
        else ("Replace VALUE, and keep it out of your shell history (a leading space).",),
    )
