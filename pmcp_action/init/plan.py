"""The plan of what ``init`` writes, read from the settings, ``.pmcp/deploy.toml``,
``Cargo.toml``, the target's declaration and the checkout, every problem reported together.

Everything the configuration names comes from a declaration: the inputs the job gives the
target (its :class:`~pmcp_action.settings.declaration.CiInputs`), each under the variable
the program reads it from, and the build of the artifact kind it deploys. What
``.pmcp/deploy.toml`` says is left to it: a location input it gives is not written again.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import Problem, ValidationError
from ..keyvalue import ENV_KEY
from ..project import detect_server_name, load_project
from ..secrets import resolve_secrets
from ..settings.catalogue import Catalogue, catalogue
from ..settings.core_settings import Settings
from ..settings.declaration import Fallback, TargetDeclaration
from ..settings.deploy_toml import DeployConfig
from ..settings.deploy_toml_reading import ConfigLookup
from ..settings.spec import InputSpec
from ..settings.target_inputs import TargetInputs
from ..settings.vocabulary import Auth, CiSystem
from .build import build_plan
from .checkout import find_checkout
from .model import CiValue, InitPlan

__all__ = ["GITLAB_CI_FILE", "STANDARD_CONFIG", "ci_variable", "plan_init"]

#: The file whose presence makes the CI GitLab's.
GITLAB_CI_FILE = ".gitlab-ci.yml"
#: Where the action finds the deploy config by itself, relative to the project.
STANDARD_CONFIG = ".pmcp/deploy.toml"
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: GitHub refuses secrets with names of this prefix.
_GITHUB_RESERVED = "GITHUB_"


def _first_sentence(text: str) -> str:
    head, dot, _ = text.strip().partition(". ")
    return head + dot.strip()


def ci_variable(declaration: TargetDeclaration, spec: InputSpec) -> tuple[str, bool]:
    """The variable a job gives ``spec`` under (a shared input: the target's own variable
    first), and whether none of the program's variables reads it (then: its upper-case name)."""
    fallback = declaration.fallbacks.get(spec.name) or Fallback()
    names = (*fallback.env, *spec.env) if spec.shared else (*spec.env, *fallback.env)
    return (names[0], False) if names else (spec.attr.upper(), True)


def _signs_in_with_oidc(
    declaration: TargetDeclaration, settings: Settings, problems: list[Problem]
) -> bool:
    offered = bool(declaration.ci.oidc)
    if "auth" not in declaration.input_names:
        return offered
    auth = settings.inputs.string("auth")
    where = settings.inputs.source("auth")
    if auth == Auth.AMBIENT:
        problems.append(
            Problem(
                where,
                "a CI job signs in with its OIDC ID token or with secrets, not with the "
                "runner's own credentials",
                "give --auth oidc or --auth secrets, or leave it out",
            )
        )
    elif auth == Auth.OIDC and not offered:
        problems.append(
            Problem(
                where,
                f"the {declaration.id} target has no OIDC sign-in",
                "leave --auth out: the job signs in with secrets",
            )
        )
    return offered and auth != Auth.SECRETS


def _values(
    cat: Catalogue, declaration: TargetDeclaration, from_file: TargetInputs, oidc: bool
) -> tuple[CiValue, ...]:
    """The sign-in inputs, then the location inputs deploy.toml does not give."""
    ci = declaration.ci
    names = [*(ci.oidc if oidc else ci.secrets)]
    names += [name for name in ci.location if not from_file.given(name)]
    values = []
    for name in dict.fromkeys(names):
        spec = cat.input(name)
        variable, flag_only = ci_variable(declaration, spec)
        what = _first_sentence(declaration.describe(spec))
        values.append(CiValue(name, variable, spec.secret, what, flag_only))
    return tuple(values)


