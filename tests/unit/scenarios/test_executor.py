"""The executor's rules over a scripted conversation: answers, variables, stopping, cleanup,
timeouts and what a failure says."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pmcp_action.scenarios.executor import CallFailed, ScenarioRunner
from pmcp_action.scenarios.model import (
    Assertion,
    AssertionType,
    Comparison,
    ComparisonType,
    Operation,
    OperationType,
    Phase,
    Scenario,
    Step,
)

A, Op = AssertionType, OperationType


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Scripted:
    """Answers by method; records every call with its params and timeout."""

    def __init__(self, handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]]) -> None:
        self.handlers = handlers
        self.calls: list[tuple[str, dict[str, Any], float]] = []

    def call(self, method: str, params: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        self.calls.append((method, params, timeout))
        return self.handlers[method](params)


def text(value: str, *, error: bool = False) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": value}], "isError": error}


def step(name: str, op: Operation, *assertions: Assertion, **kw: Any) -> Step:
    return Step(name, op, assertions=assertions, **kw)


def scenario(*steps: Step, **kw: Any) -> Scenario:
    return Scenario(name="s", source="s.yaml", steps=steps, **kw)


def test_tool_answers_variables_and_store_result() -> None:
    def call_tool(params: dict[str, Any]) -> dict[str, Any]:
        if params["name"] == "price":
            total = 2 * int(params["arguments"]["quantity"])
            return text(json.dumps({"total": total}))
        return text(f"order {params['arguments']['note']}")

    caller = Scripted({"tools/call": call_tool})
    run = ScenarioRunner(caller).run(
        scenario(
            step(
                "price",
                Operation(Op.TOOL_CALL, name="price", arguments={"quantity": "${n}"}),
                Assertion(A.EQUALS, path="parsed.total", value=6),
                Assertion(A.EQUALS, path="result", value='{"total": 6}'),
                store_result="priced",
            ),
            step(
                "order",
                Operation(Op.TOOL_CALL, name="order", arguments={"note": "${priced}"}),
                Assertion(A.CONTAINS, path="result", value='"parsed":{"total":6}'),
            ),
            variables={"n": 3},
        )
    )
    assert run.passed, run.failure()
    assert caller.calls[0][1] == {"name": "price", "arguments": {"quantity": "3"}}
    assert caller.calls[1][1]["arguments"]["note"].startswith('{"success":true,"result":')


def test_error_results_and_protocol_errors_are_answers_to_judge() -> None:
    def call_tool(params: dict[str, Any]) -> dict[str, Any]:
        if params["name"] == "flagged":
            return text("it broke", error=True)
        if params["name"] == "prefixed":
            return text("Error: no such item")
        raise CallFailed("JSON-RPC error -32602: Unknown tool: missing")

    run = ScenarioRunner(Scripted({"tools/call": call_tool})).run(
        scenario(
            *(
                step(name, Operation(Op.TOOL_CALL, name=name), Assertion(A.FAILURE))
                for name in ("flagged", "prefixed", "missing")
            ),
            step(
                "null result",
                Operation(Op.TOOL_CALL, name="missing"),
                Assertion(A.NOT_EXISTS, path="result"),
                Assertion(A.CONTAINS, path="error", value="Unknown tool"),
            ),
        )
    )
    assert run.passed, run.failure()


def test_stop_on_failure_continue_on_failure_and_cleanup_always() -> None:
    caller = Scripted({"tools/list": lambda _p: {"tools": []}})
    some = Assertion(
        A.ARRAY_LENGTH, path="tools", comparison=Comparison(ComparisonType.GREATER_THAN, value=0)
    )
    run = ScenarioRunner(caller).run(
        scenario(
            step("tolerated", Operation(Op.LIST_TOOLS), some, continue_on_failure=True),
            step("fatal", Operation(Op.LIST_TOOLS), some),
            step("never", Operation(Op.LIST_TOOLS)),
            cleanup=(step("tidy", Operation(Op.LIST_TOOLS)),),
        )
    )
    assert not run.passed
    assert [(s.phase, s.name) for s in run.steps] == [
        (Phase.STEPS, "tolerated"),
        (Phase.STEPS, "fatal"),
        (Phase.CLEANUP, "tidy"),
    ]
    assert run.error == "steps step 'fatal' failed"
    assert run.failure() == (
        "scenario 's' (s.yaml), steps step 'tolerated' (list_tools): array_length tools "
        "greater than 0: tools has 0 items, not greater than 0"
    )
    keep_going = ScenarioRunner(caller).run(
        scenario(
            step("a", Operation(Op.LIST_TOOLS), some),
            step("b", Operation(Op.LIST_TOOLS)),
            stop_on_failure=False,
        )
    )
    assert [s.name for s in keep_going.steps] == ["a", "b"] and not keep_going.passed


def test_lists_follow_every_page() -> None:
    pages: dict[str | None, dict[str, Any]] = {
        None: {"resources": [{"uri": "a"}], "nextCursor": "2"},
        "2": {"resources": [{"uri": "b"}]},
    }
    caller = Scripted({"resources/list": lambda p: pages[p.get("cursor")]})
    run = ScenarioRunner(caller).run(
        scenario(
            step(
                "all",
                Operation(Op.LIST_RESOURCES),
                Assertion(A.EQUALS, path="resources[1].uri", value="b"),
            )
        )
    )
    assert run.passed and len(caller.calls) == 2
    assert len(run.round_trips) == 2


def test_timeouts_of_step_scenario_and_wait() -> None:
    clock = Clock()

    def slow(_params: dict[str, Any]) -> dict[str, Any]:
        clock.now += 40
        return {"tools": []}

    caller = Scripted({"tools/list": slow})
    runner = ScenarioRunner(caller, clock=clock, sleep=clock.sleep)
    run = runner.run(
        scenario(
            step("slow", Operation(Op.LIST_TOOLS), timeout=5),
            step("after the scenario's time", Operation(Op.LIST_TOOLS)),
            step("wait", Operation(Op.WAIT, seconds=1)),
            timeout=30,
            cleanup=(step("bounded wait", Operation(Op.WAIT, seconds=2)),),
        )
    )
    assert caller.calls[0][2] == 5  # the step's timeout capped the request
    assert run.error == "the scenario's timeout of 30 s passed"
    assert [s.name for s in run.steps] == ["slow", "bounded wait"]
    assert clock.slept == [2]


def test_custom_and_set_variable() -> None:
    def ping(params: dict[str, Any]) -> dict[str, Any]:
        if params.get("fail"):
            raise CallFailed("JSON-RPC error -32601: Method not found", error={"code": -32601})
        return {"pong": params["id"]}

    run = ScenarioRunner(Scripted({"ping": ping})).run(
        scenario(
            step(
                "set",
                Operation(Op.SET_VARIABLE, name="id", arguments=7),
                Assertion(A.EQUALS, path="variable_set", value="id"),
            ),
            step(
                "ok",
                Operation(Op.CUSTOM, name="ping", arguments={"id": "${id}"}),
                Assertion(A.EQUALS, path="pong", value="7"),
            ),
            step(
                "bad",
                Operation(Op.CUSTOM, name="ping", arguments={"fail": True}),
                Assertion(A.EQUALS, path="error.code", value=-32601),
            ),
        )
    )
    assert run.passed, run.failure()


def test_what_a_secret_would_show_is_masked() -> None:
    secret = "tok-0123456789"
    caller = Scripted({"tools/call": lambda _p: text(f"key={secret}")})
    run = ScenarioRunner(caller, redact=lambda s: s.replace(secret, "***")).run(
        scenario(
            step(
                "leak",
                Operation(Op.TOOL_CALL, name="x"),
                Assertion(A.EQUALS, path="result", value="nothing"),
            )
        )
    )
    assert secret not in run.failure() and "***" in run.failure()
