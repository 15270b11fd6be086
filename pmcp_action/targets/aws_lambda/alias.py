"""Alias ``live``: which published version serves, and which one served before.

The previous version is written into the alias description in the same call
that moves the alias, so a later ``rollback`` run (a separate job) knows where
to go back to without any other state.
"""

from __future__ import annotations

import re
from typing import Any

from .function import ALIAS, FunctionManager, FunctionState

__all__ = ["alias_description", "move_alias", "previous_version_of"]

_PREVIOUS = re.compile(r"previous-version=(\d+)")


def previous_version_of(description: str) -> str:
    """The previous version recorded in an alias description ("" when none)."""
    match = _PREVIOUS.search(description)
    return match.group(1) if match else ""


def alias_description(previous: str) -> str:
    text = "Served by the function URL; managed by pmcp-deploy-action."
    return f"{text} previous-version={previous}" if previous else text


def move_alias(
    functions: FunctionManager, state: FunctionState, version: str, previous: str
) -> str:
    """Point ``live`` at ``version`` (creating the alias if needed); return the alias ARN."""
    description = alias_description(previous)
    if state.alias_version:
        guard: dict[str, Any] = {"RevisionId": state.alias_revision} if state.alias_revision else {}
        response = functions.call(
            f"move the alias {ALIAS} to version {version}",
            "update_alias",
            FunctionName=functions.name,
            Name=ALIAS,
            FunctionVersion=version,
            Description=description,
            RoutingConfig={"AdditionalVersionWeights": {}},
            **guard,
        )
    else:
        response = functions.call(
            f"create the alias {ALIAS}",
            "create_alias",
            FunctionName=functions.name,
            Name=ALIAS,
            FunctionVersion=version,
            Description=description,
        )
    return str(response["AliasArn"])
