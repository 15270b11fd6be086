"""Scenario files run against real MCP servers no one here wrote: the official Python SDK's
``MCPServer`` in each transport mode and era, and ``@modelcontextprotocol/server-everything``
from npm. Every operation and every assertion kind, passing and failing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pmcp_action.http import HttpClientFactory
from pmcp_action.scenarios import ScenarioResult, ScenarioRunner, load_scenarios
from pmcp_action.verify.conversation import Conversation
from pmcp_action.verify.protocol import LATEST_PROTOCOL_VERSION, LATEST_STATELESS_VERSION
from tests.fakes.mcp_servers import serve_everything, serve_shop_mcp
from tests.support.npm import require_npm_tools

pytestmark = pytest.mark.timeout(120)

SHOP = """\
name: Shop, every operation
variables:
  item: apple
setup:
  - name: quantity
    operation: {type: set_variable, name: quantity, value: 2}
    assertions:
      - {type: equals, path: variable_set, value: quantity}
steps:
  - name: tools are listed
    operation: {type: list_tools}
    assertions:
      - {type: success}
      - {type: array_length, path: tools, greater_than_or_equal: 3}
      - {type: exists, path: "tools[0].inputSchema"}
  - name: a JSON answer
    operation:
      type: tool_call
      tool: price
      arguments: {item: "${item}", quantity: 2}
    store_result: priced
    assertions:
      - {type: success}
      - {type: equals, path: parsed.item, value: apple}
      - {type: numeric, path: parsed.total, between: {min: 2.9, max: 3.1}}
      - {type: jsonpath, expression: parsed.quantity, expected: 2}
      - {type: jsonpath, expression: parsed.total}
      - {type: not_exists, path: parsed.discount}
  - name: a text answer
    operation: {type: tool_call, tool: greet, arguments: {name: "${item}"}}
    assertions:
      - {type: equals, path: result, value: "Hello, apple!"}
      - {type: contains, path: result, value: "HELLO", ignore_case: true}
      - {type: matches, path: result, pattern: "^Hello, [a-z]+!$"}
      - {type: equals, path: parsed, value: null}
  - name: an array answer
    operation: {type: tool_call, tool: items}
    assertions:
      - {type: contains, path: parsed, value: apple}
      - {type: array_length, path: parsed, equals: 1}
  - name: a refused call
    operation: {type: tool_call, tool: price, arguments: {item: plum}}
    assertions:
      - {type: failure}
      - {type: contains, path: error, value: "Error executing tool price"}
  - name: resources
    operation: {type: list_resources}
    assertions:
      - {type: equals, path: "resources[0].uri", value: "shop://catalogue"}
  - name: read one
    operation: {type: read_resource, uri: "shop://catalogue"}
    assertions:
      - {type: equals, path: "contents[0].text", value: "apple, pear"}
  - name: prompts
    operation: {type: list_prompts}
    assertions:
      - {type: equals, path: "prompts[0].name", value: order}
  - name: a prompt
    operation: {type: get_prompt, name: order, arguments: {item: "${item}"}}
    assertions:
      - {type: contains, path: "messages[0].content.text", value: "order one apple"}
  - name: a raw request
    operation: {type: custom, method: tools/list}
    assertions:
      - {type: not_exists, path: error}
      - {type: exists, path: "tools[0].name"}
  - name: a short wait
    operation: {type: wait, seconds: 0.05}
    assertions:
      - {type: equals, path: waited, value: 0.05}
"""

FAILING = """\
name: Shop, every assertion failing
stop_on_failure: false
steps:
  - name: wrong
    operation: {type: tool_call, tool: price, arguments: {item: apple}}
    assertions:
      - {type: failure}
      - {type: equals, path: parsed.total, value: 2}
      - {type: equals, path: result, value: 1.5}
      - {type: contains, path: result, value: pear}
      - {type: matches, path: result, pattern: "^\\\\d+$"}
      - {type: exists, path: parsed.discount}
      - {type: not_exists, path: parsed.item}
      - {type: array_length, path: parsed.item, equals: 1}
      - {type: numeric, path: parsed.total, greater_than: 10}
      - {type: jsonpath, expression: parsed.item, expected: pear}
      - {type: jsonpath, expression: parsed.nope}
  - name: success of a refused call
    operation: {type: tool_call, tool: nope}
    assertions:
      - {type: success}
