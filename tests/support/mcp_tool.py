"""Call one tool on a deployed MCP server (streamable HTTP: initialize, then tools/call), as a
test asks a server what it sees, e.g. whether a secret reached it as an environment variable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["call_tool"]

_ACCEPT = {"Accept": "application/json, text/event-stream"}


def call_tool(
    url: str,
    tool: str,
    arguments: Mapping[str, Any] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """The text ``tool`` answers at ``url`` (over ``transport``, else the network)."""
    with httpx.Client(transport=transport, timeout=10) as client:
        init = client.post(
            url,
            headers=_ACCEPT,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {}},
            },
        )
        session = {**_ACCEPT, "Mcp-Session-Id": init.headers["Mcp-Session-Id"]}
        client.post(
            url, headers=session, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
        )
        called = client.post(
            url,
            headers=session,
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": tool, "arguments": dict(arguments or {})},
            },
        )
    text: str = called.json()["result"]["content"][0]["text"]
    return text
