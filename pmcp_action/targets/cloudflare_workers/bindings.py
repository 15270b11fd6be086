"""The bindings a version is uploaded with, and how they differ from the live version's."""

from __future__ import annotations

from typing import Any

from .api import VersionInfo
from .config import WorkersConfig

__all__ = ["KEPT_BINDING_TYPES", "binding_changes", "bindings"]

#: Binding types kept from the live version when keep-bindings is on (wrangler's
#: --keep-vars and secrets-kept sets together).
KEPT_BINDING_TYPES = ("plain_text", "json", "secret_text", "secret_key")


def bindings(config: WorkersConfig) -> list[dict[str, Any]]:
    """The variables as ``plain_text`` and the secrets as ``secret_text``, sorted by name."""
    found: list[dict[str, Any]] = [
        {"type": "plain_text", "name": name, "text": value}
        for name, value in sorted(config.variables.items())
    ]
    found += [
        {"type": "secret_text", "name": name, "text": value}
        for name, value in sorted(config.secrets.items())
    ]
    return found


def binding_changes(live: VersionInfo, config: WorkersConfig) -> list[str]:
    """What a plan says about the variables and secrets (secret values are never shown)."""
    diffs: list[str] = []
    live_vars = {str(b.get("name")) for b in live.bindings if b.get("type") == "plain_text"}
    ours = set(config.variables)
    if ours - live_vars:
        diffs.append(f"new variables {', '.join(sorted(ours - live_vars))}")
    if live_vars - ours:
        kept = " (kept: keep-bindings)" if config.keep_bindings else " (removed)"
        diffs.append(f"variables not sent {', '.join(sorted(live_vars - ours))}{kept}")
    if config.secrets:
        diffs.append(f"secrets {', '.join(sorted(config.secrets))} (values not shown)")
    return diffs
