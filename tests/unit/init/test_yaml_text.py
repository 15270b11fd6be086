"""init.yaml_text: scalars plain only where YAML reads them back the same; emit reads back."""

from __future__ import annotations

import pytest
import yaml

from pmcp_action.init.yaml_text import Literal, Node, Noted, comment_table, emit, plain, scalar


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("aws-lambda", "aws-lambda"),
        ("${{ secrets.API_KEY }}", "${{ secrets.API_KEY }}"),
        ("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"),
        ("true", '"true"'),
        ("on", '"on"'),
        ("1.0", '"1.0"'),
        ("", '""'),
        ("a: b", '"a: b"'),
        ("x # y", '"x # y"'),
        ("- item", '"- item"'),
        ("@at", '"@at"'),
        (" padded", '" padded"'),
        ("two\nlines", '"two\\nlines"'),
        ("é ✓", "é ✓"),
    ],
)
def test_a_scalar_is_quoted_only_where_yaml_needs_it(text: str, written: str) -> None:
    assert scalar(text) == written
    assert yaml.safe_load(f"k: {written}\n") == {"k": text}


def test_emitted_text_reads_back_as_the_data() -> None:
    data: dict[str, Node] = {
        "on": {"push": {"branches": ["main", "release/v1"]}, "workflow_dispatch": {}},
        "jobs": {
            "deploy": {
                "timeout-minutes": 45,
                "cancel": False,
                "uses": Noted("actions/checkout@abc", "v4"),
                "steps": [{"name": "a: b", "run": Literal("echo 1\n\necho 2\n")}, "plain"],
                "empty": [],
            }
        },
    }
    text = "\n".join(emit(data)) + "\n"
    assert "uses: actions/checkout@abc # v4" in text and "run: |" in text
    loaded = yaml.safe_load(text)
    loaded["on"] = loaded.pop(True)
    assert loaded == plain(data)


def test_a_literal_must_be_whole_lines() -> None:
    with pytest.raises(ValueError, match="whole lines"):
        emit({"run": Literal("no newline")})


def test_a_comment_table_aligns_and_wraps_its_last_column() -> None:
    lines = comment_table([("secret", "A", "x " * 60), ("variable", "LONGER", "short")])
    assert lines[0].startswith("#   secret    A       x x")
    assert all(len(line) <= 96 for line in lines)
    assert lines[1].startswith("#" + " " * 21 + "x")
    assert lines[-1] == "#   variable  LONGER  short"
