#!/usr/bin/env python3
"""Time per scenario step: our runner (pmcp_action.scenarios over pmcp_action.verify's
conversation, on httpx) against the official SDK client (``mcp``'s ``ClientSession`` over
streamable HTTP) making the same calls to the same local server.

Run from the repo root with the dev venv (which has ``mcp`` for the tests):

    .venv/bin/python benchmarks/bench_scenarios.py serve            # prints the URL, serves
    .venv/bin/python benchmarks/bench_scenarios.py ours URL ROUNDS  # one process, our runner
    .venv/bin/python benchmarks/bench_scenarios.py sdk URL ROUNDS   # one process, the SDK
    .venv/bin/python benchmarks/bench_scenarios.py compare [--rounds 200]

The server is the SDK's own ``MCPServer`` (the shop of ``tests/fakes/mcp_servers.py``: JSON
tools, a resource, a prompt) in its default transport (SSE answers, a session), serving the
handshake era only, so both clients speak the same revision (2025-11-25). One round is one
conversation — ``initialize``, ``notifications/initialized``, the eight calls of
:data:`SCENARIO`, the session's end — as a verification runs each scenario file in a
conversation of its own. ``ours`` and ``sdk`` print one JSON line: the process's import time,
the rounds' wall time, and the median and p90 time of each step kind, in milliseconds.
``compare`` starts the server in this process's thread and alternates the two clients round
by round (A B A B …, each in this one process, imports paid once) so drift on a shared machine
hits both alike; it prints the per-step medians and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The calls of one round, as a scenario file gives them (what both clients send).
SCENARIO = """\
name: Shop
steps:
  - name: list tools
    operation: {type: list_tools}
    assertions: [{type: array_length, path: tools, equals: 3}]
  - name: price
    operation: {type: tool_call, tool: price, arguments: {item: apple, quantity: 2}}
    assertions: [{type: equals, path: parsed.total, value: 3.0}]
  - name: greet
    operation: {type: tool_call, tool: greet, arguments: {name: ci}}
    assertions: [{type: equals, path: result, value: "Hello, ci!"}]
  - name: items
    operation: {type: tool_call, tool: items}
    assertions: [{type: contains, path: parsed, value: apple}]
  - name: list resources
    operation: {type: list_resources}
    assertions: [{type: exists, path: "resources[0].uri"}]
  - name: read resource
    operation: {type: read_resource, uri: "shop://catalogue"}
    assertions: [{type: equals, path: "contents[0].text", value: "apple, pear"}]
  - name: list prompts
    operation: {type: list_prompts}
    assertions: [{type: exists, path: "prompts[0].name"}]
  - name: get prompt
    operation: {type: get_prompt, name: order, arguments: {item: apple}}
    assertions: [{type: exists, path: "messages[0]"}]
"""
STEPS = (
    "list tools",
    "price",
    "greet",
    "items",
    "list resources",
    "read resource",
    "list prompts",
    "get prompt",
)


def _scenario() -> Any:
    import tempfile

    from pmcp_action.scenarios import load_scenarios

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "shop.yaml").write_text(SCENARIO)
        loaded = load_scenarios(["shop.yaml"], Path(tmp))
    assert not loaded.problems, loaded.problems
    return loaded.scenarios[0]


class Ours:
    """One round = our runner over a fresh conversation, as verification runs a scenario."""

    def __init__(self, url: str) -> None:
        from pmcp_action.http import HttpClientFactory, RetryPolicy
        from pmcp_action.verify.protocol import LATEST_PROTOCOL_VERSION

        self.url = url
        self.version = LATEST_PROTOCOL_VERSION
        self.scenario = _scenario()
        self.client = HttpClientFactory()(timeout=15, policy=RetryPolicy(attempts=1))

    def round(self) -> dict[str, float]:
        from pmcp_action.scenarios import ScenarioRunner
        from pmcp_action.verify.conversation import Conversation

        conversation = Conversation.open(
            self.client,
            self.url,
            protocol_version=self.version,
            budget=lambda: 30.0,
            clock=time.monotonic,
        )
        try:
            result = ScenarioRunner(conversation).run(self.scenario)
        finally:
            conversation.close()
        assert result.passed, result.failure()
        return {step.name: step.seconds for step in result.steps}

    def close(self) -> None:
        self.client.close()


class Sdk:
    """One round = the same calls through the SDK's ClientSession over streamable HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def _round(self) -> dict[str, float]:
        from mcp import ClientSession
        from mcp.client.streamable_http import streamable_http_client

        times: dict[str, float] = {}

        async def timed(name: str, call: Callable[[], Any]) -> Any:
            started = time.perf_counter()
            answer = await call()
            times[name] = time.perf_counter() - started
            return answer

        async with streamable_http_client(self.url) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await timed("list tools", session.list_tools)
                assert len(tools.tools) == 3
                price = await timed(
                    "price", lambda: session.call_tool("price", {"item": "apple", "quantity": 2})
                )
                assert json.loads(price.content[0].text)["total"] == 3.0
                greet = await timed("greet", lambda: session.call_tool("greet", {"name": "ci"}))
                assert greet.content[0].text == "Hello, ci!"
                items = await timed("items", lambda: session.call_tool("items", {}))
                assert "apple" in json.loads(items.content[0].text)
                resources = await timed("list resources", session.list_resources)
                assert resources.resources[0].uri
                read_back = await timed(
                    "read resource", lambda: session.read_resource("shop://catalogue")
                )
                assert read_back.contents[0].text == "apple, pear"
                prompts = await timed("list prompts", session.list_prompts)
                assert prompts.prompts[0].name
                prompt = await timed(
                    "get prompt", lambda: session.get_prompt("order", {"item": "apple"})
                )
                assert prompt.messages
        return times

    def round(self) -> dict[str, float]:
        import anyio

        return anyio.run(self._round)

    def close(self) -> None:
        pass


