"""Find and read ``.pmcp/deploy.toml``: where it is, whether it may be read, what it says.

The file is parsed with tomlkit, so a later write-back keeps the user's
formatting and comments. Unknown tables and keys are kept (cargo-pmcp grows
new ones) but typed keys are checked, and every error names the file and line.
:func:`find_config` is what a run does with the ``working-directory`` and
``config`` inputs: it locates the file, reads it and collects every problem
instead of raising, so they are reported with the other inputs'.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.toml_document import TOMLDocument

from ..errors import ConfigError, Problem, ValidationError
from .deploy_toml import (
    DEFAULT_ASSET_EXCLUDES,
    AssetsConfig,
    AuthConfig,
    BuildConfig,
    CompositionConfig,
    DcrConfig,
    DeployConfig,
    ObservabilityConfig,
    PostDeployTests,
    ServerConfig,
    frozen_mapping,
)
from .deploy_toml_keys import unknown_key_warnings
from .values import RawValue

__all__ = [
    "MAX_CONFIG_BYTES",
    "TABLES",
    "ConfigLookup",
    "find_config",
    "find_deploy_config",
    "load_deploy_config",
]

#: A deploy.toml is a few kilobytes; anything larger is refused before it is read.
MAX_CONFIG_BYTES = 1024 * 1024
_BOM = "\ufeff"


def find_deploy_config(start: Path) -> Path | None:
    """The nearest ``.pmcp/deploy.toml`` at or above ``start`` (cargo-pmcp's rule).

    Anything by that name counts, a directory or a broken link included, so that
    :func:`load_deploy_config` can refuse it instead of deploying with defaults.
    """
    current = start.resolve()
    for directory in (current, *current.parents):
        candidate = directory / ".pmcp" / "deploy.toml"
        if os.path.lexists(candidate):
            return candidate
    return None


def _check_file(path: Path) -> None:
    """Refuse what is not a small regular file, naming the path and what it is."""
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(
                f"{path} is a symbolic link that loops.",
                remediation="Make .pmcp/deploy.toml a regular file (or a link to one).",
            ) from exc
        if path.is_symlink():
            raise ConfigError(
                f"{path} is a symbolic link to a file that does not exist.",
                remediation="Point the link at the real deploy.toml, or replace it by the file.",
            ) from exc
        raise ConfigError(
            f"Cannot read {path}: {exc.strerror or exc}.",
            remediation="Check the config input and that the file exists in the checkout.",
        ) from exc
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(
            f"{path} is a directory, not a file.",
            remediation="Remove the directory, or put the configuration in .pmcp/deploy.toml "
            "as a file (cargo pmcp deploy init writes one).",
        )
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(
            f"{path} is not a regular file.",
            remediation="Make .pmcp/deploy.toml a regular TOML file.",
        )
    if info.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path} is {info.st_size / (1024 * 1024):.1f} MiB; a deploy configuration is a "
            f"few kilobytes, and more than {MAX_CONFIG_BYTES // 1024} KiB is refused unread.",
            remediation="Check that config names the right file.",
        )


def _dotted_keys(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        keys.append(dotted)
        if isinstance(value, Mapping):
            keys += _dotted_keys(value, dotted + ".")
    return keys


def _index_lines(text: str) -> dict[str, int]:
    """Map "[table]" headers and "table.key" assignments to their line numbers."""
    lines: dict[str, int] = {}
    table = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and not line.startswith("[["):
            table = line.strip("[]").strip().strip('"')
            lines.setdefault(table, number)
        elif line.startswith("[["):
            table = line.strip("[]").strip()
            lines.setdefault(table, number)
        elif "=" in line and not line.startswith("#"):
            key = line.split("=", 1)[0].strip().strip('"')
            lines.setdefault(f"{table}.{key}" if table else key, number)
    return lines


class _Reader:
    """Typed access to the parsed document that records problems instead of raising."""

    def __init__(self, data: Mapping[str, Any], config: DeployConfig) -> None:
        self.data = data
        self.config = config
        self.problems: list[Problem] = []
        self._refused: set[str] = set()

    def table(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, Mapping):
            if name not in self._refused:  # once per table, however often it is read
                self._refused.add(name)
                self.problems.append(
                    Problem(
                        self.config.where(name),
                        f"must be a table, found {_type_name(value)}",
                        f"write it as a [{name}] table with its keys below",
                    )
                )
            return {}
        return value

    def get(self, table: str, key: str, kind: type, default: Any) -> Any:
        value = self.table(table).get(key, default) if table else self.data.get(key, default)
        if value is default:
            return default
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            names = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}
            self.problems.append(
                Problem(
                    self.config.where(f"{table}.{key}"),
                    f"must be {names.get(kind, kind.__name__)}, found {value!r}"[:160],
                    "fix the value in the file",
                )
            )
            return default
        if kind is list:
            return tuple(str(item) for item in value)
        return value


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


#: Tables of cargo-pmcp's schema; a key of the same name that is not a table is refused.
TABLES = (
    "target",
    "aws",
    "gcp",
    "azure",
    "server",
    "environment",
    "secrets",
    "auth",
    "observability",
    "api_gateway",
    "assets",
    "composition",
    "iam",
    "layout",
    "runtime",
    "metadata",
    "post_deploy_tests",
    "build",
)
#: The keys of ``[build]``: any other is an error, as cargo-pmcp refuses it.
BUILD_KEYS = ("features", "no_default_features")
#: ``[server].ephemeral_storage_mb``'s bounds (Lambda's).
EPHEMERAL_STORAGE_MB = (512, 10240)


def _parse(path: Path) -> tuple[str, TOMLDocument]:
    """The file's text and document; :class:`ConfigError` naming the file (and line)."""
    _check_file(path)
    try:
        text = path.read_text(encoding="utf-8").removeprefix(_BOM)
    except OSError as exc:
        raise ConfigError(
            f"Cannot read {path}: {exc.strerror or exc}.",
            remediation="Check the config input and that the file exists in the checkout.",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text.", remediation="Save it as UTF-8.") from exc
    try:
        return text, tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(
            f"Failed to parse .pmcp/deploy.toml: {path}:{exc.line}:{exc.col}: "
            f"{str(exc).split(' at line')[0]}.",
            remediation=f"Fix the TOML syntax at line {exc.line} of {path}.",
        ) from exc


def _mcp_path(r: _Reader) -> str | None:
    from ..endpoint import mcp_path_problem

    path: str | None = r.get("server", "mcp_path", str, None)
    if path is None:
        return None
    problem = mcp_path_problem(path)
    if problem:
        r.problems.append(
            Problem(
                r.config.where("server.mcp_path"),
                problem,
                'write the MCP endpoint\'s path, e.g. mcp_path = "/mcp"',
            )
        )
        return None
    return path


def _ephemeral_storage(r: _Reader) -> int | None:
    size: int | None = r.get("server", "ephemeral_storage_mb", int, None)
    low, high = EPHEMERAL_STORAGE_MB
    if size is not None and not low <= size <= high:
        r.problems.append(
            Problem(
                r.config.where("server.ephemeral_storage_mb"),
                f"{size} is out of range",
                f"use {low} to {high} (MB of /tmp)",
            )
        )
        return None
    return size


def _server(r: _Reader) -> ServerConfig:
    return ServerConfig(
        name=r.get("server", "name", str, ""),
        memory_mb=r.get("server", "memory_mb", int, 512),
        timeout_seconds=r.get("server", "timeout_seconds", int, 30),
        reserved_concurrency=r.get("server", "reserved_concurrency", int, None),
        memory=r.get("server", "memory", str, ""),
        cpu=r.get("server", "cpu", str, ""),
        ingress=r.get("server", "ingress", str, ""),
        allow_unauthenticated=r.get("server", "allow_unauthenticated", bool, None),
        max_instances=r.get("server", "max_instances", int, None),
        min_instances=r.get("server", "min_instances", int, None),
        binary=r.get("server", "binary", str, ""),
        mcp_path=_mcp_path(r),
        ephemeral_storage_mb=_ephemeral_storage(r),
    )


def _strings(r: _Reader, table: str, key: str) -> tuple[str, ...] | None:
    """A list of strings (None when the key is absent; a problem when it is not one)."""
    value = r.table(table).get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        r.problems.append(
            Problem(
                r.config.where(f"{table}.{key}"),
                "must be a list of strings",
                f'write it as {key} = ["…", "…"]',
            )
        )
        return None
    return tuple(value)


def _build(r: _Reader) -> BuildConfig:
    for key in r.table("build"):
        if key not in BUILD_KEYS:
            r.problems.append(
                Problem(
                    r.config.where(f"build.{key}"),
                    f"unknown key [build].{key}",
                    f"[build] takes only {' and '.join(BUILD_KEYS)}",
                )
            )
    return BuildConfig(
        features=_strings(r, "build", "features") or (),
        no_default_features=r.get("build", "no_default_features", bool, False),
    )


def _post_deploy_tests(r: _Reader) -> PostDeployTests:
    """The table's values, typed; which values are allowed is the verify inputs' to say."""
    table = "post_deploy_tests"
    return PostDeployTests(
        enabled=r.get(table, "enabled", bool, None),
        checks=_strings(r, table, "checks"),
        apps_mode=r.get(table, "apps_mode", str, None),
        on_failure=r.get(table, "on_failure", str, None),
        timeout_seconds=r.get(table, "timeout_seconds", int, None),
        warmup_grace_ms=r.get(table, "warmup_grace_ms", int, None),
    )


def _environment(r: _Reader) -> Mapping[str, str]:
    environment: dict[str, str] = {}
    for key, value in r.table("environment").items():
        if isinstance(value, (str, int, float, bool)):
            environment[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
        else:
            r.problems.append(
                Problem(
                    r.config.where(f"environment.{key}"), "must be a string", 'write KEY = "value"'
                )
            )
    return frozen_mapping(environment)


def _auth(r: _Reader) -> AuthConfig:
    dcr_value = r.table("auth").get("dcr", {})
    dcr_table: Mapping[str, Any] = dcr_value if isinstance(dcr_value, Mapping) else {}
    defaults = DcrConfig()
    dcr = DcrConfig(
        enabled=bool(dcr_table.get("enabled", defaults.enabled)),
        public_client_patterns=tuple(
            dcr_table.get("public_client_patterns", defaults.public_client_patterns)
        ),
        default_scopes=tuple(dcr_table.get("default_scopes", defaults.default_scopes)),
        allowed_scopes=tuple(dcr_table.get("allowed_scopes", defaults.allowed_scopes)),
    )
    return AuthConfig(
        enabled=r.get("auth", "enabled", bool, False),
        provider=r.get("auth", "provider", str, "none"),
        dcr=dcr,
    )


def _assets(r: _Reader) -> AssetsConfig:
    return AssetsConfig(
        include=r.get("assets", "include", list, ()),
        exclude=r.get("assets", "exclude", list, DEFAULT_ASSET_EXCLUDES),
        base_dir=r.get("assets", "base_dir", str, ""),
    )


def _composition(r: _Reader) -> CompositionConfig:
    composition = CompositionConfig(
        tier=r.get("composition", "tier", str, "foundation"),
        allow_composition=r.get("composition", "allow_composition", bool, True),
        internal_only=r.get("composition", "internal_only", bool, False),
        description=r.get("composition", "description", str, ""),
    )
    if composition.tier not in ("foundation", "domain"):
        r.problems.append(
            Problem(
                r.config.where("composition.tier"),
                f"unknown tier {composition.tier!r}",
                'use "foundation" or "domain"',
            )
        )
    return composition


def _observability(r: _Reader) -> ObservabilityConfig:
    return ObservabilityConfig(
        log_retention_days=r.get("observability", "log_retention_days", int, 30),
        enable_xray=r.get("observability", "enable_xray", bool, False),
        create_dashboard=r.get("observability", "create_dashboard", bool, False),
    )


def load_deploy_config(path: Path) -> tuple[DeployConfig, TOMLDocument]:
    """Parse ``path``; raise :class:`ConfigError` naming file and line on any problem."""
    text, document = _parse(path)
    data: dict[str, Any] = document.unwrap()
    base = DeployConfig(path=path, lines=frozen_mapping(_index_lines(text)))
    r = _Reader(data, base)
    for name in TABLES:
        if name in data:
            r.table(name)
    # Read in the file's schema order, so the problems come in that order too.
    server, environment, auth = _server(r), _environment(r), _auth(r)
    assets, composition, observability = _assets(r), _composition(r), _observability(r)
    build, post_deploy_tests = _build(r), _post_deploy_tests(r)
    tables = {
        str(name): frozen_mapping(value)
        for name, value in data.items()
        if isinstance(value, Mapping)
    }
    config = DeployConfig(
        path=path,
        target_type=r.get("target", "type", str, ""),
        target_version=r.get("target", "version", str, "1.0.0"),
        server=server,
        environment=environment,
        secrets=frozen_mapping(r.table("secrets")),
        auth=auth,
        assets=assets,
        composition=composition,
        observability=observability,
        build=build,
        post_deploy_tests=post_deploy_tests,
        tables=frozen_mapping(tables),
        lines=base.lines,
        keys=tuple(_dotted_keys(data)),
    )
    if r.problems:
        raise ValidationError(r.problems)
    return config, document


@dataclass(frozen=True)
class ConfigLookup:
    """The deploy config located before the settings are final, and what it supplies."""

    config: DeployConfig
    problems: list[Problem]
    #: Keys and tables nobody reads (typos, newer cargo-pmcp keys): worth a warning.
    warnings: list[Problem] = field(default_factory=list)
    #: The file exists but could not be read: what it would supply (the target, the
    #: server name) is unknown, not missing.
    unreadable: bool = False

    @property
    def values(self) -> dict[str, RawValue]:
        """Settings the file supplies, each with its location as the source."""
        found: dict[str, RawValue] = {}
        if self.config.target_type:
            found["target"] = RawValue(self.config.target_type, self.config.where("target.type"))
        if self.config.server.name:
            found["server-name"] = RawValue(
                self.config.server.name, self.config.where("server.name")
            )
        found.update(_verify_values(self.config))
        return found


#: ``[post_deploy_tests]`` keys -> the verify inputs they are fallbacks of.
_VERIFY_KEYS = {
    "checks": "verify-checks",
    "apps_mode": "verify-apps-mode",
    "on_failure": "verify-on-failure",
    "timeout_seconds": "verify-timeout-seconds",
    "warmup_grace_ms": "verify-warmup-grace-ms",
}


def _verify_values(config: DeployConfig) -> dict[str, RawValue]:
    """What ``[post_deploy_tests]`` supplies to the verify inputs, each with its location."""
    tests = config.post_deploy_tests
    found: dict[str, RawValue] = {}
    if tests.enabled is False:
        found["verify"] = RawValue("false", config.where("post_deploy_tests.enabled"))
    for key, name in _VERIFY_KEYS.items():
        value = getattr(tests, key)
        if value is None:
            continue
        text = ",".join(value) if isinstance(value, tuple) else str(value)
        found[name] = RawValue(text, config.where(f"post_deploy_tests.{key}"))
    return found


def find_config(
    working_directory: Path, config_input: Path | None, declared_keys: list[str]
) -> ConfigLookup:
    """Locate and read ``.pmcp/deploy.toml``; problems are collected, not raised.

    ``declared_keys`` are the keys the targets read through their fallbacks: known, so
    not warned about.
    """
    problems: list[Problem] = []
    if not working_directory.is_dir():
        problems.append(
            Problem(
                "input 'working-directory'",
                f"{working_directory} is not a directory",
                "point it at the project directory inside the checkout",
            )
        )
        return ConfigLookup(DeployConfig(), problems)
    if config_input is not None:
        path = config_input if config_input.is_absolute() else working_directory / config_input
        if not os.path.lexists(path):
            problems.append(
                Problem(
                    "input 'config'",
                    f"{path} does not exist",
                    "give the path of .pmcp/deploy.toml relative to working-directory, or leave "
                    "config empty to find it automatically",
                )
            )
            return ConfigLookup(DeployConfig(), problems)
    else:
        found = find_deploy_config(working_directory)
        if found is None:
            return ConfigLookup(DeployConfig(), problems)
        path = found
    try:
        config, _document = load_deploy_config(path)
    except ValidationError as exc:
        problems.extend(exc.problems)
        return ConfigLookup(DeployConfig(path=path), problems, unreadable=True)
    except ConfigError as exc:
        problems.append(Problem(str(path), exc.message, exc.remediation))
        return ConfigLookup(DeployConfig(path=path), problems, unreadable=True)
    return ConfigLookup(config, problems, unknown_key_warnings(config, declared_keys))
