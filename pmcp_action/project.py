"""Find the user's project: its deploy config, server name and crate version."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import tomlkit
import tomlkit.exceptions

from .context import Project
from .errors import Problem, ValidationError
from .settings.core_settings import Settings
from .settings.deploy_toml_reading import ConfigLookup

__all__ = [
    "PLACEHOLDER_NAME",
    "detect_server_name",
    "load_project",
    "read_crate_description",
    "read_crate_version",
]


#: The name the other checks run with when no server name is found: they then report what
#: else is missing in the same run, and nothing about names derived from a name not found.
PLACEHOLDER_NAME = "server"


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
    """The server name cargo-pmcp's ``init`` derives from ``<root>/Cargo.toml``.

    The package's name; else, among the workspace members (by their last path segment),
    the first ``<name>-server`` (giving ``<name>``), else ``mcp-<name>-core``, else
    ``<name>-lambda`` (not ``server-common-lambda``), else the first member but
    ``server-common`` and ``server-common-lambda``, else the first member; "" when there is
    neither a package nor a member.
    """
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


def _crate_field(root: Path, key: str) -> str:
    """A ``[package]`` field as cargo-pmcp finds the crate's: the root package's, else
    ``[workspace.package]``'s, else that of the first workspace member that has one."""
    manifest = _read_toml(root / "Cargo.toml")
    value = _package(manifest).get(key)
    if isinstance(value, str) and value:
        return value
    workspace = manifest.get("workspace", {})
    if isinstance(workspace, Mapping):
        shared = workspace.get("package", {})
        if isinstance(shared, Mapping) and isinstance(shared.get(key), str):
            return str(shared[key])
    for member in _members(manifest):
        if "*" in member:
            continue
        member_value = _package(_read_toml(root / member / "Cargo.toml")).get(key)
        if isinstance(member_value, str) and member_value:
            return member_value
    return ""


def read_crate_version(root: Path) -> str:
    """The version cargo-pmcp sends as serverVersion, read without running cargo."""
    return _crate_field(root, "version")


def read_crate_description(root: Path) -> str:
    """The crate's description (``[package].description``), found as its version is."""
    return _crate_field(root, "description")


def load_project(
    settings: Settings, lookup: ConfigLookup, *, problems: list[Problem] | None = None
) -> Project:
    """Build the :class:`Project`. Without a server name: raise :class:`ValidationError`,
    or, when ``problems`` is given, add the problem there and name the project
    :data:`PLACEHOLDER_NAME`, so that every other check still runs."""
    config = lookup.config
    root = config.path.parent.parent if config.path is not None else settings.working_directory
    root = root.resolve()
    server_name = settings.server_name or config.server.name or detect_server_name(root)
    if not server_name:
        problem = Problem(
            "input 'server-name'",
            f"no server name: no .pmcp/deploy.toml [server].name and no crate name in "
            f"{root / 'Cargo.toml'}",
            "set the server-name input, or run the action in the project directory "
            "(working-directory)",
        )
        if problems is None:
            raise ValidationError([problem])
        problems.append(problem)
        server_name = PLACEHOLDER_NAME
    environment = dict(config.environment)
    environment.update(settings.environment)
    return Project(
        root=root,
        config=config,
        server_name=server_name,
        environment=MappingProxyType(environment),
        version=read_crate_version(root),
    )
