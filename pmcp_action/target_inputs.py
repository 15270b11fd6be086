"""Temporary re-export of pmcp_action.settings.target_inputs while the target branches merge."""

from __future__ import annotations

from .settings.target_inputs import TargetInputs

__all__ = ["TargetInputs"]
