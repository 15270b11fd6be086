"""The run's secrets, resolved offline: the ``secrets`` input, the names deploy.toml's
``[secrets]`` table requires, and the run's environment variables of those names.

- ``secrets`` is ``KEY=VALUE`` lines (``KEY<<EOF`` … ``EOF`` for a value of several lines);
  every value is masked the moment it is read.
- A name under ``[secrets]`` is a secret the server requires. Its value comes from
  ``secrets``, else from the run's environment variable of the same name (the process
  environment wins, as cargo-pmcp has it); a value written in deploy.toml is never used and
  is warned about with its file:line.
- A required name with no value is *missing*: the deploy fails naming it unless the platform
  stores it already (the flow asks the target, after its survey, before any change).
- A name may not be both a secret and a plain environment variable: in the ``environment``
  input that is a problem; a ``[environment]`` key of deploy.toml that names a secret is left
  out of the environment with a warning (as cargo-pmcp does).
- An empty value, or one under 4 characters (too short to keep out of logs reliably), is a
  problem. Each platform checks its own limits (name alphabet, sizes, counts) in its config.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import Problem
from ..keyvalue import ENV_KEY
from ..redact import MIN_SECRET_LENGTH
from ..settings.deploy_toml import DeployConfig
from .model import ServerSecrets

__all__ = ["Resolved", "missing_problem", "resolve_secrets"]

_TABLE_KEYS = {"required", "description"}
_SET_IT = (
    "pass it from a CI secret in the secrets input (e.g. secrets: | NAME=${{ secrets.NAME }}), "
    "or as the run's environment variable of that name"
)


@dataclass(frozen=True)
class Resolved:
    secrets: ServerSecrets
    #: The server's environment with any name that is a secret left out.
    environment: Mapping[str, str]
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def resolve_secrets(
    given: Mapping[str, str],
    *,
    given_source: str,
    config: DeployConfig,
    environ: Mapping[str, str],
    environment: Mapping[str, str],
    environment_input: Mapping[str, str],
    prune: bool,
    mask: Callable[[str], None],
) -> Resolved:
    """The run's secrets and what is wrong with them (nothing is read from any cloud)."""
    problems: list[Problem] = []
    warnings: list[str] = []
    values: dict[str, str] = dict(given)
    sources = {name: given_source for name in given}
    required: list[str] = []
    for name, declared in config.secrets.items():
        where = config.where(f"secrets.{name}")
        if not ENV_KEY.match(str(name)):
            problems.append(
                Problem(
                    where,
                    "a secret's name is letters, digits and _, not starting with a digit",
                    "rename it (the server reads it as an environment variable)",
                )
            )
            continue
        if _wanted(declared, where, warnings):
            required.append(name)
        if name not in values and environ.get(name, ""):
            values[name] = environ[name]
            sources[name] = f"environment variable {name}"
            mask(values[name])
    for name, value in sorted(values.items()):
        where = f"{sources[name]} ({name})"
        if not value:
            problems.append(Problem(where, f"the secret {name} is empty", "give it a value"))
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(
                Problem(
                    where,
                    f"the secret {name} is shorter than {MIN_SECRET_LENGTH} characters, too "
                    "short to keep out of logs",
                    "use a longer value (or make it a plain environment variable if it is "
                    "not secret)",
                )
            )
    for name in sorted(set(values) & set(environment_input)):
        problems.append(
            Problem(
                "input 'environment'",
                f"{name} is both a plain environment variable and a secret ({sources[name]})",
                "give it in one of them: a secret is stored in the platform's secret store, "
                "an environment variable in plain configuration",
            )
        )
    secret_names = set(values) | set(required)
    kept_environment = {k: v for k, v in environment.items() if k not in secret_names}
    for name in sorted(set(environment) - set(kept_environment) - set(environment_input)):
        warnings.append(
            f"{config.where(f'environment.{name}')}: {name} is a secret, so the [environment] "
            "value is left out (a secret never goes into plain configuration)"
        )
    missing = tuple(sorted(name for name in required if name not in values))
    return Resolved(
        ServerSecrets(
            values=MappingProxyType(values),
            sources=MappingProxyType(sources),
            required=tuple(sorted(required)),
            missing=missing,
            prune=prune,
        ),
        MappingProxyType(kept_environment),
        tuple(problems),
        tuple(warnings),
    )


def _wanted(declared: Any, where: str, warnings: list[str]) -> bool:
    """Whether a ``[secrets]`` entry is required; warns about a value written in the file."""
    if isinstance(declared, str):
        if declared:
            warnings.append(
                f"{where}: a value is written for this secret in deploy.toml; it is never "
                f"used. Remove it from the file and {_SET_IT}."
            )
        return True
    if isinstance(declared, Mapping):
        for key in declared:
            if key not in _TABLE_KEYS:
                warnings.append(f"{where}: {key} is not read (only required and description)")
        return declared.get("required", True) is not False
    warnings.append(f'{where}: expected "" or a table (required, description); read as required')
    return True


def missing_problem(names: tuple[str, ...], config: DeployConfig) -> list[Problem]:
    """The problem of required secrets no one gave and the platform does not store."""
    return [
        Problem(
            config.where(f"secrets.{name}"),
            f"the server requires the secret {name}, and this run has no value for it (nor "
            "does the platform store one)",
            _SET_IT,
        )
        for name in names
    ]
