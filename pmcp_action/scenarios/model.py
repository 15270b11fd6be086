"""A scenario file, as mcp-tester reads it: steps of MCP operations with assertions.

The format is mcp-tester's (``name``, ``description``, ``timeout``, ``stop_on_failure``,
``variables``, ``setup``, ``steps``, ``cleanup``; each step's ``operation`` and
``assertions`` tagged by ``type``), so a user's existing files run unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_SCENARIO_TIMEOUT",
    "DEFAULT_STEP_TIMEOUT",
    "Assertion",
    "AssertionType",
    "Comparison",
    "ComparisonType",
    "Operation",
    "OperationType",
    "Phase",
    "Scenario",
    "Step",
]

#: mcp-tester's defaults: a scenario may take 60 s, a step 30 s.
DEFAULT_SCENARIO_TIMEOUT = 60.0
DEFAULT_STEP_TIMEOUT = 30.0


class OperationType(StrEnum):
    TOOL_CALL = "tool_call"
    LIST_TOOLS = "list_tools"
    LIST_RESOURCES = "list_resources"
    READ_RESOURCE = "read_resource"
    LIST_PROMPTS = "list_prompts"
    GET_PROMPT = "get_prompt"
    CUSTOM = "custom"
    WAIT = "wait"
    SET_VARIABLE = "set_variable"


class AssertionType(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    EQUALS = "equals"
    CONTAINS = "contains"
    MATCHES = "matches"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    ARRAY_LENGTH = "array_length"
    NUMERIC = "numeric"
    JSONPATH = "jsonpath"


class ComparisonType(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    GREATER_THAN = "greater_than"
    GREATER_THAN_OR_EQUAL = "greater_than_or_equal"
    LESS_THAN = "less_than"
    LESS_THAN_OR_EQUAL = "less_than_or_equal"
    BETWEEN = "between"


class Phase(StrEnum):
    SETUP = "setup"
    STEPS = "steps"
    CLEANUP = "cleanup"


@dataclass(frozen=True)
class Operation:
    """What a step does. Only the fields its type uses are set."""

    type: OperationType
    #: tool_call: the tool; get_prompt: the prompt; set_variable: the variable; custom: method.
    name: str = ""
    #: tool_call/get_prompt arguments, custom params, set_variable's value.
    arguments: Any = None
    #: read_resource.
    uri: str = ""
    #: wait.
    seconds: float = 0.0

    def describe(self) -> str:
        if self.type in (OperationType.TOOL_CALL, OperationType.GET_PROMPT):
            return f"{self.type} {self.name}"
        if self.type is OperationType.CUSTOM:
            return f"custom {self.name}"
        if self.type is OperationType.READ_RESOURCE:
            return f"read_resource {self.uri}"
        if self.type is OperationType.WAIT:
            return f"wait {self.seconds:g} s"
        if self.type is OperationType.SET_VARIABLE:
            return f"set_variable {self.name}"
        return str(self.type)


@dataclass(frozen=True)
class Comparison:
    type: ComparisonType
    value: float = 0.0
    #: between: inclusive bounds.
    low: float = 0.0
    high: float = 0.0

    def holds(self, number: float) -> bool:
        if self.type is ComparisonType.BETWEEN:
            return self.low <= number <= self.high
        return {
            ComparisonType.EQUALS: number == self.value,
            ComparisonType.NOT_EQUALS: number != self.value,
            ComparisonType.GREATER_THAN: number > self.value,
            ComparisonType.GREATER_THAN_OR_EQUAL: number >= self.value,
            ComparisonType.LESS_THAN: number < self.value,
            ComparisonType.LESS_THAN_OR_EQUAL: number <= self.value,
        }[self.type]

    def describe(self) -> str:
        if self.type is ComparisonType.BETWEEN:
            return f"between {self.low:g} and {self.high:g}"
        return f"{self.type.replace('_', ' ')} {self.value:g}"


@dataclass(frozen=True)
class Assertion:
    type: AssertionType
    #: The path it looks at (``expression`` for jsonpath).
    path: str = ""
    #: equals/contains: the value; jsonpath: ``expected`` (``has_value`` says if given).
    value: Any = None
    has_value: bool = False
    ignore_case: bool = False
    #: matches: the regular expression.
    pattern: str = ""
    comparison: Comparison | None = None

    def describe(self) -> str:
        kind = self.type
        if kind in (AssertionType.SUCCESS, AssertionType.FAILURE):
            return str(kind)
        if kind in (AssertionType.EXISTS, AssertionType.NOT_EXISTS):
            return f"{kind} {self.path}"
        if kind is AssertionType.MATCHES:
            return f"matches {self.path} ~ /{self.pattern}/"
        if kind in (AssertionType.ARRAY_LENGTH, AssertionType.NUMERIC):
            assert self.comparison is not None
            return f"{kind} {self.path} {self.comparison.describe()}"
        if kind is AssertionType.JSONPATH:
            return f"jsonpath {self.path}" + (
                " equals the expected value" if self.has_value else ""
            )
        case = " (ignoring case)" if self.ignore_case else ""
        verb = "==" if kind is AssertionType.EQUALS else "contains"
        return f"{kind} {self.path} {verb} the expected value{case}"


@dataclass(frozen=True)
class Step:
    name: str
    operation: Operation
    timeout: float = DEFAULT_STEP_TIMEOUT
    continue_on_failure: bool = False
    store_result: str = ""
    assertions: tuple[Assertion, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    #: The file it came from, as the user named it (relative to the working directory).
    source: str
    steps: tuple[Step, ...]
    description: str = ""
    timeout: float = DEFAULT_SCENARIO_TIMEOUT
    stop_on_failure: bool = True
    variables: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    setup: tuple[Step, ...] = ()
    cleanup: tuple[Step, ...] = ()
