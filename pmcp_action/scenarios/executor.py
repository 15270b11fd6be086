"""Running a scenario against an open MCP conversation, as mcp-tester's executor runs it.

What each step answers (the JSON its assertions' paths start from):

- ``tool_call``: ``{"success", "result": the text parts joined with "\\n", "parsed": that
  text as JSON or null, "error"}``; ``success`` is false and ``error`` the text when the
  result has ``isError: true`` or its text starts with ``Error:``; a protocol error gives
  ``{"success": false, "result": null, "parsed": null, "error": <message>}``;
- ``list_tools``/``list_resources``/``list_prompts``: ``{"success", "tools"|"resources"|
  "prompts": [...], "error"}`` (every page, an empty list on failure); ``read_resource``:
  ``{..., "contents"}``; ``get_prompt``: ``{..., "messages", "description"}``;
- ``custom``: the result object, or ``{"error": ...}``; ``wait``: ``{"waited": seconds}``;
  ``set_variable``: ``{"variable_set": name}``.

``${name}`` is replaced in the strings of tool_call (tool and arguments), read_resource,
get_prompt, custom and set_variable (a string as is, anything else as its JSON text);
``store_result`` keeps a step's whole answer under a name. A step passes when all its
assertions do (a step without assertions passes once it answered). Setup and steps stop at
the first failure unless ``stop_on_failure: false`` or the step's ``continue_on_failure``;
cleanup always runs. Each call waits at most the step's ``timeout`` (30 s), the scenario at
most its own (60 s), and never past the run's deadline.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .assertions import AssertionOutcome, evaluate
from .model import OperationType, Phase, Scenario, Step

__all__ = [
    "MAX_PAGES",
    "CallFailed",
    "Caller",
    "ScenarioResult",
    "ScenarioRunner",
    "StepResult",
]

#: Pages of a list operation followed before giving up on a server that never ends.
MAX_PAGES = 100
_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_LISTS = {
    OperationType.LIST_TOOLS: ("tools/list", "tools"),
    OperationType.LIST_RESOURCES: ("resources/list", "resources"),
    OperationType.LIST_PROMPTS: ("prompts/list", "prompts"),
}


class CallFailed(Exception):
    """A request got no result: a JSON-RPC error (``error`` holds it) or no answer at all."""

    def __init__(self, message: str, *, error: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error = error


class Caller(Protocol):
    """An open MCP conversation."""

    def call(self, method: str, params: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """The result of one JSON-RPC request; :class:`CallFailed` when there is none."""
        ...


@dataclass(frozen=True)
class StepResult:
    phase: Phase
    name: str
    operation: str
    passed: bool
    seconds: float
    #: Why the operation gave no answer to judge ("" when it answered).
    error: str = ""
    assertions: tuple[AssertionOutcome, ...] = ()
    #: How long each request of the step took, in seconds.
    round_trips: tuple[float, ...] = ()

    def failure(self) -> str:
        """What went wrong, in one line ("" when it passed)."""
        if self.passed:
            return ""
        if self.error:
            return self.error
        failed = [a for a in self.assertions if not a.passed]
        return "; ".join(f"{a.assertion}: {a.message}" for a in failed)


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    source: str
    passed: bool
    seconds: float
    steps: tuple[StepResult, ...]
    #: Why the scenario stopped early ("" when it ran to the end).
    error: str = ""
    steps_total: int = 0

    @property
    def round_trips(self) -> tuple[float, ...]:
        return tuple(t for step in self.steps for t in step.round_trips)

    def failure(self) -> str:
        """Scenario, step, operation, assertion and what came back ("" when it passed)."""
        if self.passed:
            return ""
        failing = next((s for s in self.steps if not s.passed), None)
        head = f"scenario {self.name!r} ({self.source})"
        if failing is None:
            return f"{head}: {self.error}"
        return (
            f"{head}, {failing.phase} step {failing.name!r} ({failing.operation}): "
            f"{failing.failure()}"
        )


class _Timeout(Exception):
    pass


class ScenarioRunner:
    """Runs scenarios over one conversation; ``redact`` masks what the results quote."""

    def __init__(
        self,
        caller: Caller,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        remaining: Callable[[], float] = lambda: float("inf"),
        redact: Callable[[str], str] = lambda text: text,
    ) -> None:
        self.caller = caller
        self.clock = clock
        self.sleep = sleep
        self.remaining = remaining
        self.redact = redact

    def run(self, scenario: Scenario) -> ScenarioResult:
        started = self.clock()
        ends = started + scenario.timeout
        variables: dict[str, Any] = dict(scenario.variables)
        results: list[StepResult] = []
        error = ""
        for phase, steps in ((Phase.SETUP, scenario.setup), (Phase.STEPS, scenario.steps)):
            for step in steps:
                if self.clock() >= ends or self.remaining() <= 0:
                    error = f"the scenario's timeout of {scenario.timeout:g} s passed"
                    break
                result = self._step(phase, step, variables, ends)
                results.append(result)
                if not result.passed and scenario.stop_on_failure and not step.continue_on_failure:
                    error = f"{phase} step {step.name!r} failed"
                    break
            if error:
                break
        for step in scenario.cleanup:  # always, even after a failure or the timeout
            results.append(self._step(Phase.CLEANUP, step, variables, float("inf")))
        tolerated = {s.name for s in scenario.steps if s.continue_on_failure}
        passed = not error and all(r.passed or r.name in tolerated for r in results)
        return ScenarioResult(
            name=scenario.name,
            source=scenario.source,
            passed=passed,
            seconds=self.clock() - started,
            steps=tuple(results),
            error=error,
            steps_total=len(scenario.setup) + len(scenario.steps) + len(scenario.cleanup),
        )

    # --- one step ------------------------------------------------------------------------
    def _step(self, phase: Phase, step: Step, variables: dict[str, Any], ends: float) -> StepResult:
        started = self.clock()
        trips: list[float] = []
        budget = min(step.timeout, max(0.0, ends - started), self.remaining())
        described = self.redact(self._substituted(step, variables).operation.describe())
        try:
            answer = self._answer(self._substituted(step, variables), variables, budget, trips)
        except _Timeout:
            return StepResult(
                phase,
                step.name,
                described,
                False,
                self.clock() - started,
                error=f"no answer within {budget:g} s",
                round_trips=tuple(trips),
            )
        except CallFailed as exc:  # custom and the lists answer errors; the rest cannot
            return StepResult(
                phase,
                step.name,
                described,
                False,
                self.clock() - started,
                error=self.redact(exc.message),
                round_trips=tuple(trips),
            )
        if step.store_result:
            variables[step.store_result] = answer
        outcomes = tuple(self._masked(evaluate(a, answer)) for a in step.assertions)
        return StepResult(
            phase,
            step.name,
            described,
            all(o.passed for o in outcomes),
            self.clock() - started,
            assertions=outcomes,
            round_trips=tuple(trips),
        )

    def _masked(self, outcome: AssertionOutcome) -> AssertionOutcome:
        return AssertionOutcome(
            self.redact(outcome.assertion),
            outcome.passed,
            self.redact(outcome.actual),
            self.redact(outcome.message),
        )

    def _substituted(self, step: Step, variables: dict[str, Any]) -> Step:
        from dataclasses import replace

        operation = step.operation
        if operation.type in (OperationType.WAIT, *_LISTS):
            return step
        return replace(
            step,
            operation=replace(
                operation,
                name=_substitute(operation.name, variables)
                if operation.type is not OperationType.SET_VARIABLE
                else operation.name,
                uri=_substitute(operation.uri, variables),
                arguments=_substitute(operation.arguments, variables),
            ),
        )

    def _call(
        self, method: str, params: dict[str, Any], budget: float, trips: list[float]
    ) -> dict[str, Any]:
        if budget <= 0:
            raise _Timeout
        started = self.clock()
        try:
            return self.caller.call(method, params, timeout=budget)
        finally:
            trips.append(self.clock() - started)

    def _answer(
        self, step: Step, variables: dict[str, Any], budget: float, trips: list[float]
    ) -> dict[str, Any]:
        operation = step.operation
        kind = operation.type
        ends = self.clock() + budget

        def left() -> float:
            return ends - self.clock()

        if kind is OperationType.WAIT:
            waited = min(operation.seconds, max(0.0, left()))
            self.sleep(waited)
            if waited < operation.seconds:
                raise _Timeout
            return {"waited": operation.seconds}
        if kind is OperationType.SET_VARIABLE:
            variables[operation.name] = operation.arguments
            return {"variable_set": operation.name}
        if kind is OperationType.CUSTOM:
            params = operation.arguments if isinstance(operation.arguments, dict) else {}
            try:
                return self._call(operation.name, params, left(), trips)
            except CallFailed as exc:
                return {"error": exc.error if exc.error is not None else exc.message}
        if kind is OperationType.TOOL_CALL:
            try:
                result = self._call(
                    "tools/call",
                    {"name": operation.name, "arguments": operation.arguments or {}},
                    left(),
                    trips,
                )
            except CallFailed as exc:
                return {"success": False, "result": None, "parsed": None, "error": exc.message}
            return _tool_answer(result)
        if kind in _LISTS:
            method, key = _LISTS[kind]
            try:
                items = self._pages(method, key, left, trips)
            except CallFailed as exc:
                return {"success": False, key: [], "error": exc.message}
            return {"success": True, key: items, "error": None}
        if kind is OperationType.READ_RESOURCE:
            try:
                result = self._call("resources/read", {"uri": operation.uri}, left(), trips)
            except CallFailed as exc:
                return {"success": False, "contents": [], "error": exc.message}
            return {"success": True, "contents": result.get("contents", []), "error": None}
        assert kind is OperationType.GET_PROMPT
        asked: dict[str, Any] = {"name": operation.name}
        if operation.arguments:
            asked["arguments"] = operation.arguments
        try:
            result = self._call("prompts/get", asked, left(), trips)
        except CallFailed as exc:
            return {"success": False, "messages": [], "description": None, "error": exc.message}
        return {
            "success": True,
            "messages": result.get("messages", []),
            "description": result.get("description"),
            "error": None,
        }

    def _pages(
        self, method: str, key: str, left: Callable[[], float], trips: list[float]
    ) -> list[Any]:
        items: list[Any] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _page in range(MAX_PAGES):
            result = self._call(method, {} if cursor is None else {"cursor": cursor}, left(), trips)
            page = result.get(key)
            if not isinstance(page, list):
                raise CallFailed(f"the {method} result has no {key} array")
            items.extend(page)
            cursor = result.get("nextCursor")
            if not cursor:
                return items
            if not isinstance(cursor, str) or cursor in seen:
                raise CallFailed(f"{method}'s nextCursor repeats (pagination would never end)")
            seen.add(cursor)
        raise CallFailed(f"{method} was still paginating after {MAX_PAGES} pages")


def _tool_answer(result: dict[str, Any]) -> dict[str, Any]:
    content = result.get("content")
    parts = (
        [
            str(item.get("text", ""))
            for item in content
            if isinstance(item, dict) and item.get("type") == "text"
        ]
        if isinstance(content, list)
        else []
    )
    text = "\n".join(parts)
    if result.get("isError") is True or text.startswith("Error:"):
        return {"success": False, "result": text, "parsed": None, "error": text}
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        parsed = None
    return {"success": True, "result": text, "parsed": parsed, "error": None}


def _substitute(value: Any, variables: dict[str, Any]) -> Any:
    """``${name}`` replaced in every string of ``value`` (unknown names left as they are)."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                return match.group(0)
            found = variables[name]
            return found if isinstance(found, str) else json.dumps(found, separators=(",", ":"))

        return _VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {key: _substitute(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, variables) for item in value]
    return value
