"""Resolve every setting once, with one precedence, and validate them all.

Precedence, highest first: CLI flag > action input (``INPUT_FOO-BAR`` or
``INPUT_FOO_BAR``) > environment variable > ``.pmcp/deploy.toml`` > default.
Every problem is collected and reported together, before any network call.

:class:`Settings` holds only what the core itself uses, typed. The chosen
target's inputs reach it as :class:`~pmcp_action.target_inputs.TargetInputs`
(values with their sources), which its own ``config`` module turns into a
typed configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType

from .convert import RawValue, convert, empty_value, parse_bool, split_list
from .declare import TargetDeclaration
from .deploy_config import DeployConfig
from .errors import Problem, ValidationError
from .inputs import InputSpec
from .keyvalue import parse_key_values
from .registry import Catalogue, catalogue
from .target_inputs import TargetInputs

__all__ = [
    "RawValue",
    "Settings",
    "load_settings",
    "parse_bool",
    "redact_given_inputs",
    "resolve_raw",
]

_SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: Stands in for the target while the target input is missing or invalid.
_NO_TARGET = TargetDeclaration(id="none", title="no target", summary="")


@dataclass(frozen=True)
class Settings:
    """The core's settings of one run. Built once by :func:`load_settings`.

    Every field is a common input (its default lives in its spec); ``inputs``
    holds the chosen target's own.
    """

    target: str
    command: str
    working_directory: Path
    config: Path | None
    server_name: str
    #: The environment input only; merged over [environment] by the project.
    environment: Mapping[str, str]
    id_token_variable: str
    verify: str
    verify_url: str
    verify_timeout_seconds: int
    verify_bearer_token: str
    verify_tools: tuple[str, ...]
    rollback_on_failure: bool
    rollback_to: str
    timeout_minutes: int
    confirm_destroy: bool
    report_path: Path | None
    debug: bool
    output_format: str
    #: The chosen target's inputs (shared ones such as region included).
    inputs: TargetInputs
    #: Where each given value came from, by input name.
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def redacted(self) -> dict[str, object]:
        """The settings for the report: secrets replaced by a marker."""
        specs = {spec.attr: spec for spec in catalogue().common_inputs}
        out: dict[str, object] = {}
        for item in fields(self):
            spec = specs.get(item.name)
            if spec is None:
                continue
            value = getattr(self, item.name)
            if spec.secret:
                out[spec.name] = "***" if value else ""
            elif isinstance(value, Path):
                out[spec.name] = str(value)
            elif isinstance(value, Mapping):
                out[spec.name] = sorted(value)  # names only: values may be sensitive
            elif isinstance(value, tuple):
                out[spec.name] = list(value)
            else:
                out[spec.name] = value
        out.update(self.inputs.redacted())
        return out


def core_fields() -> frozenset[str]:
    """The :class:`Settings` fields that hold a common input."""
    return frozenset(item.name for item in fields(Settings)) - {"inputs", "sources"}


def redact_given_inputs(
    raw: Mapping[str, RawValue], specs: Iterable[InputSpec] | None = None
) -> dict[str, object]:
    """Inputs as given (text), for a report written before the settings are valid.

    The same rule as :meth:`Settings.redacted`: secrets become a marker and the
    environment input shows variable names only, since its values may be sensitive.
    """
    secret = {spec.name for spec in (specs or catalogue().inputs) if spec.secret}
    out: dict[str, object] = {}
    for name, value in raw.items():
        if name in secret:
            out[name] = "***"
        elif name == "environment":
            out[name] = sorted(parse_key_values(value.text, value.source, []))
        else:
            out[name] = value.text
    return out


def _lookup(
    spec: InputSpec,
    flags: Mapping[str, str | None],
    environ: Mapping[str, str],
) -> RawValue | None:
    flag_value = flags.get(spec.name)
    if flag_value is not None and flag_value != "":
        return RawValue(flag_value, f"flag {spec.flag}")
    if not spec.cli_only:
        upper = spec.name.upper()
        for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
            value = environ.get(key, "")
            if value.strip():
                return RawValue(value, f"input '{spec.name}'")
    for key in spec.env:
        value = environ.get(key, "")
        if value.strip():
            return RawValue(value, f"environment variable {key}")
    return None


def resolve_raw(
    flags: Mapping[str, str | None],
    environ: Mapping[str, str],
    fallbacks: Mapping[str, RawValue] | None = None,
    *,
    specs: Iterable[InputSpec] | None = None,
    defaults: bool = True,
) -> dict[str, RawValue]:
    """Find the winning text of every input, with its source.

    ``fallbacks`` are values ``.pmcp/deploy.toml`` supplies to common inputs;
    with ``defaults`` the spec's default fills what nothing gave.
    """
    found: dict[str, RawValue] = {}
    for spec in specs if specs is not None else catalogue().inputs:
        raw = _lookup(spec, flags, environ)
        if raw is None and fallbacks and spec.name in fallbacks:
            raw = fallbacks[spec.name]
        if raw is None and defaults and spec.default:
            raw = RawValue(spec.default, "default")
        if raw is not None:
            found[spec.name] = raw
    return found


def load_settings(
    *,
    flags: Mapping[str, str | None],
    environ: Mapping[str, str],
    config_values: Mapping[str, RawValue] | None = None,
    deploy_config: DeployConfig | None = None,
    on_secret: Callable[[str], None] = lambda _value: None,
    extra_problems: list[Problem] | None = None,
    known: Catalogue | None = None,
) -> Settings:
    """Build the frozen settings, or raise :class:`ValidationError` with every problem.

    ``config_values`` are the values ``.pmcp/deploy.toml`` supplies to common
    inputs (target, server-name), already located for messages; ``deploy_config``
    is the file itself, where the target's fallbacks look. Secrets are handed to
    ``on_secret`` as soon as they are read, before anything is validated.
    """
    cat = known or catalogue()
    problems: list[Problem] = list(extra_problems or [])
    given = resolve_raw(flags, environ, specs=cat.inputs, defaults=False)

    for spec in cat.inputs:
        if spec.secret and spec.name in given:
            on_secret(given[spec.name].text.strip())

    core = core_fields()
    common = {spec.name: spec for spec in cat.common_inputs if spec.attr in core}
    raw = resolve_raw(flags, environ, config_values, specs=common.values())
    values: dict[str, object] = {}
    for name, spec in common.items():
        if name not in raw:
            values[spec.attr] = empty_value(spec)
            continue
        converted, problem = convert(spec, raw[name])
        if problem is not None:
            problems.append(problem)
            converted = empty_value(spec)
        values[spec.attr] = converted

    target_spec = common["target"]
    if "target" not in raw:
        problems.append(
            Problem(
                "input 'target'",
                "no target given",
                "set the target input (or --target, or [target].type in .pmcp/deploy.toml) "
                "to one of: " + ", ".join(target_spec.choices),
            )
        )

    environment: dict[str, str] = {}
    if "environment" in raw:
        environment.update(
            parse_key_values(raw["environment"].text, raw["environment"].source, problems)
        )
    values["environment"] = MappingProxyType(environment)
    values["verify_tools"] = split_list(raw["verify-tools"].text) if "verify-tools" in raw else ()

    server_name = values.get("server_name")
    if isinstance(server_name, str) and server_name and not _SERVER_NAME.match(server_name):
        problems.append(
            Problem(
                raw["server-name"].source,
                f"{server_name[:70]!r} is not a valid server name",
                "use 1 to 64 letters, digits, - or _, starting with a letter or digit",
            )
        )

    declaration = cat.target(str(values.get("target", "")))
    placeholder = declaration or _NO_TARGET
    inputs = TargetInputs(
        placeholder,
        cat.target_inputs(placeholder.id) if declaration is not None else (),
        given=given,
        environ=environ,
        config=deploy_config or DeployConfig(),
    )
    problems.extend(inputs.given_problems())
    values["inputs"] = inputs
    values["debug"] = bool(values.get("debug", False)) or environ.get("RUNNER_DEBUG") == "1"
    all_sources = {name: rv.source for name, rv in given.items()}
    all_sources.update({name: rv.source for name, rv in raw.items()})
    values["sources"] = MappingProxyType(all_sources)

    if problems:
        raise ValidationError(problems)
    return Settings(**values)  # type: ignore[arg-type]
