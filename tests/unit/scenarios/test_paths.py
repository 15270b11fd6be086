from __future__ import annotations

import pytest

from pmcp_action.scenarios.paths import MISSING, path_problem, value_at

ANSWER = {"tools": [{"name": "a"}, {"name": "b"}], "parsed": {"items": [1, 2, 3]}, "n": None}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("tools[1].name", "b"),
        ("parsed.items[2]", 3),
        ("parsed.items", [1, 2, 3]),
        ("n", None),
        ("tools[5].name", MISSING),
        ("parsed.items[0].x", MISSING),
        ("nope", MISSING),
        ("tools.name", MISSING),
    ],
)
def test_lookups_as_mcp_tester_does_them(path: str, value: object) -> None:
    found = value_at(ANSWER, path)
    if value is MISSING:
        assert found is MISSING
    else:
        assert found == value


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("$.tools[0]", "no leading '$'"),
        ("", "empty"),
        ("a[0][1]", "one [index]"),
        ("a[x]", "[index]"),
    ],
)
def test_paths_mcp_tester_cannot_follow_are_named(path: str, problem: str) -> None:
    assert problem in path_problem(path)
    assert path_problem("tools[0].name") == ""
