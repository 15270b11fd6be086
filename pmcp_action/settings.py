"""Resolve every setting once, with one precedence, and validate them all.

Precedence, highest first: CLI flag > action input (``INPUT_FOO-BAR`` or
``INPUT_FOO_BAR``) > environment variable > ``.pmcp/deploy.toml`` > default.
Every problem is collected and reported together, before any network call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .errors import Problem, ValidationError
from .inputs import INPUTS, InputKind, InputSpec
from .urls import endpoint_problem

__all__ = [
    "RawValue",
    "Settings",
    "load_settings",
    "parse_bool",
    "parse_env_lines",
    "redact_given_inputs",
]

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class RawValue:
    """A setting as text, with where it came from (for messages and the report)."""

    text: str
    source: str  # e.g. "flag --region", "input region", "env AWS_REGION"


@dataclass(frozen=True)
class Settings:
    """All settings of one run. Built once by :func:`load_settings`."""

    target: str
    command: str = "deploy"
    working_directory: Path = Path(".")
    config: Path | None = None
    server_name: str = ""
    artifact: Path | None = None
    region: str = ""
    #: The environment input only; merged over [environment] by the project.
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    auth: str = "auto"
    audience: str = ""
    id_token_variable: str = "PMCP_ID_TOKEN"
    verify: str = "true"
    verify_url: str = ""
    verify_timeout_seconds: int = 120
    verify_bearer_token: str = ""
    verify_tools: tuple[str, ...] = ()
    rollback_on_failure: bool = True
    rollback_to: str = ""
    timeout_minutes: int = 15
    confirm_destroy: bool = False
    delete_log_group: bool = False
    report_path: Path | None = None
    debug: bool = False
    pmcp_api_url: str = "https://api.pmcp.run"
    pmcp_client_id: str = ""
    pmcp_client_secret: str = ""
    pmcp_access_token: str = ""
    pmcp_credentials: str = ""
    role_to_assume: str = ""
    role_session_name: str = ""
    role_duration_seconds: int = 3600
    allowed_account_ids: tuple[str, ...] = ()
    aws_access_key_id: str = ""
    aws_secret_access_key: str = ""
    aws_session_token: str = ""
    lambda_role_arn: str = ""
    architecture: str = ""
    function_url_auth_type: str = "NONE"
    output_format: str = "text"
    #: Where each given value came from, by input name.
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def redacted(self) -> dict[str, object]:
        """The settings for the report: secrets replaced by a marker."""
        secret_names = {spec.attr for spec in INPUTS if spec.secret}
        out: dict[str, object] = {}
        for spec in INPUTS:
            value = getattr(self, spec.attr)
            if spec.attr in secret_names:
                out[spec.name] = "***" if value else ""
            elif isinstance(value, Path):
                out[spec.name] = str(value)
            elif isinstance(value, Mapping):
                out[spec.name] = sorted(value)  # names only: values may be sensitive
            elif isinstance(value, tuple):
                out[spec.name] = list(value)
            else:
                out[spec.name] = value
        return out


def redact_given_inputs(raw: Mapping[str, RawValue]) -> dict[str, object]:
    """Inputs as given (text), for a report written before the settings are valid.

    The same rule as :meth:`Settings.redacted`: secrets become a marker and the
    environment input shows variable names only, since its values may be sensitive.
    """
    secret = {spec.name for spec in INPUTS if spec.secret}
    out: dict[str, object] = {}
    for name, value in raw.items():
        if name in secret:
            out[name] = "***"
        elif name == "environment":
            out[name] = sorted(parse_env_lines(value.text, value.source, []))
        else:
            out[name] = value.text
    return out


def parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def parse_env_lines(text: str, where: str, problems: list[Problem]) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines; blank lines and ``#`` comments are skipped."""
    result: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not _ENV_KEY.match(key):
            problems.append(
                Problem(
                    f"{where}, line {number}",
                    f"expected KEY=VALUE, got {stripped.split('=')[0][:40]!r}",
                    "write one variable per line as NAME=value; names use letters, digits "
                    "and _ and do not start with a digit",
                )
            )
            continue
        result[key] = value
    return result


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[,\n]", text) if part.strip())


