from __future__ import annotations

from pmcp_action.errors import Problem
from pmcp_action.keyvalue import parse_key_values


def test_pairs_comments_blank_lines_and_equals_in_values() -> None:
    problems: list[Problem] = []
    text = "# a comment\n\nA=1\n  B = x=y=z \nEMPTY=\nA=2\n"
    assert parse_key_values(text, "input 'environment'", problems) == {
        "A": "2",
        "B": " x=y=z",
        "EMPTY": "",
    }
    assert problems == []


def test_a_bad_line_is_named_by_number_never_quoted() -> None:
    problems: list[Problem] = []
    secret = "hunter2-value-pasted-alone"
    assert parse_key_values(f"OK=1\n{secret}\n1BAD=x", "input 'secrets'", problems) == {"OK": "1"}
    assert [p.where for p in problems] == ["input 'secrets', line 2", "input 'secrets', line 3"]
    assert all(secret not in p.render() for p in problems)


def test_heredoc_values_span_lines_and_each_value_is_handed_over() -> None:
    problems: list[Problem] = []
    seen: list[str] = []
    text = "KEY<<EOF\nline one\nline = two\nEOF\nNEXT=v\n"
    got = parse_key_values(text, "w", problems, heredoc=True, on_value=seen.append)
    assert got == {"KEY": "line one\nline = two", "NEXT": "v"}
    assert seen == ["line one\nline = two", "v"] and problems == []


def test_an_unended_heredoc_is_a_problem_and_heredoc_is_off_by_default() -> None:
    problems: list[Problem] = []
    assert parse_key_values("KEY<<EOF\nvalue\n", "w", problems, heredoc=True) == {}
    assert "never ends" in problems[0].what
    problems.clear()
    parse_key_values("KEY<<EOF\n", "w", problems)
    assert problems and "expected KEY=VALUE" in problems[0].what
