"""Scenario files found by the ``verify-scenarios`` patterns, read and checked before any
cloud is touched.

Each pattern is a path or a glob relative to the working directory; one that matches no
file is a problem. A file is YAML (``.yaml``/``.yml``) or JSON, one scenario per file. A
file that does not parse, or a scenario whose shape is wrong, is a problem naming the file
and the line (YAML; JSON where its parser says) and the field — never quoting the file. A key
mcp-tester would ignore is a warning, so a file it runs also runs here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import PmcpActionError, Problem
from .model import (
    DEFAULT_SCENARIO_TIMEOUT,
    DEFAULT_STEP_TIMEOUT,
    Assertion,
    AssertionType,
    Comparison,
    ComparisonType,
    Operation,
    OperationType,
    Scenario,
    Step,
)
from .paths import path_problem

__all__ = ["MAX_FILE_BYTES", "MAX_SCENARIOS", "Loaded", "load_scenarios", "parse_scenario"]

MAX_FILE_BYTES = 1024 * 1024
MAX_SCENARIOS = 200

_SCENARIO_KEYS = {
    "name",
    "description",
    "timeout",
    "stop_on_failure",
    "variables",
    "setup",
    "steps",
    "cleanup",
}
_STEP_KEYS = {"name", "operation", "timeout", "continue_on_failure", "store_result", "assertions"}
_OPERATION_KEYS: dict[OperationType, set[str]] = {
    OperationType.TOOL_CALL: {"tool", "arguments"},
    OperationType.LIST_TOOLS: set(),
    OperationType.LIST_RESOURCES: set(),
    OperationType.READ_RESOURCE: {"uri"},
    OperationType.LIST_PROMPTS: set(),
    OperationType.GET_PROMPT: {"name", "arguments"},
    OperationType.CUSTOM: {"method", "params"},
    OperationType.WAIT: {"seconds"},
    OperationType.SET_VARIABLE: {"name", "value"},
}
_PATH_ASSERTIONS = {
    AssertionType.EQUALS,
    AssertionType.CONTAINS,
    AssertionType.MATCHES,
    AssertionType.EXISTS,
    AssertionType.NOT_EXISTS,
    AssertionType.ARRAY_LENGTH,
    AssertionType.NUMERIC,
}
_FIX = "see the mcp-tester scenario format (README: Scenario files)"

Key = tuple[str | int, ...]


@dataclass
class Loaded:
    scenarios: list[Scenario] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _dotted(path: Key) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the file"


class _Reader:
    """One file's structure, with the line of each path (YAML) for messages."""

    def __init__(self, shown: str, lines: dict[Key, int], loaded: Loaded) -> None:
        self.shown = shown
        self.lines = lines
        self.loaded = loaded
        self.ok = True

    def where(self, path: Key) -> str:
        probe = path
        while probe not in self.lines and probe:
            probe = probe[:-1]
        line = self.lines.get(probe)
        return f"{self.shown}:{line}" if line else self.shown

    def problem(self, path: Key, what: str, fix: str = _FIX) -> None:
        self.ok = False
        self.loaded.problems.append(Problem(self.where(path), f"{_dotted(path)}: {what}", fix))

    def unknown_keys(self, path: Key, data: dict[str, Any], known: set[str]) -> None:
        for key in data:
            if key not in known and key != "type":
                self.loaded.warnings.append(
                    f"{self.where((*path, key))}: {_dotted((*path, str(key)))} is not a field "
                    "mcp-tester reads; it is ignored"
                )

    # --- typed fields ----------------------------------------------------------------
    def mapping(self, path: Key, value: Any) -> dict[str, Any] | None:
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return value
        self.problem(path, "must be a mapping of names to values")
        return None

    def text(self, path: Key, value: Any, *, required: bool = True) -> str:
        if value is None and not required:
            return ""
        if isinstance(value, str) and (value.strip() or not required):
            return value
        self.problem(path, "must be a non-empty string" if required else "must be a string")
        return ""

    def number(self, path: Key, value: Any, default: float, *, positive: bool = True) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(path, "must be a number")
            return default
        if positive and value <= 0:
            self.problem(path, "must be above 0")
            return default
        return float(value)

    def flag(self, path: Key, value: Any, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.problem(path, "must be true or false")
        return default

    def steps(self, path: Key, value: Any, *, required: bool = False) -> tuple[Step, ...]:
        if value is None:
            if required:
                self.problem(path, "is missing: a scenario needs at least one step")
            return ()
        if not isinstance(value, list):
            self.problem(path, "must be a list of steps")
            return ()
        if required and not value:
            self.problem(path, "is empty: a scenario needs at least one step")
        found = []
        for index, item in enumerate(value):
            step = self.step((*path, index), item)
            if step is not None:
                found.append(step)
        return tuple(found)

    def step(self, path: Key, value: Any) -> Step | None:
        data = self.mapping(path, value)
        if data is None:
            return None
        self.unknown_keys(path, data, _STEP_KEYS)
        name = self.text((*path, "name"), data.get("name"))
        operation = self.operation((*path, "operation"), data.get("operation"))
        store = data.get("store_result")
        if store is not None and not (isinstance(store, str) and store):
            self.problem((*path, "store_result"), "must be a variable name")
            store = ""
        assertions_raw = data.get("assertions", [])
        assertions: list[Assertion] = []
        if not isinstance(assertions_raw, list):
            self.problem((*path, "assertions"), "must be a list")
        else:
            for index, item in enumerate(assertions_raw):
                assertion = self.assertion((*path, "assertions", index), item)
                if assertion is not None:
                    assertions.append(assertion)
        if operation is None:
            return None
        return Step(
            name=name,
            operation=operation,
            timeout=self.number((*path, "timeout"), data.get("timeout"), DEFAULT_STEP_TIMEOUT),
            continue_on_failure=self.flag(
                (*path, "continue_on_failure"), data.get("continue_on_failure"), False
            ),
            store_result=store or "",
            assertions=tuple(assertions),
        )

    def _type(self, path: Key, data: dict[str, Any], kinds: type[Any]) -> Any:
        raw = data.get("type")
        try:
            return kinds(raw)
        except ValueError:
            self.problem(
                (*path, "type"),
                ("is missing" if raw is None else "is not one of the known types")
                + f" ({', '.join(kind.value for kind in kinds)})",
            )
            return None

    def operation(self, path: Key, value: Any) -> Operation | None:
        if value is None:
            self.problem(path, "is missing")
            return None
        data = self.mapping(path, value)
        if data is None:
            return None
        kind: OperationType | None = self._type(path, data, OperationType)
        if kind is None:
            return None
        self.unknown_keys(path, data, _OPERATION_KEYS[kind])
        if kind is OperationType.TOOL_CALL:
            return Operation(
                kind,
                name=self.text((*path, "tool"), data.get("tool")),
                arguments=self.arguments((*path, "arguments"), data.get("arguments")),
            )
        if kind is OperationType.GET_PROMPT:
            return Operation(
                kind,
                name=self.text((*path, "name"), data.get("name")),
                arguments=self.arguments((*path, "arguments"), data.get("arguments")),
            )
        if kind is OperationType.CUSTOM:
            return Operation(
                kind,
                name=self.text((*path, "method"), data.get("method")),
                arguments=data.get("params") if data.get("params") is not None else {},
            )
        if kind is OperationType.READ_RESOURCE:
            return Operation(kind, uri=self.text((*path, "uri"), data.get("uri")))
        if kind is OperationType.WAIT:
            seconds = data.get("seconds")
            if seconds is None:
                self.problem((*path, "seconds"), "is missing")
            return Operation(
                kind, seconds=self.number((*path, "seconds"), seconds, 0.0, positive=False)
            )
        if kind is OperationType.SET_VARIABLE:
            if "value" not in data:
                self.problem((*path, "value"), "is missing")
            return Operation(
                kind, name=self.text((*path, "name"), data.get("name")), arguments=data.get("value")
            )
        return Operation(kind)

    def arguments(self, path: Key, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, "must be a mapping of argument names to values")
            return {}
        return value

    def assertion(self, path: Key, value: Any) -> Assertion | None:
        data = self.mapping(path, value)
        if data is None:
            return None
        kind: AssertionType | None = self._type(path, data, AssertionType)
        if kind is None:
            return None
        if kind in (AssertionType.SUCCESS, AssertionType.FAILURE):
            self.unknown_keys(path, data, set())
            return Assertion(kind)
        key = "expression" if kind is AssertionType.JSONPATH else "path"
        where = self.text((*path, key), data.get(key))
        problem = path_problem(where) if where else ""
        if problem:
            self.problem((*path, key), problem)
        ignore_case = self.flag((*path, "ignore_case"), data.get("ignore_case"), False)
        if kind is AssertionType.JSONPATH:
            self.unknown_keys(path, data, {"expression", "expected"})
            return Assertion(
                kind,
                path=where,
                value=data.get("expected"),
                has_value=data.get("expected") is not None,
            )
        if kind in (AssertionType.EQUALS, AssertionType.CONTAINS):
            self.unknown_keys(path, data, {"path", "value", "ignore_case"})
            if "value" not in data:
                self.problem((*path, "value"), "is missing")
            elif kind is AssertionType.CONTAINS and not isinstance(data["value"], str):
                self.problem((*path, "value"), "must be a string (contains looks for text)")
            return Assertion(
                kind, path=where, value=data.get("value"), has_value=True, ignore_case=ignore_case
            )
        if kind is AssertionType.MATCHES:
            self.unknown_keys(path, data, {"path", "pattern"})
            pattern = self.text((*path, "pattern"), data.get("pattern"))
            return Assertion(kind, path=where, pattern=pattern)
        if kind in (AssertionType.ARRAY_LENGTH, AssertionType.NUMERIC):
            comparisons = [c for c in ComparisonType if c.value in data]
            self.unknown_keys(path, data, {"path", *(c.value for c in ComparisonType)})
            if len(comparisons) != 1:
                self.problem(
                    path,
                    "needs exactly one comparison ("
                    + ", ".join(c.value for c in ComparisonType)
                    + ")",
                )
                return None
            return Assertion(
                kind, path=where, comparison=self.comparison(path, comparisons[0], data)
            )
        self.unknown_keys(path, data, {"path"})
        return Assertion(kind, path=where)

    def comparison(self, path: Key, kind: ComparisonType, data: dict[str, Any]) -> Comparison:
        raw = data[kind.value]
        if kind is ComparisonType.BETWEEN:
            bounds = self.mapping((*path, "between"), raw) or {}
            low = self.number((*path, "between", "min"), bounds.get("min"), 0.0, positive=False)
            high = self.number((*path, "between", "max"), bounds.get("max"), 0.0, positive=False)
            if "min" not in bounds or "max" not in bounds:
                self.problem((*path, "between"), "needs min and max")
            return Comparison(kind, low=low, high=high)
        return Comparison(kind, value=self.number((*path, kind.value), raw, 0.0, positive=False))


def parse_scenario(data: Any, shown: str, lines: dict[Key, int], loaded: Loaded) -> Scenario | None:
    """The scenario in ``data`` (a decoded file), or None with its problems in ``loaded``."""
    reader = _Reader(shown, lines, loaded)
    top = reader.mapping((), data)
    if top is None:
        return None
    reader.unknown_keys((), top, _SCENARIO_KEYS)
    variables = top.get("variables") or {}
    if not isinstance(variables, dict):
        reader.problem(("variables",), "must be a mapping of names to values")
        variables = {}
    scenario = Scenario(
        name=reader.text(("name",), top.get("name")),
        source=shown,
        description=reader.text(("description",), top.get("description"), required=False),
        timeout=reader.number(("timeout",), top.get("timeout"), DEFAULT_SCENARIO_TIMEOUT),
        stop_on_failure=reader.flag(("stop_on_failure",), top.get("stop_on_failure"), True),
        variables=MappingProxyType(dict(variables)),
        setup=reader.steps(("setup",), top.get("setup")),
        steps=reader.steps(("steps",), top.get("steps"), required=True),
        cleanup=reader.steps(("cleanup",), top.get("cleanup")),
    )
    return scenario if reader.ok else None


def _yaml(text: str, shown: str, loaded: Loaded) -> tuple[Any, dict[Key, int]] | None:
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        what = getattr(exc, "problem", None) or "is not valid YAML"
        loaded.problems.append(Problem(where, f"not valid YAML ({what})", "fix the YAML syntax"))
        return None
    lines: dict[Key, int] = {}

    def walk(item: Any, path: Key) -> None:
        lines.setdefault(path, item.start_mark.line + 1)
        if isinstance(item, yaml.MappingNode):
            for key, child in item.value:
                if isinstance(key, yaml.ScalarNode):
                    lines[(*path, key.value)] = key.start_mark.line + 1
                    walk(child, (*path, key.value))
        elif isinstance(item, yaml.SequenceNode):
            for index, child in enumerate(item.value):
                walk(child, (*path, index))

    if node is not None:
        walk(node, ())
    return data, lines


def _json(text: str, shown: str, loaded: Loaded) -> tuple[Any, dict[Key, int]] | None:
    try:
        return json.loads(text), {}
    except json.JSONDecodeError as exc:
        loaded.problems.append(
            Problem(f"{shown}:{exc.lineno}", f"not valid JSON ({exc.msg})", "fix the JSON syntax")
        )
        return None


def _files(patterns: Sequence[str], root: Path, loaded: Loaded) -> list[tuple[Path, str]]:
    found: dict[Path, str] = {}
    for pattern in patterns:
        text = pattern.strip()
        if not text:
            continue
        where = f"input 'verify-scenarios' ({text})"
        given = Path(text)
        if any(c in text for c in "*?["):
            base = Path(given.anchor) if given.is_absolute() else root
            relative = str(given.relative_to(given.anchor)) if given.is_absolute() else text
            matches = sorted(m for m in base.glob(relative) if m.is_file())
        else:
            candidate = given if given.is_absolute() else root / given
            matches = [candidate] if candidate.exists() else []
        if not matches:
            loaded.problems.append(
                Problem(
                    where,
                    "matches no file",
                    "give paths or globs relative to working-directory, one a line",
                )
            )
            continue
        for match in matches:
            try:
                shown = str(match.relative_to(root))
            except ValueError:
                shown = str(match)
            found.setdefault(match.resolve(), shown)
    return [(path, shown) for path, shown in found.items()]


def load_scenarios(
    patterns: Sequence[str],
    root: Path,
    *,
    read: Callable[[Path, str], bytes] | None = None,
) -> Loaded:
    """Every scenario the patterns name, with every problem and warning found."""
    from ..artifact.files import read_all, regular_size

    loaded = Loaded()
    files = _files(patterns, root, loaded)
    if len(files) > MAX_SCENARIOS:
        loaded.problems.append(
            Problem(
                "input 'verify-scenarios'",
                f"names {len(files)} files, more than {MAX_SCENARIOS}",
                "name fewer scenario files",
            )
        )
        return loaded
    for path, shown in files:
        try:
            size = regular_size(path, shown)
            if size > MAX_FILE_BYTES:
                loaded.problems.append(
                    Problem(
                        shown,
                        f"is {size} bytes, more than a scenario file's "
                        f"{MAX_FILE_BYTES // 1024} KiB",
                        "split it or remove what it does not need",
                    )
                )
                continue
            raw = (read or (lambda p, s: read_all(p, s, None)))(path, shown)
        except PmcpActionError as exc:
            loaded.problems.append(Problem(shown, exc.message, exc.remediation))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            loaded.problems.append(Problem(shown, "is not UTF-8 text", "save it as UTF-8"))
            continue
        parsed = (_json if path.suffix.lower() == ".json" else _yaml)(text, shown, loaded)
        if parsed is None:
            continue
        scenario = parse_scenario(parsed[0], shown, parsed[1], loaded)
        if scenario is not None:
            loaded.scenarios.append(scenario)
    return loaded