def _server_secrets(
    config: DeployConfig, ci: CiSystem, problems: list[Problem], warn: Callable[[str], None]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names deploy.toml's [secrets] requires, and those it lists as optional."""
    resolved = resolve_secrets(
        {},
        given_source="",
        config=config,
        environ={},
        environment={},
        environment_input={},
        prune=False,
        mask=lambda _value: None,
    )
    problems.extend(resolved.problems)
    for said in resolved.warnings:
        warn(said)
    required = resolved.secrets.required
    optional = tuple(
        sorted(name for name in config.secrets if ENV_KEY.match(name) and name not in required)
    )
    if ci is CiSystem.GITHUB:
        for name in (*required, *optional):
            if name.upper().startswith(_GITHUB_RESERVED):
                problems.append(
                    Problem(
                        config.where(f"secrets.{name}"),
                        f"GitHub refuses a secret named {name} (the {_GITHUB_RESERVED} prefix "
                        "is its own)",
                        "rename the server's secret",
                    )
                )
    return required, optional


def _warn_about_flags(
    declaration: TargetDeclaration, settings: Settings, warn: Callable[[str], None]
) -> None:
    """The target's inputs given by flag: init writes what deploy.toml says, not them."""
    for name in declaration.input_names:
        source = settings.sources.get(name, "")
        if name != "auth" and source.startswith(("flag ", "input ")):
            warn(
                f"{source} is not written into the CI configuration: init writes what "
                ".pmcp/deploy.toml says. Put the setting there, or give it in the job."
            )


def plan_init(settings: Settings, lookup: ConfigLookup, *, warn: Callable[[str], None]) -> InitPlan:
    """The plan, or :class:`ValidationError` with every problem; nothing is written."""
    cat = catalogue()
    declaration = cat.target(settings.target)
    if declaration is None:  # the settings refuse an unknown target before this
        raise ValidationError([Problem("input 'target'", f"unknown target {settings.target!r}")])
    problems: list[Problem] = []
    if not declaration.available:
        problems.append(
            Problem(
                settings.sources.get("target", "input 'target'"),
                f"the {declaration.id} target is not available in this version",
                "choose one of: " + ", ".join(cat.available_ids),
            )
        )
    project = load_project(settings, lookup)
    config = project.config
    checkout = find_checkout(project.root)
    if settings.ci:
        ci = CiSystem(settings.ci)
    elif (checkout.root / GITLAB_CI_FILE).is_file():
        ci = CiSystem.GITLAB
    else:
        ci = CiSystem.GITHUB
    from_file = TargetInputs(
        declaration, cat.target_inputs(declaration.id), given={}, environ={}, config=config
    )
    oidc = _signs_in_with_oidc(declaration, settings, problems)
    architecture = (
        from_file.string("architecture", problems)
        if "architecture" in declaration.input_names
        else ""
    )
    secrets, optional = _server_secrets(config, ci, problems, warn)
    if not _ENVIRONMENT.match(settings.ci_environment):
        problems.append(
            Problem(
                settings.sources.get("ci-environment", "input 'ci-environment'"),
                f"{settings.ci_environment[:70]!r} is not a deployment environment's name",
                "use 1 to 64 letters, digits, -, _ or ., starting with a letter or digit",
            )
        )
    if problems:
        raise ValidationError(problems)
    _warn_about_flags(declaration, settings, warn)

    root = checkout.root
    working_directory = project.root.relative_to(root).as_posix()
    config_path = config.path.resolve() if config.path is not None else None
    within_project = config_path.relative_to(project.root).as_posix() if config_path else ""
    found_name = config.server.name or detect_server_name(project.root)
    return InitPlan(
        ci=ci,
        target=declaration.id,
        title=declaration.title,
        server_name=project.server_name,
        name_given=project.server_name != found_name,
        repository_root=root,
        in_git=checkout.in_git,
        working_directory=working_directory,
        config="" if within_project in ("", STANDARD_CONFIG) else within_project,
        config_shown=config_path.relative_to(root).as_posix() if config_path else "",
        oidc=oidc,
        values=_values(cat, declaration, from_file, oidc),
        secrets=secrets,
        optional_secrets=optional,
        build=build_plan(
            declaration.build,
            project=project.root,
            repository_root=root,
            server_name=project.server_name,
            architecture=architecture,
            config=config,
        ),
        environment=settings.ci_environment,
        branch=checkout.branch,
        origin=checkout.origin,
        force=settings.force,
    )
