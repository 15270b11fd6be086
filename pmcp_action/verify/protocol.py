"""What this client speaks: protocol versions, its payloads, JSON-RPC answers."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__

__all__ = [
    "ACCEPT",
    "CLIENT_NAME",
    "LATEST_PROTOCOL_VERSION",
    "STATELESS_PROTOCOL_VERSIONS",
    "SUPPORTED_PROTOCOL_VERSIONS",
    "error_problem",
    "initialize_payload",
    "is_id",
    "jsonrpc_error",
]

#: Protocol revisions reachable through the ``initialize`` handshake, newest
#: first (mcp 2.3's ``mcp_types.version.HANDSHAKE_PROTOCOL_VERSIONS``). We
#: offer the newest and accept any of these in the server's answer.
SUPPORTED_PROTOCOL_VERSIONS: tuple[str, ...] = (
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
)
LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[0]
#: Revisions of the stateless per-request era (no ``initialize``; mcp 2.3's
#: ``MODERN_PROTOCOL_VERSIONS``). Known so a server that speaks only these is
#: reported as such instead of as garbage.
STATELESS_PROTOCOL_VERSIONS: tuple[str, ...] = ("2026-07-28",)

CLIENT_NAME = "pmcp-deploy-action"
ACCEPT = "application/json, text/event-stream"

_UNSUPPORTED_PROTOCOL_VERSION = -32022


def initialize_payload(request_id: int = 1) -> dict[str, Any]:
    """The JSON-RPC ``initialize`` request this client sends."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": LATEST_PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": CLIENT_NAME, "version": __version__},
        },
    }


def is_id(value: Any, request_id: int) -> bool:
    """Whether a message's id is ours (``true`` and ``1.0`` are not ``1``)."""
    return type(value) is int and value == request_id


def jsonrpc_error(body: bytes) -> dict[str, Any] | None:
    """The ``error`` member of a JSON-RPC error response body, or None."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        error: dict[str, Any] = payload["error"]
        return error
    return None


def error_problem(error: Any) -> tuple[str, bool]:
    """How to report a JSON-RPC error, and whether retrying is pointless."""
    fields = error if isinstance(error, dict) else {}
    code, text, data = fields.get("code"), fields.get("message"), fields.get("data")
    problem = f"JSON-RPC error {code}: {text}"
    if code != _UNSUPPORTED_PROTOCOL_VERSION or not isinstance(data, dict):
        return problem, False
    supported = data.get("supported")
    if not isinstance(supported, list) or not supported:
        return problem, False
    problem += f" (the server supports {', '.join(map(str, supported))})"
    if set(supported) & set(SUPPORTED_PROTOCOL_VERSIONS):
        return problem, False
    if set(supported) & set(STATELESS_PROTOCOL_VERSIONS):
        problem += (
            "; it speaks only the stateless protocol era (no initialize handshake), "
            "which this verifier does not speak yet"
        )
    return problem, True