def _lookup(
    spec: InputSpec,
    flags: Mapping[str, str | None],
    environ: Mapping[str, str],
    fallbacks: Mapping[str, RawValue],
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
    if spec.name in fallbacks:
        return fallbacks[spec.name]
    if spec.default:
        return RawValue(spec.default, "default")
    return None


def resolve_raw(
    flags: Mapping[str, str | None],
    environ: Mapping[str, str],
    fallbacks: Mapping[str, RawValue] | None = None,
) -> dict[str, RawValue]:
    """Find the winning text of every input, with its source."""
    found: dict[str, RawValue] = {}
    for spec in INPUTS:
        raw = _lookup(spec, flags, environ, fallbacks or {})
        if raw is not None:
            found[spec.name] = raw
    return found


def _convert(spec: InputSpec, raw: RawValue, problems: list[Problem]) -> object:
    text = raw.text if spec.kind is InputKind.MULTILINE else raw.text.strip()
    where = raw.source
    if spec.kind is InputKind.BOOL:
        parsed = parse_bool(text)
        if parsed is None:
            problems.append(Problem(where, f"{text[:40]!r} is not a boolean", "use true or false"))
            return None
        return parsed
    if spec.kind is InputKind.INT:
        try:
            number = int(text)
        except ValueError:
            problems.append(
                Problem(where, f"{text[:40]!r} is not a whole number", "use digits only")
            )
            return None
        if (spec.minimum is not None and number < spec.minimum) or (
            spec.maximum is not None and number > spec.maximum
        ):
            problems.append(
                Problem(where, f"{number} is out of range", f"use {spec.minimum} to {spec.maximum}")
            )
            return None
        return number
    if spec.kind is InputKind.CHOICE:
        if text not in spec.choices:
            problems.append(
                Problem(
                    where,
                    f"unknown value {text[:60]!r}",
                    "valid values: " + ", ".join(spec.choices),
                )
            )
            return None
        return text
    if spec.kind is InputKind.URL:
        problem = endpoint_problem(text, where)
        if problem is not None:
            problems.append(problem)
            return None
        return text.rstrip("/")
    if spec.kind is InputKind.PATH:
        return Path(text)
    return text


def load_settings(
    *,
    flags: Mapping[str, str | None],
    environ: Mapping[str, str],
    config_values: Mapping[str, RawValue] | None = None,
    on_secret: Callable[[str], None] = lambda _value: None,
    extra_problems: list[Problem] | None = None,
) -> Settings:
    """Build the frozen settings, or raise :class:`ValidationError` with every problem.

    ``config_values`` are the values ``.pmcp/deploy.toml`` supplies (target,
    server-name), already located for messages. Secrets are handed to
    ``on_secret`` as soon as they are read, before anything is validated.
    """
    problems: list[Problem] = list(extra_problems or [])
    raw = resolve_raw(flags, environ, config_values)

    for spec in INPUTS:
        if spec.secret and spec.name in raw:
            on_secret(raw[spec.name].text.strip())

    values: dict[str, object] = {}
    for spec in INPUTS:
        if spec.name not in raw:
            continue
        converted = _convert(spec, raw[spec.name], problems)
        if converted is not None:
            values[spec.attr] = converted

    if "target" not in raw:
        problems.append(
            Problem(
                "input 'target'",
                "no target given",
                "set the target input (or --target, or [target].type in .pmcp/deploy.toml) "
                "to one of: " + ", ".join(s for s in INPUTS[0].choices),
            )
        )

    environment: dict[str, str] = {}
    if "environment" in raw:
        environment.update(
            parse_env_lines(raw["environment"].text, raw["environment"].source, problems)
        )
    values["environment"] = MappingProxyType(environment)
    if "verify-tools" in raw:
        values["verify_tools"] = _split_list(raw["verify-tools"].text)
    if "allowed-account-ids" in raw:
        ids = _split_list(raw["allowed-account-ids"].text)
        bad = [i for i in ids if not re.fullmatch(r"\d{12}", i)]
        if bad:
            problems.append(
                Problem(
                    raw["allowed-account-ids"].source,
                    f"{bad[0][:20]!r} is not a 12-digit AWS account id",
                    "list account ids separated by commas",
                )
            )
        values["allowed_account_ids"] = ids

    server_name = values.get("server_name")
    if isinstance(server_name, str) and not _SERVER_NAME.match(server_name):
        problems.append(
            Problem(
                raw["server-name"].source,
                f"{server_name[:70]!r} is not a valid server name",
                "use 1 to 64 letters, digits, - or _, starting with a letter or digit",
            )
        )

    values["debug"] = bool(values.get("debug", False)) or environ.get("RUNNER_DEBUG") == "1"
    values["sources"] = MappingProxyType({name: rv.source for name, rv in raw.items()})

    if problems:
        raise ValidationError(problems)
    return Settings(**values)  # type: ignore[arg-type]
