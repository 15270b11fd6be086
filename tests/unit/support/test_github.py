"""The GitHub parsers every test level relies on ($GITHUB_OUTPUT, annotations)."""

from __future__ import annotations

import pytest

from tests.support.github import parse_annotations, parse_github_output


def test_parse_github_output_both_forms() -> None:
    text = (
        "status=failure\n"
        "url<<ghadelimiter_1\n"
        "\n"
        "ghadelimiter_1\n"
        "notes<<EOF_x\n"
        "line one\n"
        "a=b\n"
        "x<<y\n"
        "\n"
        "EOF_x\n"
        "equals=a=b<<c\n"
        "status=success\n"
    )
    assert parse_github_output(text) == {
        "status": "success",
        "url": "",
        "notes": "line one\na=b\nx<<y\n",
        "equals": "a=b<<c",
    }


@pytest.mark.parametrize(
    "text",
    ["name<<DELIM\nvalue\n", "just a line\n", "name<<\nx\n\n", "=value\n"],
    ids=["unclosed-heredoc", "no-separator", "empty-delimiter", "no-name"],
)
def test_parse_github_output_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_github_output(text)


def test_parse_annotations_unescapes() -> None:
    stdout = (
        "::group::validate\n"
        "::error title=Invalid input%3A target,file=a%2Cb.toml::two%0Alines 100%25\n"
        "plain text ::error::not at line start\n"
        "::warning::careful\n"
    )
    found = parse_annotations(stdout)
    assert [(a.kind, a.properties, a.message) for a in found] == [
        ("error", {"title": "Invalid input: target", "file": "a,b.toml"}, "two\nlines 100%"),
        ("warning", {}, "careful"),
    ]
