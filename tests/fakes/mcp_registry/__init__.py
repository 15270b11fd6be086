"""A stateful contract fake of the official MCP Registry's API.

- :mod:`.rules` — what the registry refuses in a server.json: its schema (422) and its own
  checks (400), written from the published schema and documentation;
- :mod:`.fake` — :class:`FakeMcpRegistry`: the GitHub OIDC sign-in, publish, the reads;
- :mod:`.emulator` — ``EMULATOR``: the fake and GitHub's OIDC endpoint on 127.0.0.1.
"""

from __future__ import annotations

from .emulator import EMULATOR, emulate
from .fake import FakeMcpRegistry, PublishedVersion
from .rules import CURRENT_SCHEMA, schema_violations, semantic_violations

__all__ = [
    "CURRENT_SCHEMA",
    "EMULATOR",
    "FakeMcpRegistry",
    "PublishedVersion",
    "emulate",
    "schema_violations",
    "semantic_violations",
]
