"""Each assertion kind judged as mcp-tester's executor judges it."""

from __future__ import annotations

from typing import Any

import pytest

from pmcp_action.scenarios.assertions import evaluate, json_equal
from pmcp_action.scenarios.model import Assertion, AssertionType, Comparison, ComparisonType

A = AssertionType
ANSWER: dict[str, Any] = {
    "success": True,
    "result": "42",
    "parsed": {"total": 4.5, "items": ["apple", "Pear"], "flag": True, "none": None},
    "error": None,
}


def check(kind: AssertionType, **fields: Any) -> bool:
    return evaluate(Assertion(kind, **fields), ANSWER).passed


def test_equals_compares_json_values_as_they_are() -> None:
    assert check(A.EQUALS, path="result", value="42")
    assert not check(A.EQUALS, path="result", value=42)  # text is not a number
    assert check(A.EQUALS, path="parsed.total", value=4.5)
    assert not check(A.EQUALS, path="parsed.flag", value=1)  # a boolean is not a number
    assert check(A.EQUALS, path="parsed.items[1]", value="pear", ignore_case=True)
    assert not check(A.EQUALS, path="parsed.items[1]", value="pear")
    assert not check(A.EQUALS, path="missing", value=None)
    assert json_equal({"a": [1, 2.0]}, {"a": [1.0, 2]}) and not json_equal([1], [1, 2])


def test_contains_in_a_string_or_an_array_of_strings() -> None:
    assert check(A.CONTAINS, path="result", value="4")
    assert check(A.CONTAINS, path="parsed.items", value="apple")
    assert not check(A.CONTAINS, path="parsed.items", value="app")  # whole elements only
    assert check(A.CONTAINS, path="parsed.items", value="PEAR", ignore_case=True)
    assert not check(A.CONTAINS, path="parsed.total", value="4")


def test_matches_searches_and_a_bad_pattern_fails_saying_so() -> None:
    assert check(A.MATCHES, path="result", pattern=r"^\d+$")
    assert not check(A.MATCHES, path="parsed.total", pattern=".")
    bad = evaluate(Assertion(A.MATCHES, path="result", pattern="("), ANSWER)
    assert not bad.passed and "not a valid regular expression" in bad.message


def test_exists_and_not_exists_treat_null_as_absent() -> None:
    assert check(A.EXISTS, path="parsed.total")
    assert not check(A.EXISTS, path="parsed.none")
    assert check(A.NOT_EXISTS, path="parsed.none") and check(A.NOT_EXISTS, path="nope")
    assert not check(A.NOT_EXISTS, path="result")


def test_success_and_failure_look_at_error() -> None:
    assert check(A.SUCCESS) and not check(A.FAILURE)
    failed = evaluate(Assertion(A.SUCCESS), {"error": "Error: boom"})
    assert not failed.passed and failed.actual == '"Error: boom"'


@pytest.mark.parametrize(
    ("comparison", "length_ok", "number_ok"),
    [
        (Comparison(ComparisonType.EQUALS, value=2), True, False),
        (Comparison(ComparisonType.NOT_EQUALS, value=2), False, True),
        (Comparison(ComparisonType.GREATER_THAN, value=4), False, True),
        (Comparison(ComparisonType.GREATER_THAN_OR_EQUAL, value=4.5), False, True),
        (Comparison(ComparisonType.LESS_THAN, value=2), False, False),
        (Comparison(ComparisonType.LESS_THAN_OR_EQUAL, value=2), True, False),
        (Comparison(ComparisonType.BETWEEN, low=2, high=4.5), True, True),
    ],
)
def test_array_length_and_numeric_comparisons(
    comparison: Comparison, length_ok: bool, number_ok: bool
) -> None:
    assert check(A.ARRAY_LENGTH, path="parsed.items", comparison=comparison) is length_ok
    assert check(A.NUMERIC, path="parsed.total", comparison=comparison) is number_ok


def test_numeric_refuses_text_and_booleans() -> None:
    at_least_zero = Comparison(ComparisonType.GREATER_THAN_OR_EQUAL, value=0)
    assert not check(A.NUMERIC, path="result", comparison=at_least_zero)
    outcome = evaluate(Assertion(A.NUMERIC, path="parsed.flag", comparison=at_least_zero), ANSWER)
    assert not outcome.passed and "not a number" in outcome.message


def test_jsonpath_is_presence_or_equality() -> None:
    assert check(A.JSONPATH, path="parsed.none")  # present, even null
    assert not check(A.JSONPATH, path="parsed.nope")
    assert check(A.JSONPATH, path="parsed.items[0]", value="apple", has_value=True)
    assert not check(A.JSONPATH, path="parsed.items[0]", value="pear", has_value=True)


def test_a_failure_says_what_came_back() -> None:
    outcome = evaluate(Assertion(A.EQUALS, path="parsed.total", value=5), ANSWER)
    assert outcome.message == "parsed.total is 4.5, expected 5"
    assert outcome.actual == "4.5"
