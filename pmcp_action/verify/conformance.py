"""The ``conformance`` check: what the MCP specification asks of any server, judged on the
deployed one without fixture tools.

Each rule has a name, and each finding names its rule:

- ``tool-name``: 1–64 characters of ``A-Z a-z 0-9 _ . / -``;
- ``tool-input-schema`` / ``tool-output-schema``: a JSON Schema object whose ``type`` is
  ``"object"``, with ``properties`` an object of schemas and ``required`` a list of names;
- ``resources-list`` / ``prompts-list``: answered, with the array, when the server advertises
  the capability;
- ``pagination``: every list ends (no cursor repeats, fewer than 100 pages);
- ``unknown-method``: a request for a method the server does not have is answered with a
  well-formed JSON-RPC error (an integer ``code``, -32601, and a string ``message``);
- ``both-eras``: a server that also speaks the other protocol era lists the same tools there.

A finding is a failure unless the specification only recommends it (a warning).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..scenarios.executor import Caller, CallFailed

__all__ = ["ConformanceResult", "Finding", "check_conformance"]

_TOOL_NAME = re.compile(r"^[A-Za-z0-9_./-]{1,64}$")
_SCHEMA_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})
_UNKNOWN_METHOD = "pmcp-action/no-such-method"
MAX_PAGES = 100
_TIMEOUT = 15.0


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Literal["failure", "warning"]
    message: str

    def render(self) -> str:
        return f"[{self.rule}] {self.message}"


@dataclass
class ConformanceResult:
    findings: list[Finding] = field(default_factory=list)
    #: The rules that were checked (a rule the server gave no occasion for is not listed).
    checked: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "failure"]

    @property
    def passed(self) -> bool:
        return not self.failures


def _schema_problems(schema: Any, where: str) -> list[str]:
    """What keeps ``schema`` from being a JSON Schema of an object (empty when it is one)."""
    if not isinstance(schema, dict):
        return [f"{where} is not a JSON object"]
    problems = []
    kind = schema.get("type")
    if kind != "object":
        problems.append(f"{where}.type is {kind!r}, not 'object'")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict) or not all(
        isinstance(p, dict) for p in properties.values()
    ):
        problems.append(f"{where}.properties is not an object of schemas")
        properties = {}
    for name, sub in properties.items():
        sub_type = sub.get("type")
        listed = sub_type if isinstance(sub_type, list) else [sub_type]
        if sub_type is not None and not all(t in _SCHEMA_TYPES for t in listed):
            problems.append(f"{where}.properties.{name}.type is not a JSON Schema type")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        problems.append(f"{where}.required is not a list of names")
    return problems


class _Checker:
    def __init__(self, caller: Caller, result: ConformanceResult) -> None:
        self.caller = caller
        self.result = result

    def check(self, rule: str) -> None:
        if rule not in self.result.checked:
            self.result.checked.append(rule)

    def fail(self, rule: str, message: str, *, warning: bool = False) -> None:
        self.check(rule)
        self.result.findings.append(Finding(rule, "warning" if warning else "failure", message))

    def pages(self, method: str, key: str) -> list[Any] | None:
        """Every item of a list method; None (with a finding) when it does not end or answer."""
        items: list[Any] = []
        cursor: str | None = None
        seen: set[str] = set()
        self.check("pagination")
        for _page in range(MAX_PAGES):
            params = {} if cursor is None else {"cursor": cursor}
            result = self.caller.call(method, params, timeout=_TIMEOUT)
            page = result.get(key)
            if not isinstance(page, list):
                raise CallFailed(f"the {method} result has no {key} array")
            items.extend(page)
            cursor = result.get("nextCursor")
            if cursor is None or cursor == "":
                return items
            if not isinstance(cursor, str) or cursor in seen:
                self.fail("pagination", f"{method}'s nextCursor repeats: the list never ends")
                return None
            seen.add(cursor)
        self.fail("pagination", f"{method} was still paginating after {MAX_PAGES} pages")
        return None


def check_conformance(
    caller: Caller,
    capabilities: dict[str, Any],
    *,
    other_era: Callable[[], Caller | None] = lambda: None,
) -> ConformanceResult:
    """Judge the server behind ``caller`` (opened, with the ``capabilities`` it declared);
    ``other_era`` opens a conversation in the other protocol era, or gives None."""
    result = ConformanceResult()
    checker = _Checker(caller, result)
    tools = _tools(checker, capabilities)
    for method, key, capability in (
        ("resources/list", "resources", "resources"),
        ("prompts/list", "prompts", "prompts"),
    ):
        if capabilities.get(capability) is None:
            continue
        rule = f"{capability}-list"
        checker.check(rule)
        try:
            checker.pages(method, key)
        except CallFailed as exc:
            checker.fail(
                rule, f"the server advertises {capability} but {method} failed: {exc.message}"
            )
    _unknown_method(checker)
    if tools is not None:
        _both_eras(checker, tools, other_era)
    return result


def _tools(checker: _Checker, capabilities: dict[str, Any]) -> list[str] | None:
    if capabilities.get("tools") is None:
        return None
    try:
        tools = checker.pages("tools/list", "tools")
    except CallFailed as exc:
        checker.fail("tools-list", f"tools/list failed: {exc.message}")
        return None
    if tools is None:
        return None
    names: list[str] = []
    checker.check("tool-name")
    checker.check("tool-input-schema")
    for index, tool in enumerate(tools):
        name = tool.get("name") if isinstance(tool, dict) else None
        if not isinstance(name, str):
            checker.fail("tool-name", f"tools[{index}] has no name")
            continue
        names.append(name)
        if not _TOOL_NAME.match(name):
            checker.fail(
                "tool-name", f"tool {name[:80]!r} is not 1-64 characters of A-Z a-z 0-9 _ . / -"
            )
        for problem in _schema_problems(tool.get("inputSchema"), f"tool {name}: inputSchema"):
            checker.fail("tool-input-schema", problem)
        if "outputSchema" in tool:
            checker.check("tool-output-schema")
            for problem in _schema_problems(tool["outputSchema"], f"tool {name}: outputSchema"):
                checker.fail("tool-output-schema", problem)
    return names


def _unknown_method(checker: _Checker) -> None:
    rule = "unknown-method"
    checker.check(rule)
    try:
        checker.caller.call(_UNKNOWN_METHOD, {}, timeout=_TIMEOUT)
    except CallFailed as exc:
        error = exc.error
        if error is None:
            checker.fail(rule, f"an unknown method got no JSON-RPC error ({exc.message})")
            return
        code, message = error.get("code"), error.get("message")
        if isinstance(code, bool) or not isinstance(code, int) or not isinstance(message, str):
            checker.fail(
                rule,
                "the JSON-RPC error for an unknown method lacks an integer code "
                "or a string message",
            )
        elif code != -32601:
            checker.fail(
                rule,
                f"an unknown method was answered with code {code}, not -32601 (method not found)",
                warning=True,
            )
        return
    checker.fail(rule, "an unknown method was answered with a result, not a JSON-RPC error")


def _both_eras(checker: _Checker, tools: list[str], other_era: Callable[[], Caller | None]) -> None:
    try:
        other = other_era()
    except CallFailed:
        other = None
    if other is None:
        return
    rule = "both-eras"
    checker.check(rule)
    try:
        names = [
            str(tool.get("name"))
            for tool in _Checker(other, ConformanceResult()).pages("tools/list", "tools") or []
            if isinstance(tool, dict)
        ]
    except CallFailed as exc:
        checker.fail(
            rule,
            f"the server offers the other protocol era, but tools/list failed there: {exc.message}",
        )
        return
    if sorted(names) != sorted(tools):
        only_here = sorted(set(tools) - set(names))
        only_there = sorted(set(names) - set(tools))
        checker.fail(
            rule,
            "the two protocol eras list different tools"
            + (f"; only in the first: {', '.join(only_here)}" if only_here else "")
            + (f"; only in the other: {', '.join(only_there)}" if only_there else ""),
        )
