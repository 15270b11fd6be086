"""The conformance check against the official SDK server in both eras, and against a
hand-written server that breaks each rule."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from pmcp_action.http import HttpClientFactory
from pmcp_action.scenarios import CallFailed
from pmcp_action.verify.conformance import ConformanceResult, check_conformance
from pmcp_action.verify.conversation import Conversation
from pmcp_action.verify.protocol import LATEST_PROTOCOL_VERSION, LATEST_STATELESS_VERSION
from tests.fakes.mcp_servers import RecordedRequest, Reply, serve_handler, serve_shop_mcp

pytestmark = pytest.mark.timeout(60)


def judge(url: str, protocol: str, other: str = "") -> ConformanceResult:
    with HttpClientFactory()(timeout=30) as client:

        def opened(version: str) -> Conversation:
            return Conversation.open(
                client, url, protocol_version=version, budget=lambda: 30.0, clock=time.monotonic
            )

        conversation = opened(protocol)

        def other_era() -> Conversation | None:
            return opened(other) if other else None

        return check_conformance(conversation, conversation.capabilities, other_era=other_era)


@pytest.mark.parametrize(
    ("protocol", "other"),
    [
        (LATEST_PROTOCOL_VERSION, LATEST_STATELESS_VERSION),
        (LATEST_STATELESS_VERSION, LATEST_PROTOCOL_VERSION),
    ],
)
def test_the_official_sdk_server_conforms_in_both_eras(protocol: str, other: str) -> None:
    with serve_shop_mcp(json_response=True) as server:
        result = judge(server.url, protocol, other)
    assert result.findings == [], [f.render() for f in result.findings]
    assert {
        "tool-name",
        "tool-input-schema",
        "resources-list",
        "prompts-list",
        "pagination",
        "unknown-method",
        "both-eras",
    } <= set(result.checked)


def test_a_server_of_one_era_has_no_other_to_compare() -> None:
    with serve_shop_mcp(json_response=True, only="handshake") as server:
        with HttpClientFactory()(timeout=30) as client, pytest.raises(CallFailed):
            Conversation.open(
                client,
                server.url,
                protocol_version=LATEST_STATELESS_VERSION,
                budget=lambda: 30.0,
                clock=time.monotonic,
            )
        result = judge(server.url, LATEST_PROTOCOL_VERSION)
    assert "both-eras" not in result.checked and result.passed


def _broken() -> Any:
    """Breaks every rule: names, schemas, a list that never ends, a result for anything."""
    tools = [
        {
            "name": "ok_tool",
            "inputSchema": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
        {"name": "has space", "inputSchema": {"type": "object"}},
        {"name": "x" * 65, "inputSchema": {"type": "object"}},
        {"name": "no_object", "inputSchema": {"type": "string"}},
        {
            "name": "bad_props",
            "inputSchema": {
                "type": "object",
                "properties": {"a": {"type": "text"}},
                "required": "a",
            },
        },
        {"name": "bad_out", "inputSchema": {"type": "object"}, "outputSchema": []},
    ]

    def handle(request: RecordedRequest) -> Reply:
        if request.method != "POST":
            return 200, {}, b""
        message = request.json
        if "id" not in message:
            return 202, {}, b""
        method = message.get("method")
        params = message.get("params") or {}
        if method == "initialize":
            result: dict[str, Any] = {
                "protocolVersion": LATEST_PROTOCOL_VERSION,
                "capabilities": {"tools": {}, "resources": {}, "prompts": {}},
                "serverInfo": {"name": "broken", "version": "0"},
            }
        elif method == "tools/list":
            result = {"tools": tools}
        elif method == "resources/list":
            result = {"resources": [], "nextCursor": "again"}  # never ends
        elif method == "prompts/list":
            answer = {
                "jsonrpc": "2.0",
                "id": message["id"],
                "error": {"code": -32603, "message": "internal"},
            }
            return 200, {"Content-Type": "application/json"}, json.dumps(answer)
        else:
            result = {"anything": params}  # a result even for an unknown method
        answer = {"jsonrpc": "2.0", "id": message["id"], "result": result}
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    return handle


@contextmanager
def broken_server() -> Iterator[str]:
    with serve_handler(_broken()) as server:
        yield server.url


def test_each_rule_a_server_breaks_is_named() -> None:
    with broken_server() as url:
        result = judge(url, LATEST_PROTOCOL_VERSION)
    rendered = [f.render() for f in result.findings]
    assert not result.passed
    assert "[tool-name] tool 'has space' is not 1-64 characters of A-Z a-z 0-9 _ . / -" in rendered
    assert any(r.startswith("[tool-name] tool 'xxxxx") for r in rendered)
    assert (
        "[tool-input-schema] tool no_object: inputSchema.type is 'string', not 'object'" in rendered
    )
    assert any(
        "bad_props: inputSchema.properties.a.type is not a JSON Schema type" in r for r in rendered
    )
    assert any("bad_props: inputSchema.required is not a list of names" in r for r in rendered)
    assert "[tool-output-schema] tool bad_out: outputSchema is not a JSON object" in rendered
    assert "[pagination] resources/list's nextCursor repeats: the list never ends" in rendered
    assert any(
        r.startswith("[prompts-list] the server advertises prompts but prompts/list failed")
        for r in rendered
    )
    assert (
        "[unknown-method] an unknown method was answered with a result, not a JSON-RPC error"
        in rendered
    )
    assert not any("ok_tool" in r for r in rendered)
