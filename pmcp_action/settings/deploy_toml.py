"""The typed view of ``.pmcp/deploy.toml``: cargo-pmcp's schema and its defaults.

:class:`DeployConfig` holds what the file says (its defaults when there is no
file), each typed table as a frozen value, every table as plain data for the
targets' fallbacks, and the line of every key for messages. The file is found
and read by :mod:`.deploy_toml_reading`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_ASSET_EXCLUDES",
    "AssetsConfig",
    "AuthConfig",
    "BuildConfig",
    "CompositionConfig",
    "DcrConfig",
    "DeployConfig",
    "ObservabilityConfig",
    "PostDeployTests",
    "ServerConfig",
    "frozen_mapping",
]

DEFAULT_ASSET_EXCLUDES = ("**/*.tmp", "**/.DS_Store", "**/Thumbs.db")


def frozen_mapping(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only copy (an empty one for None)."""
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class ServerConfig:
    name: str = ""
    memory_mb: int = 512
    timeout_seconds: int = 30
    reserved_concurrency: int | None = None
    # The keys cargo-pmcp writes for a Cloud Run deploy.
    memory: str = ""
    cpu: str = ""
    ingress: str = ""
    allow_unauthenticated: bool | None = None
    max_instances: int | None = None
    min_instances: int | None = None
    binary: str = ""
    #: The MCP endpoint's path under the service URL (None = not set; see pmcp_action.endpoint).
    mcp_path: str | None = None
    #: Lambda's /tmp size in MB (512 to 10240; None = Lambda's default, 512).
    ephemeral_storage_mb: int | None = None


@dataclass(frozen=True)
class BuildConfig:
    """``[build]``: what a build of the server (``cargo lambda build``) is given."""

    #: Cargo features (``--features=a,b``).
    features: tuple[str, ...] = ()
    #: ``--no-default-features``.
    no_default_features: bool = False


@dataclass(frozen=True)
class PostDeployTests:
    """``[post_deploy_tests]`` as written (None = not set): the verification's settings.

    Each key is a fallback of a verify input (enabled -> verify, checks -> verify-checks,
    apps_mode -> verify-apps-mode, on_failure -> verify-on-failure, timeout_seconds ->
    verify-timeout-seconds, warmup_grace_ms -> verify-warmup-grace-ms); an input wins.
    """

    enabled: bool | None = None
    checks: tuple[str, ...] | None = None
    apps_mode: str | None = None
    on_failure: str | None = None
    timeout_seconds: int | None = None
    warmup_grace_ms: int | None = None


@dataclass(frozen=True)
class DcrConfig:
    enabled: bool = True
    public_client_patterns: tuple[str, ...] = (
        "claude",
        "desktop",
        "cursor",
        "mcp-inspector",
        "chatgpt",
    )
    default_scopes: tuple[str, ...] = ("openid", "email", "mcp/read")
    allowed_scopes: tuple[str, ...] = ("openid", "email", "profile", "mcp/read", "mcp/write")


@dataclass(frozen=True)
class AuthConfig:
    enabled: bool = False
    provider: str = "none"
    dcr: DcrConfig = field(default_factory=DcrConfig)


@dataclass(frozen=True)
class AssetsConfig:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_ASSET_EXCLUDES
    base_dir: str = ""


@dataclass(frozen=True)
class CompositionConfig:
    tier: str = "foundation"
    allow_composition: bool = True
    internal_only: bool = False
    description: str = ""


@dataclass(frozen=True)
class ObservabilityConfig:
    log_retention_days: int = 30
    enable_xray: bool = False
    create_dashboard: bool = False


@dataclass(frozen=True)
class DeployConfig:
    """The typed view of ``.pmcp/deploy.toml``; defaults when there is no file."""

    path: Path | None = None
    target_type: str = ""
    target_version: str = "1.0.0"
    server: ServerConfig = field(default_factory=ServerConfig)
    environment: Mapping[str, str] = field(default_factory=frozen_mapping)
    secrets: Mapping[str, Any] = field(default_factory=frozen_mapping)
    auth: AuthConfig = field(default_factory=AuthConfig)
    assets: AssetsConfig = field(default_factory=AssetsConfig)
    composition: CompositionConfig = field(default_factory=CompositionConfig)
    observability: ObservabilityConfig = field(default_factory=ObservabilityConfig)
    build: BuildConfig = field(default_factory=BuildConfig)
    post_deploy_tests: PostDeployTests = field(default_factory=PostDeployTests)
    #: Tables by name as plain data ([aws], [gcp], [azure], [metadata], …), for targets.
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=frozen_mapping)
    #: 1-based line of each "table.key" and "[table]" header, for error messages.
    lines: Mapping[str, int] = field(default_factory=frozen_mapping)
    #: Every table and key the file has, dotted ("server", "server.name", "auth.dcr.enabled").
    keys: tuple[str, ...] = ()

    def table(self, name: str) -> Mapping[str, Any]:
        return self.tables.get(name, frozen_mapping())

    def where(self, dotted: str) -> str:
        """``.pmcp/deploy.toml:12 [server].name`` style location for messages."""
        table, _, key = dotted.partition(".")
        label = f"[{table}].{key}" if key else f"[{table}]"
        if self.path is None:
            return label
        line = self.lines.get(dotted) or self.lines.get(table)
        return f"{self.path}:{line} {label}" if line else f"{self.path} {label}"
