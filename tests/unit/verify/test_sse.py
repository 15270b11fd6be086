"""verify.sse: the event-stream framings a server may send."""

from __future__ import annotations

import json
from typing import Any

from pmcp_action.http import HttpClientFactory
from tests.fakes.mcp_servers import (
    RecordedRequest,
    Reply,
    serve_handler,
)

from .helpers import run_verify


def test_sse_framing_variants(http: HttpClientFactory) -> None:
    """Comments, a priming event, a server notification, multi-line data, CRLF."""

    def handle(request: RecordedRequest) -> Reply:
        if request.method != "POST":
            return 405, {}, b""
        message = request.json
        if "id" not in message:
            return 202, {}, b""
        if message["method"] == "initialize":
            result: dict[str, Any] = {
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {"listChanged": True}},
                "serverInfo": {"name": "sse-edge", "version": "2"},
            }
        else:
            result = {"tools": [{"name": "one"}, {"name": "two"}]}
        reply = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}, indent=1)
        data = "".join(f"data: {line}\r\n" for line in reply.splitlines())
        body = (
            ": keep-alive\r\n\r\n"
            "id: prime-0\r\nretry: 1000\r\ndata:\r\n\r\n"
            'event: message\r\ndata: {"jsonrpc":"2.0","method":"notifications/message",'
            '"params":{"level":"info","data":"warming up"}}\r\n\r\n'
            f"event: message\r\nid: 7\r\n{data}\r\n"
        )
        return 200, {"Content-Type": "text/event-stream"}, body

    with serve_handler(handle) as server:
        result, _ = run_verify(http, server.url)
    assert result.status == "true", result.detail
    assert result.tools == ("one", "two")
    assert result.protocol_version == "2025-06-18"
