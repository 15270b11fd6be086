"""Temporary re-export of pmcp_action.settings.declaration while the target branches merge."""

from __future__ import annotations

from .settings.declaration import Fallback, OutputSpec, TargetDeclaration

__all__ = ["Fallback", "OutputSpec", "TargetDeclaration"]
