"""Find the user's project: its deploy config, server name and crate version."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomlkit
import tomlkit.exceptions

from .config_schema import unknown_key_warnings
from .context import Project
from .deploy_config import DeployConfig, find_deploy_config, load_deploy_config
from .errors import ConfigError, Problem, ValidationError
from .settings import RawValue, Settings

__all__ = [
    "ConfigLookup",
    "detect_server_name",
    "find_config",
    "load_project",
    "read_crate_version",
]


class ConfigLookup:
    """The deploy config located before settings are final, and what it supplies."""

    def __init__(
        self,
        config: DeployConfig,
        problems: list[Problem],
        warnings: list[Problem] | None = None,
    ) -> None:
        self.config = config
        self.problems = problems
        #: Keys and tables nobody reads (typos, newer cargo-pmcp keys): worth a warning.
        self.warnings = warnings or []

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
        return found


def find_config(working_directory: Path, config_input: Path | None) -> ConfigLookup:
    """Locate and read ``.pmcp/deploy.toml``; problems are collected, not raised."""
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
        return ConfigLookup(DeployConfig(path=path), problems)
    except ConfigError as exc:
        problems.append(Problem(str(path), exc.message, exc.remediation))
        return ConfigLookup(DeployConfig(path=path), problems)
    return ConfigLookup(config, problems, unknown_key_warnings(config, _declared_keys()))


def _declared_keys() -> list[str]:
    """The deploy.toml keys the targets read through their declared fallbacks."""
    from .registry import catalogue

    return [
        key
        for target in catalogue().targets
        for fallback in target.fallbacks.values()
        for key in fallback.config
    ]


def _read_toml(path: Path) -> Mapping[str, Any]:
    try:
        data: dict[str, Any] = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.TOMLKitError):
        return {}
    return data


def _package(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    package = manifest.get("package", {})
    return package if isinstance(package, Mapping) else {}


def _members(manifest: Mapping[str, Any]) -> list[str]:
    workspace = manifest.get("workspace", {})
    members = workspace.get("members", []) if isinstance(workspace, Mapping) else []
    return [str(m) for m in members if isinstance(m, str)]


def detect_server_name(root: Path) -> str:
    """cargo-pmcp's ``InitCommand::get_server_name`` over ``<root>/Cargo.toml``."""
    manifest = _read_toml(root / "Cargo.toml")
    name = _package(manifest).get("name")
    if isinstance(name, str) and name:
        return name
    members = [m.rstrip("/").split("/")[-1] for m in _members(manifest)]
    for member in members:
        if member.endswith("-server"):
            return member.removesuffix("-server")
    for member in members:
        if member.startswith("mcp-") and member.endswith("-core"):
            return member.removeprefix("mcp-").removesuffix("-core")
    for member in members:
        if member.endswith("-lambda") and member != "server-common-lambda":
            return member.removesuffix("-lambda")
    for member in members:
        if member not in ("server-common", "server-common-lambda"):
            return member
    return members[0] if members else ""


def read_crate_version(root: Path) -> str:
    """The version cargo-pmcp sends as serverVersion, read without running cargo.

    The root package's version, else ``[workspace.package].version``, else the
    version of the first workspace member that has one.
    """
    manifest = _read_toml(root / "Cargo.toml")
    version = _package(manifest).get("version")
    if isinstance(version, str) and version:
        return version
    workspace = manifest.get("workspace", {})
    if isinstance(workspace, Mapping):
        shared = workspace.get("package", {})
        if isinstance(shared, Mapping) and isinstance(shared.get("version"), str):
            return str(shared["version"])
    for member in _members(manifest):
        if "*" in member:
            continue
        member_version = _package(_read_toml(root / member / "Cargo.toml")).get("version")
        if isinstance(member_version, str) and member_version:
            return member_version
    return ""


def load_project(settings: Settings, lookup: ConfigLookup) -> Project:
    """Build the :class:`Project`; raise :class:`ValidationError` when it has no name."""
    config = lookup.config
    root = config.path.parent.parent if config.path is not None else settings.working_directory
    root = root.resolve()
    server_name = settings.server_name or config.server.name or detect_server_name(root)
    if not server_name:
        raise ValidationError(
            [
                Problem(
                    "input 'server-name'",
                    f"no server name: no .pmcp/deploy.toml [server].name and no crate name in "
                    f"{root / 'Cargo.toml'}",
                    "set the server-name input, or run the action in the project directory "
                    "(working-directory)",
                )
            ]
        )
    environment = dict(config.environment)
    environment.update(settings.environment)
    return Project(
        root=root,
        config=config,
        server_name=server_name,
        environment=MappingProxyType(environment),
        version=read_crate_version(root),
    )
