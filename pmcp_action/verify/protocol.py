"""What this client speaks: protocol versions, its payloads, JSON-RPC answers.

Two eras of MCP over streamable HTTP:

- the handshake era (2024-11-05 … 2025-11-25): ``initialize`` opens a
  conversation, ``notifications/initialized`` confirms it, later requests
  carry ``MCP-Protocol-Version`` (and ``Mcp-Session-Id`` when the server gave
  one);
- the stateless era (2026-07-28): every request is one self-contained POST
  answered by one response. Its ``params._meta`` carries the envelope
  (protocol version, client info, client capabilities), its headers repeat
  the version (``MCP-Protocol-Version``) and the method (``Mcp-Method``);
  ``server/discover`` says which versions the server supports and what it
  offers. There is no ``initialize``, no session and no notification.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from .. import __version__

__all__ = [
    "ACCEPT",
    "CLIENT_CAPABILITIES",
    "CLIENT_NAME",
    "DISCOVER",
    "LATEST_PROTOCOL_VERSION",
    "LATEST_STATELESS_VERSION",
    "STATELESS_PROTOCOL_VERSIONS",
    "SUPPORTED_PROTOCOL_VERSIONS",
    "UNSUPPORTED_PROTOCOL_VERSION",
    "client_info",
    "discover_payload",
    "error_problem",
    "initialize_payload",
    "is_id",
    "jsonrpc_error",
    "stateless_headers",
    "stateless_params",
    "supported_versions",
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
#: What ``initialize`` offers.
LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[0]
#: Revisions of the stateless per-request era (no ``initialize``), newest
#: first (mcp 2.3's ``MODERN_PROTOCOL_VERSIONS``).
STATELESS_PROTOCOL_VERSIONS: tuple[str, ...] = ("2026-07-28",)
#: What the ``server/discover`` probe asks for first.
LATEST_STATELESS_VERSION = STATELESS_PROTOCOL_VERSIONS[0]

CLIENT_NAME = "pmcp-deploy-action"
ACCEPT = "application/json, text/event-stream"
#: What this client declares it can do, in either era: nothing. No roots, no
#: sampling, no elicitation (it never answers a server's request), so a server
#: that shows some tools only to clients declaring those lists fewer tools.
CLIENT_CAPABILITIES: dict[str, Any] = {}

DISCOVER = "server/discover"
UNSUPPORTED_PROTOCOL_VERSION = -32022

# Reserved ``_meta`` keys of the 2026-07-28 envelope (mcp_types' *_META_KEY).
PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion"
CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo"
CLIENT_CAPABILITIES_META_KEY = "io.modelcontextprotocol/clientCapabilities"
#: Where a 2026-07-28 result names the server (optional, display only).
SERVER_INFO_META_KEY = "io.modelcontextprotocol/serverInfo"


def client_info() -> dict[str, str]:
    return {"name": CLIENT_NAME, "version": __version__}


def initialize_payload(request_id: int = 1) -> dict[str, Any]:
    """The JSON-RPC ``initialize`` request this client sends."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": LATEST_PROTOCOL_VERSION,
            "capabilities": dict(CLIENT_CAPABILITIES),
            "clientInfo": client_info(),
        },
    }


def stateless_params(version: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """``params`` with the 2026-07-28 envelope in ``_meta``."""
    meta = {
        PROTOCOL_VERSION_META_KEY: version,
        CLIENT_INFO_META_KEY: client_info(),
        CLIENT_CAPABILITIES_META_KEY: dict(CLIENT_CAPABILITIES),
    }
    return {**(params or {}), "_meta": meta}


#: 2026-07-28 requests whose target is mirrored in the ``Mcp-Name`` header (method -> param).
NAME_BEARING_METHODS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
_HEADER_SAFE = re.compile(r"^[\x20-\x7E]*$")
_BASE64_SENTINEL = re.compile(r"^=\?base64\?.*\?=$")


def header_value(value: str) -> str:
    """``value`` as a header carries it: as is when it is plain visible ASCII, else wrapped as
    ``=?base64?<UTF-8 base64>?=`` so the receiver recovers the exact text."""
    if (
        _HEADER_SAFE.fullmatch(value)
        and value == value.strip()
        and not _BASE64_SENTINEL.match(value)
    ):
        return value
    return f"=?base64?{base64.b64encode(value.encode('utf-8')).decode('ascii')}?="


def stateless_headers(
    version: str, method: str, params: dict[str, Any] | None = None
) -> dict[str, str]:
    """The routing headers of a 2026-07-28 request (they must match its body): the version,
    the method and, for a call that names its target, ``Mcp-Name``."""
    headers = {"MCP-Protocol-Version": version, "Mcp-Method": method}
    key = NAME_BEARING_METHODS.get(method)
    named = (params or {}).get(key) if key else None
    if isinstance(named, str):
        headers["Mcp-Name"] = header_value(named)
    return headers


def discover_payload(
    version: str = LATEST_STATELESS_VERSION, request_id: int = 1
) -> dict[str, Any]:
    """The JSON-RPC ``server/discover`` probe this client sends first."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": DISCOVER,
        "params": stateless_params(version),
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


def supported_versions(error: Any) -> list[str] | None:
    """``data.supported`` of an unsupported-protocol-version error, or None."""
    fields = error if isinstance(error, dict) else {}
    data = fields.get("data")
    if fields.get("code") != UNSUPPORTED_PROTOCOL_VERSION or not isinstance(data, dict):
        return None
    supported = data.get("supported")
    if not isinstance(supported, list) or not supported:
        return None
    return [str(version) for version in supported]


def error_problem(error: Any) -> tuple[str, bool]:
    """How to report a JSON-RPC error, and whether retrying is pointless."""
    fields = error if isinstance(error, dict) else {}
    code, text = fields.get("code"), fields.get("message")
    problem = f"JSON-RPC error {code}: {text}"
    supported = supported_versions(error)
    if supported is None:
        return problem, False
    problem += f" (the server supports {', '.join(supported)})"
    known = set(SUPPORTED_PROTOCOL_VERSIONS) | set(STATELESS_PROTOCOL_VERSIONS)
    if set(supported) & known:
        return problem, False
    problem += (
        "; this verifier speaks none of them (it speaks "
        f"{', '.join(STATELESS_PROTOCOL_VERSIONS + SUPPORTED_PROTOCOL_VERSIONS)})"
    )
    return problem, True
