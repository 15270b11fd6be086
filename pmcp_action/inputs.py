"""Temporary re-export of pmcp_action.settings.spec, .common_inputs and .vocabulary while
the target branches merge."""

from __future__ import annotations

from .settings.common_inputs import COMMON_INPUTS, COMMON_VARIABLES
from .settings.spec import InputKind, InputSpec
from .settings.vocabulary import COMMAND_SUMMARIES, COMMANDS

__all__ = [
    "COMMANDS",
    "COMMAND_SUMMARIES",
    "COMMON_INPUTS",
    "COMMON_VARIABLES",
    "InputKind",
    "InputSpec",
]