def _summary(rounds: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in STEPS:
        values = sorted(r[name] * 1000 for r in rounds)
        out[name] = {
            "median_ms": statistics.median(values),
            "p90_ms": values[int(0.9 * (len(values) - 1))],
        }
    every = sorted(v * 1000 for r in rounds for v in r.values())
    out["every step"] = {
        "median_ms": statistics.median(every),
        "p90_ms": every[int(0.9 * (len(every) - 1))],
    }
    return out


def one_process(kind: str, url: str, rounds: int) -> None:
    """``ours`` / ``sdk``: this process's imports, then ``rounds`` rounds."""
    started = time.perf_counter()
    if kind == "ours":
        import pmcp_action.scenarios  # noqa: F401
        import pmcp_action.verify.conversation  # noqa: F401

        client: Ours | Sdk = Ours(url)
    else:
        import anyio  # noqa: F401
        from mcp import ClientSession  # noqa: F401
        from mcp.client.streamable_http import streamable_http_client  # noqa: F401

        client = Sdk(url)
    imported = time.perf_counter()
    measured = [client.round() for _ in range(rounds)]
    client.close()
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "client": kind,
                "import_ms": (imported - started) * 1000,
                "rounds_ms": (done - imported) * 1000,
                "steps": _summary(measured),
            }
        )
    )


def compare(rounds: int) -> None:
    """Both clients in this process, alternating round by round, against one server."""
    from tests.fakes.mcp_servers import serve_shop_mcp

    with serve_shop_mcp(only="handshake") as server:
        ours, sdk = Ours(server.url), Sdk(server.url)
        for _ in range(5):  # warm-up: connections, caches
            ours.round()
            sdk.round()
        a: list[dict[str, float]] = []
        b: list[dict[str, float]] = []
        for _ in range(rounds):
            a.append(ours.round())
            b.append(sdk.round())
        ours.close()
    mine, theirs = _summary(a), _summary(b)
    print(f"{rounds} rounds each, alternating; median (p90) per step in ms\n")
    print("| step | ours | SDK ClientSession | ours / SDK |")
    print("|---|---:|---:|---:|")
    for name in (*STEPS, "every step"):
        m, t = mine[name], theirs[name]
        print(
            f"| {name} | {m['median_ms']:.2f} ({m['p90_ms']:.2f}) | "
            f"{t['median_ms']:.2f} ({t['p90_ms']:.2f}) | {m['median_ms'] / t['median_ms']:.2f} |"
        )


def serve() -> None:
    from tests.fakes.mcp_servers import serve_shop_mcp

    with serve_shop_mcp(only="handshake") as server:
        print(server.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve")
    for kind in ("ours", "sdk"):
        one = sub.add_parser(kind)
        one.add_argument("url")
        one.add_argument("rounds", type=int)
    both = sub.add_parser("compare")
    both.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    if args.command == "serve":
        serve()
    elif args.command == "compare":
        compare(args.rounds)
    else:
        one_process(args.command, args.url, args.rounds)


if __name__ == "__main__":
    main()
