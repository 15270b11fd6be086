"""Temporary re-export of pmcp_action.settings.catalogue while the target branches merge."""

from __future__ import annotations

from .settings.catalogue import (
    ENTRY_POINT_GROUP,
    Catalogue,
    RegistryError,
    build_catalogue,
    catalogue,
    discover_declarations,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Catalogue",
    "RegistryError",
    "build_catalogue",
    "catalogue",
    "discover_declarations",
]
