"""The ``mcp:*`` template Metadata pmcp.run reads (what cargo-pmcp writes into the template).

Sources, first existing wins: ``builtin-manifest.toml``,
``.pmcp/template-info.toml``, ``pmcp.toml``, ``.pmcp/config.toml``, then the
crate name from ``Cargo.toml``. ``[metadata]`` in deploy.toml overrides
``server_type`` and ``snapshot_baked``. JSON keys are snake_case inside
``mcp:resources``/``mcp:capabilities`` and empty lists are omitted, exactly
as cargo-pmcp serialises them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ...errors import ConfigError

__all__ = ["MCP_METADATA_VERSION", "McpMetadata", "extract_metadata"]

MCP_METADATA_VERSION = "1.0"


@dataclass(frozen=True)
class McpMetadata:
    server_type: str
    server_id: str
    template_id: str | None = None
    template_version: str | None = None
    secrets: tuple[Mapping[str, Any], ...] = ()
    parameters: tuple[Mapping[str, Any], ...] = ()
    permissions: tuple[Mapping[str, Any], ...] = ()
    tools: tuple[str, ...] = ()
    composition: bool = False
    snapshot_baked: bool = False
    #: Which file the metadata came from (for the log).
    source: str = field(default="", compare=False)

    def with_overrides(self, table: Mapping[str, Any]) -> McpMetadata:
        """Apply deploy.toml ``[metadata]`` (``server_type``, ``snapshot_baked``)."""
        server_type = table.get("server_type")
        snapshot_baked = table.get("snapshot_baked")
        return replace(
            self,
            server_type=server_type if isinstance(server_type, str) else self.server_type,
            snapshot_baked=(
                snapshot_baked if isinstance(snapshot_baked, bool) else self.snapshot_baked
            ),
        )

    def to_cloudformation_metadata(self) -> dict[str, Any]:
        resources: dict[str, Any] = {}
        if self.secrets:
            resources["secrets"] = [dict(s) for s in self.secrets]
        if self.parameters:
            resources["parameters"] = [dict(p) for p in self.parameters]
        if self.permissions:
            resources["permissions"] = [dict(p) for p in self.permissions]
        capabilities: dict[str, Any] = {}
        if self.tools:
            capabilities["tools"] = list(self.tools)
        capabilities["resources"] = False
        capabilities["composition"] = self.composition
        metadata: dict[str, Any] = {
            "mcp:version": MCP_METADATA_VERSION,
            "mcp:serverType": self.server_type,
            "mcp:serverId": self.server_id,
            "mcp:resources": resources,
            "mcp:capabilities": capabilities,
        }
        if self.template_id is not None:
            metadata["mcp:templateId"] = self.template_id
        if self.template_version is not None:
            metadata["mcp:templateVersion"] = self.template_version
        if self.snapshot_baked:
            metadata["mcp:snapshotBaked"] = True
        return metadata


class _Unparsable(ValueError):
    """The file does not have the shape cargo-pmcp's serde types require."""


def _load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _Unparsable(f"{path}: {exc}") from exc


