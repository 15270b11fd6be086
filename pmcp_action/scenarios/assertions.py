"""Each assertion judged as mcp-tester's executor judges it, with what came back.

- ``equals`` compares JSON values as they are (the text ``result`` "42" is not the number
  42; a boolean is never a number); ``ignore_case`` applies to two strings;
- ``contains`` finds a substring in a string, or an equal string in an array of strings;
- ``matches`` searches a string with a regular expression;
- ``exists`` needs the path present and not null, ``not_exists`` absent or null;
- ``success``/``failure``: the answer's ``error`` is null or absent / is set;
- ``array_length`` and ``numeric`` compare a length or a number (``between`` inclusive);
- ``jsonpath`` with an expected value is ``equals``, without one the path being present.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .model import Assertion, AssertionType
from .paths import MISSING, value_at

__all__ = ["AssertionOutcome", "compact", "evaluate", "json_equal"]


@dataclass(frozen=True)
class AssertionOutcome:
    assertion: str
    passed: bool
    #: What the path held ("(missing)" when it led nowhere), compact.
    actual: str = ""
    message: str = ""


def json_equal(left: Any, right: Any) -> bool:
    """JSON equality: a boolean is not a number, 1 equals 1.0."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            json_equal(a, b) for a, b in zip(left, right, strict=True)
        )
    return type(left) is type(right) and left == right


def compact(value: Any) -> str:
    """A value on one short line, as a failure message shows it."""
    if value is MISSING:
        return "(missing)"
    if isinstance(value, str):
        shown = json.dumps(value[:100], ensure_ascii=False)
        return shown + (f" …({len(value)} characters)" if len(value) > 100 else "")
    if isinstance(value, list) and len(value) > 5:
        return f"[{len(value)} items]"
    if isinstance(value, dict) and len(value) > 5:
        keys = ", ".join(list(value)[:5])
        return f"{{{keys}, … ({len(value)} keys)}}"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:200] + "…"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def evaluate(assertion: Assertion, answer: dict[str, Any]) -> AssertionOutcome:
    """Judge ``assertion`` against a step's ``answer``."""
    kind = assertion.type
    described = assertion.describe()
    if kind in (AssertionType.SUCCESS, AssertionType.FAILURE):
        error = answer.get("error")
        failed = error is not None
        passed = failed if kind is AssertionType.FAILURE else not failed
        message = (
            ""
            if passed
            else (f"an error came back: {compact(error)}" if failed else "no error came back")
        )
        return AssertionOutcome(described, passed, compact(error), message)

    actual = value_at(answer, assertion.path)
    shown = compact(actual)

    def outcome(passed: bool, why: str) -> AssertionOutcome:
        return AssertionOutcome(described, passed, shown, "" if passed else why)

    if kind is AssertionType.EQUALS or (kind is AssertionType.JSONPATH and assertion.has_value):
        expected = assertion.value
        if actual is MISSING:
            return outcome(False, f"{assertion.path} is missing")
        if assertion.ignore_case and isinstance(actual, str) and isinstance(expected, str):
            passed = actual.lower() == expected.lower()
        else:
            passed = json_equal(actual, expected)
        return outcome(passed, f"{assertion.path} is {shown}, expected {compact(expected)}")
    if kind is AssertionType.JSONPATH:
        return outcome(actual is not MISSING, f"{assertion.path} is missing")
    if kind is AssertionType.CONTAINS:
        wanted = str(assertion.value)

        def fold(text: str) -> str:
            return text.lower() if assertion.ignore_case else text

        if isinstance(actual, str):
            passed = fold(wanted) in fold(actual)
        elif isinstance(actual, list):
            passed = any(isinstance(item, str) and fold(item) == fold(wanted) for item in actual)
        else:
            passed = False
        return outcome(passed, f"{assertion.path} is {shown}, which does not contain it")
    if kind is AssertionType.MATCHES:
        try:
            pattern = re.compile(assertion.pattern)
        except re.error as exc:
            return outcome(False, f"the pattern is not a valid regular expression ({exc})")
        passed = isinstance(actual, str) and pattern.search(actual) is not None
        return outcome(passed, f"{assertion.path} is {shown}, which does not match")
    if kind is AssertionType.EXISTS:
        return outcome(actual is not MISSING and actual is not None, f"{assertion.path} is {shown}")
    if kind is AssertionType.NOT_EXISTS:
        return outcome(actual is MISSING or actual is None, f"{assertion.path} is {shown}")
    comparison = assertion.comparison
    assert comparison is not None
    if kind is AssertionType.ARRAY_LENGTH:
        if not isinstance(actual, list):
            return outcome(False, f"{assertion.path} is {shown}, not an array")
        shown = f"{len(actual)} items"
        return outcome(
            comparison.holds(float(len(actual))),
            f"{assertion.path} has {len(actual)} items, not {comparison.describe()}",
        )
    number = _number(actual)
    if number is None:
        return outcome(False, f"{assertion.path} is {shown}, not a number")
    return outcome(
        comparison.holds(number), f"{assertion.path} is {shown}, not {comparison.describe()}"
    )