"""


def run_text(url: str, text: str, tmp_path: Path, *, protocol: str) -> ScenarioResult:
    (tmp_path / "s.yaml").write_text(text)
    loaded = load_scenarios(["s.yaml"], tmp_path)
    assert loaded.problems == [] and loaded.warnings == []
    with HttpClientFactory()(timeout=30) as client:
        conversation = Conversation.open(
            client, url, protocol_version=protocol, budget=lambda: 30.0, clock=time.monotonic
        )
        try:
            return ScenarioRunner(conversation).run(loaded.scenarios[0])
        finally:
            conversation.close()


@contextmanager
def shop(mode: str) -> Iterator[tuple[str, str]]:
    """The shop server in one transport mode; yields (url, protocol version to speak)."""
    if mode == "sse-session":
        with serve_shop_mcp(only="handshake") as server:
            yield server.url, LATEST_PROTOCOL_VERSION
    elif mode == "json-stateless":
        with serve_shop_mcp(json_response=True, stateless=True, only="handshake") as server:
            yield server.url, LATEST_PROTOCOL_VERSION
    else:
        with serve_shop_mcp(json_response=True, only="2026-07-28") as server:
            yield server.url, LATEST_STATELESS_VERSION


MODES = ["sse-session", "json-stateless", "2026-07-28"]


@pytest.mark.parametrize("mode", MODES)
def test_every_operation_passes_on_the_official_sdk_server(tmp_path: Path, mode: str) -> None:
    with shop(mode) as (url, protocol):
        result = run_text(url, SHOP, tmp_path, protocol=protocol)
    assert result.passed, result.failure()
    assert len(result.steps) == 12 and all(step.passed for step in result.steps)
    assert len(result.round_trips) == 10  # set_variable and wait send nothing


@pytest.mark.parametrize("mode", MODES)
def test_every_assertion_kind_fails_and_says_what_came_back(tmp_path: Path, mode: str) -> None:
    with shop(mode) as (url, protocol):
        result = run_text(url, FAILING, tmp_path, protocol=protocol)
    assert not result.passed
    wrong, refused = result.steps
    assert [a.passed for a in wrong.assertions] == [False] * 11
    messages = [a.message for a in wrong.assertions]
    assert messages[1] == "parsed.total is 1.5, expected 2"
    assert messages[2].startswith('result is "{') and messages[2].endswith("expected 1.5")
    assert messages[7] == 'parsed.item is "apple", not an array'
    assert messages[10] == "parsed.nope is missing"
    assert not refused.passed
    assert result.failure().startswith(
        "scenario 'Shop, every assertion failing' (s.yaml), steps step 'wrong' "
        "(tool_call price): failure: no error came back; equals parsed.total"
    )


EVERYTHING = """\
name: The reference server
steps:
  - name: tools
    operation: {type: list_tools}
    assertions:
      - {type: array_length, path: tools, greater_than: 5}
  - name: echo
    operation: {type: tool_call, tool: echo, arguments: {message: hi}}
    assertions:
      - {type: equals, path: result, value: "Echo: hi"}
  - name: sum
    operation: {type: tool_call, tool: get-sum, arguments: {a: 2, b: 3}}
    assertions:
      - {type: matches, path: result, pattern: "is 5\\\\.$"}
  - name: a bad argument
    operation: {type: tool_call, tool: get-sum, arguments: {a: two, b: 3}}
    assertions:
      - {type: failure}
  - name: prompts
    operation: {type: list_prompts}
    assertions:
      - {type: exists, path: "prompts[0].name"}
  - name: a prompt
    operation: {type: get_prompt, name: simple-prompt}
    assertions:
      - {type: array_length, path: messages, greater_than_or_equal: 1}
  - name: a resource template
    operation: {type: read_resource, uri: "demo://resource/dynamic/text/1"}
    assertions:
      - {type: exists, path: "contents[0].text"}
  - name: resources
    operation: {type: list_resources}
    assertions:
      - {type: success}
"""


def test_the_reference_server_from_npm(tmp_path: Path) -> None:
    tools = require_npm_tools()
    with serve_everything(tools.everything) as server:
        result = run_text(server.url, EVERYTHING, tmp_path, protocol=LATEST_PROTOCOL_VERSION)
    assert result.passed, result.failure()
