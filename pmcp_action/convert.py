"""Temporary re-export of pmcp_action.settings.values while the target branches merge."""

from __future__ import annotations

from .settings.values import RawValue, convert, empty_value, parse_bool, split_list

__all__ = ["RawValue", "convert", "empty_value", "parse_bool", "split_list"]
