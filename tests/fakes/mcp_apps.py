"""An official-SDK ``MCPServer`` whose tool names a UI resource (an MCP App), on loopback.

The ``dashboard`` tool names ``ui://shop/dashboard.html`` in ``_meta.ui.resourceUri`` (and
``openai/outputTemplate``); the resource is served with ``mime_type`` (``text/html;
profile=mcp-app`` by default, what an MCP Apps host renders) and the HTML ``html``. A
``broken`` tool names a resource the server does not have.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .mcp_servers import HOST, RunningServer, _only, _Recorder, _run_asgi, unused_port

__all__ = ["APP_URI", "serve_apps_mcp"]

APP_URI = "ui://shop/dashboard.html"


@contextlib.contextmanager
def serve_apps_mcp(
    *,
    mime_type: str = "text/html;profile=mcp-app",
    html: str = "<!doctype html><title>Dashboard</title><div id=app></div>",
    broken: bool = False,
) -> Iterator[RunningServer]:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("apps-mcp", version="1.0.0", log_level="WARNING")

    def dashboard() -> str:
        return "the dashboard"

    server.add_tool(
        dashboard,
        name="dashboard",
        description="Shows the dashboard.",
        meta={"ui": {"resourceUri": APP_URI}, "openai/outputTemplate": APP_URI},
    )
    if broken:

        def missing() -> str:
            return "nothing"

        server.add_tool(
            missing,
            name="missing",
            description="Names a UI the server does not have.",
            meta={"ui": {"resourceUri": "ui://shop/missing.html"}},
        )

    @server.resource(APP_URI, name="dashboard", mime_type=mime_type)
    def page() -> str:
        return html

    port = unused_port()
    app: Any = _only(server.streamable_http_app(json_response=True), "handshake")
    running = RunningServer(url=f"http://{HOST}:{port}/mcp", port=port)
    app = _Recorder(app, running.requests)
    with _run_asgi(app, port, 0.0):
        yield running
