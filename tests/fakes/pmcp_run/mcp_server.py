"""The served MCP endpoint of every successful deployment: ``<base>/<deploymentId>/mcp``
(streamable HTTP: sessions, protocol versions, ``tools/list`` and ``tools/call``) and
``/health``; :meth:`ServedServers.break_server` makes them misbehave.

Its tools: ``echo``, ``add``, and ``has_env``, which says whether an environment variable
is set in the server (its template's Lambda variables and the secrets pmcp.run injected
when the deployment was created) — ``true`` or ``false``, never a value."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from ..server import json_response
from .state import Deployment, PmcpRunState

MCP_PROTOCOL_VERSIONS = ("2025-06-18", "2025-03-26", "2024-11-05")
_LATEST_PROTOCOL = MCP_PROTOCOL_VERSIONS[0]

_TOOLS = (
    {
        "name": "echo",
        "description": "Echo the given text back.",
        "inputSchema": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
        },
    },
    {
        "name": "add",
        "description": "Add two numbers.",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
    {
        "name": "has_env",
        "description": "Whether an environment variable is set in the server (never its value).",
        "inputSchema": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
        },
    },
)


class ServedServers(PmcpRunState):
    """The MCP servers the deployments run."""

    def break_server(self, mode: str = "http_500", deployment_id: str = "") -> None:
        """Make deployed servers misbehave: ``ok``, ``http_500``, ``garbage``, ``no_tools``."""
        if mode not in ("ok", "http_500", "garbage", "no_tools"):
            raise ValueError(f"unknown MCP mode {mode!r}")
        with self._lock:
            self.mcp_modes[deployment_id] = mode

    def _mode(self, deployment: Deployment) -> str:
        return self.mcp_modes.get(deployment.id) or self.mcp_modes.get("") or "ok"

    def _health(self, deployment: Deployment) -> httpx.Response:
        if self._mode(deployment) in ("http_500", "garbage"):
            return httpx.Response(500, text="Internal Server Error")
        return json_response(200, {"status": "healthy", "deploymentId": deployment.id})

    def _mcp(self, request: httpx.Request, deployment: Deployment) -> httpx.Response:
        mode = self._mode(deployment)
        if mode == "http_500":
            return httpx.Response(500, text="Internal Server Error")
        if mode == "garbage":
            return httpx.Response(
                200, headers={"Content-Type": "text/html"}, text="<html>Bad Gateway</html>"
            )
        if request.method != "POST":
            return httpx.Response(405, headers={"Allow": "POST"})
        accept = request.headers.get("Accept", "")
        if "application/json" not in accept or "text/event-stream" not in accept:
            return self._rpc_error(
                406,
                None,
                -32600,
                "Not Acceptable: Accept must list application/json and text/event-stream",
            )
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return self._rpc_error(415, None, -32600, "Content-Type must be application/json")
        try:
            message = json.loads(request.content)
        except ValueError:
            return self._rpc_error(400, None, -32700, "Parse error")
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return self._rpc_error(400, None, -32600, "Invalid Request")
        method = message.get("method")
        request_id = message.get("id")
        params = message.get("params") or {}
        if method == "initialize":
            return self._initialize(deployment, request_id, params)
        session = request.headers.get("Mcp-Session-Id")
        if not session:
            return self._rpc_error(400, request_id, -32600, "Bad Request: Mcp-Session-Id missing")
        if self.mcp_sessions.get(session) != deployment.id:
            return self._rpc_error(404, request_id, -32001, "Session not found")
        version = request.headers.get("MCP-Protocol-Version")
        if version is not None and version not in MCP_PROTOCOL_VERSIONS:
            return self._rpc_error(400, request_id, -32600, f"Unsupported protocol {version}")
        if request_id is None:  # a notification, e.g. notifications/initialized
            return httpx.Response(202)
        if method == "ping":
            return self._rpc_result(request_id, {})
        if method == "tools/list":
            tools = [] if mode == "no_tools" else [dict(t) for t in _TOOLS]
            return self._rpc_result(request_id, {"tools": tools})
        if method == "tools/call":
            return self._call_tool(deployment, request_id, params)
        return self._rpc_error(200, request_id, -32601, f"Method not found: {method}")

    def _initialize(
        self, deployment: Deployment, request_id: Any, params: dict[str, Any]
    ) -> httpx.Response:
        requested = params.get("protocolVersion")
        version = requested if requested in MCP_PROTOCOL_VERSIONS else _LATEST_PROTOCOL
        session = uuid.uuid4().hex
        self.mcp_sessions[session] = deployment.id
        result = {
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {
                "name": deployment.project_name,
                "version": deployment.variables.get("serverVersion") or "0.0.0",
            },
        }
        return json_response(
            200,
            {"jsonrpc": "2.0", "id": request_id, "result": result},
            headers={"Mcp-Session-Id": session},
        )

    def _call_tool(
        self, deployment: Deployment, request_id: Any, params: dict[str, Any]
    ) -> httpx.Response:
        name = params.get("name")
        arguments = params.get("arguments") or {}
        if name == "echo":
            text = str(arguments.get("text", ""))
        elif name == "add":
            text = str(arguments.get("a", 0) + arguments.get("b", 0))
        elif name == "has_env":
            text = "true" if str(arguments.get("name", "")) in deployment.environment else "false"
        else:
            return self._rpc_error(200, request_id, -32602, f"Unknown tool: {name}")
        return self._rpc_result(
            request_id, {"content": [{"type": "text", "text": text}], "isError": False}
        )

    @staticmethod
    def _rpc_result(request_id: Any, result: dict[str, Any]) -> httpx.Response:
        return json_response(200, {"jsonrpc": "2.0", "id": request_id, "result": result})

    @staticmethod
    def _rpc_error(status: int, request_id: Any, code: int, message: str) -> httpx.Response:
        return json_response(
            status,
            {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}},
        )
