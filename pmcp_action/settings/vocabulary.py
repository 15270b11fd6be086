"""The closed vocabularies of the common inputs: the commands, and what each does."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["COMMANDS", "COMMAND_SUMMARIES"]

#: What each command does, for the CLI's help; the command input's choices follow this order.
COMMAND_SUMMARIES: Mapping[str, str] = MappingProxyType(
    {
        "deploy": "Build or locate the artifact, deploy it, verify the server over MCP, and roll "
        "back when verification fails (the default command).",
        "plan": "Validate everything and show what a deploy would change; touches nothing.",
        "outputs": "Show what is deployed now.",
        "rollback": "Return to the previous version (or --to VERSION) and verify it.",
        "destroy": "Delete what deploy created; refused without --yes (confirm-destroy).",
        "logs": "Show the last lines the serving version logged (targets that keep logs).",
    }
)
COMMANDS: tuple[str, ...] = tuple(COMMAND_SUMMARIES)