def _opt_str(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Unparsable(f"{key} must be a string")
    return value


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise _Unparsable(f"[{key}] must be a table")
    return value


def _array_of_tables(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise _Unparsable(f"{key} must be an array of tables")
    return value


def _named(entries: list[Mapping[str, Any]], what: str) -> list[Mapping[str, Any]]:
    for entry in entries:
        if not isinstance(entry.get("name"), str):
            raise _Unparsable(f"every {what} needs a name")
    return entries


def _secret(entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": entry["name"]}
    if (description := _opt_str(entry, "description")) is not None:
        out["description"] = description
    required = entry.get("required", True)
    if not isinstance(required, bool):
        raise _Unparsable("secrets.definitions.required must be true or false")
    out["required"] = required
    if (env_var := _opt_str(entry, "env_var")) is not None:
        out["env_var"] = env_var
    if (obtain_url := _opt_str(entry, "obtain_url")) is not None:
        out["obtain_url"] = obtain_url
    return out


def _parameter(entry: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": entry["name"]}
    for key in ("value", "env_var", "description"):
        if (value := _opt_str(entry, key)) is not None:
            out[key] = value
    return out


def _permission(entry: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(entry.get("id"), str) or not isinstance(entry.get("type"), str):
        raise _Unparsable("every permission needs an id and a type")
    out: dict[str, Any] = {"id": entry["id"], "type": entry["type"]}
    targets = entry.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise _Unparsable("permission targets must be a list of strings")
    if targets:
        out["targets"] = list(targets)
    if (description := _opt_str(entry, "description")) is not None:
        out["description"] = description
    return out


@dataclass(frozen=True)
class _Instance:
    server_id: str
    secrets: tuple[Mapping[str, Any], ...]
    tools: tuple[str, ...]


def _instance(data: Mapping[str, Any], *, prefer_id: bool) -> _Instance:
    """An instance config (``[server] id?, name``, ``[secrets]``, ``[[tools]]``)."""
    server = _table(data, "server")
    name = server.get("name")
    if not isinstance(name, str):
        raise _Unparsable("[server].name is required")
    server_id = _opt_str(server, "id") if prefer_id else None
    secrets_table = _table(data, "secrets")
    definitions = _named(_array_of_tables(secrets_table, "definitions"), "secret definition")
    tools = _named(_array_of_tables(data, "tools"), "tool")
    return _Instance(
        server_id=server_id or name,
        secrets=tuple(_secret(d) for d in definitions),
        tools=tuple(str(t["name"]) for t in tools),
    )


def _from_builtin_manifest(path: Path, root: Path) -> McpMetadata:
    manifest = _load(path)
    server = _table(manifest, "server")
    server_type = server.get("type")
    config = server.get("config")
    if not isinstance(server_type, str) or not isinstance(config, str):
        raise _Unparsable("[server] needs type and config")
    features = _table(manifest, "features")
    resources = _table(manifest, "resources")
    template = server.get("template")
    template_id = template_version = None
    if isinstance(template, Mapping):
        template_id = _opt_str(template, "id")
        template_version = _opt_str(template, "version")
    config_path = path.parent / config
    instance = _instance(_load(config_path), prefer_id=True) if config_path.is_file() else None
    secrets_from_config = features.get("secrets_from_config") is True
    return McpMetadata(
        server_type=server_type,
        server_id=instance.server_id if instance else root.resolve().name or "unknown",
        template_id=template_id,
        template_version=template_version,
        secrets=instance.secrets if instance and secrets_from_config else (),
        parameters=tuple(
            _parameter(p) for p in _named(_array_of_tables(resources, "parameters"), "parameter")
        ),
        permissions=tuple(_permission(p) for p in _array_of_tables(resources, "permissions")),
        tools=instance.tools if instance else (),
        composition=features.get("composition_enabled") is True,
        source=str(path),
    )


def _from_pmcp_toml(path: Path) -> McpMetadata:
    try:
        instance = _instance(_load(path), prefer_id=False)
    except _Unparsable:
        # cargo-pmcp: "minimal metadata" named after the file's directory.
        return McpMetadata(
            server_type="custom", server_id=path.parent.name or "unknown", source=str(path)
        )
    return McpMetadata(
        server_type="custom",
        server_id=instance.server_id,
        secrets=instance.secrets,
        tools=instance.tools,
        source=str(path),
    )


def _from_cargo(root: Path) -> McpMetadata:
    cargo = root / "Cargo.toml"
    server_id = root.resolve().name or "unknown"
    if cargo.is_file():
        server_id = "unknown"
        for line in cargo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("name"):
                _, _, value = line.partition("=")
                if value:
                    server_id = value.strip().strip('"')
                break
    return McpMetadata(server_type="custom", server_id=server_id, source=str(cargo))


def extract_metadata(root: Path) -> McpMetadata:
    """cargo-pmcp's ``McpMetadata::extract``; raises ConfigError on a broken manifest."""
    manifest = root / "builtin-manifest.toml"
    template_info = root / ".pmcp" / "template-info.toml"
    try:
        if manifest.is_file():
            return _from_builtin_manifest(manifest, root)
        if template_info.is_file():
            try:
                return _from_builtin_manifest(template_info, root)
            except _Unparsable:
                return _from_cargo(root)
        for candidate in (root / "pmcp.toml", root / ".pmcp" / "config.toml"):
            if candidate.is_file():
                return _from_pmcp_toml(candidate)
        return _from_cargo(root)
    except _Unparsable as exc:
        raise ConfigError(
            f"Cannot read the MCP server metadata: {exc}.",
            remediation="Fix builtin-manifest.toml (and the instance config it names); pmcp.run "
            "reads secrets, tools and permissions from it.",
        ) from exc
