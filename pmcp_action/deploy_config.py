"""Temporary re-export of pmcp_action.settings.deploy_toml and .deploy_toml_reading while the
target branches merge."""

from __future__ import annotations

from .settings.deploy_toml import (
    AssetsConfig,
    AuthConfig,
    CompositionConfig,
    DcrConfig,
    DeployConfig,
    ObservabilityConfig,
    ServerConfig,
)
from .settings.deploy_toml_reading import find_deploy_config, load_deploy_config

__all__ = [
    "AssetsConfig",
    "AuthConfig",
    "CompositionConfig",
    "DcrConfig",
    "DeployConfig",
    "ObservabilityConfig",
    "ServerConfig",
    "find_deploy_config",
    "load_deploy_config",
]
