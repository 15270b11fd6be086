"""registry.server_json: the document a deploy publishes, and the schema's rules for it."""

from __future__ import annotations

import pytest

from pmcp_action.registry.server_json import (
    SCHEMA,
    description_problem,
    document_problems,
    name_problem,
    remote_urls,
    server_json,
    version_problem,
)
from tests.fakes.mcp_registry import CURRENT_SCHEMA, schema_violations, semantic_violations


def test_the_document_is_one_streamable_http_remote_under_the_current_schema() -> None:
    doc = server_json("io.github.o/w", "Weather", "1.0.0", "https://w.example/mcp")

    assert doc == {
        "$schema": SCHEMA,
        "name": "io.github.o/w",
        "description": "Weather",
        "version": "1.0.0",
        "remotes": [{"type": "streamable-http", "url": "https://w.example/mcp"}],
    }
    # What the registry fake (written from the registry's schema and rules) accepts.
    assert SCHEMA == CURRENT_SCHEMA
    assert schema_violations(doc) == [] and semantic_violations(doc, official=True) == []
    assert document_problems(doc) == []
    assert remote_urls(doc) == {"https://w.example/mcp"}


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("io.github.octo-org/weather", None),
        ("com.example/a_b.c", None),
        ("ab", "is 2 characters; a server name has 3 to 200"),
        (
            "weather",
            "must be <namespace>/<name> with exactly one /, e.g. io.github.octo-org/weather",
        ),
        ("a/b/c", "must be <namespace>/<name> with exactly one /, e.g. io.github.octo-org/weather"),
        (
            "-io.github/w",
            "has the namespace '-io.github': letters, digits, . and -, starting and ending with a "
            "letter or digit",
        ),
        (
            "io.github.o/weather_",
            "has the name 'weather_': letters, digits, ., _ and -, starting and ending with a "
            "letter or digit",
        ),
    ],
)
def test_names(name: str, problem: str | None) -> None:
    assert name_problem(name) == problem


@pytest.mark.parametrize(
    ("version", "refused"),
    [
        ("1.2.3", False),
        ("2.0.0-rc.1", False),
        ("1.0.0+build.5", False),
        ("2026.04", False),
        ("latest", True),
        ("^1.2.3", True),
        ("~1.2", True),
        (">=1.0.0", True),
        ("1.x", True),
        ("1.2.*", True),
        ("1.0.0 - 2.0.0", True),
        ("1.2 || 1.3", True),
        ("", True),
        (" 1.2.3", True),
        ("1" * 256, True),
    ],
)
def test_versions_are_one_specific_version(version: str, refused: bool) -> None:
    assert (version_problem(version) is not None) is refused
    if version.strip() and len(version) <= 255 and version == version.strip():
        # The registry fake agrees on what is a range.
        doc = server_json("io.github.o/w", "W", version, "https://w.example/mcp")
        assert bool(semantic_violations(doc, official=True)) is refused


def test_descriptions() -> None:
    assert description_problem("") == "is empty"
    assert description_problem("x" * 100) is None
    assert description_problem("x" * 101) == "is 101 characters; the registry takes at most 100"


def test_every_broken_rule_is_named() -> None:
    doc = server_json("weather", "", "latest", "ftp://w.example")
    assert document_problems(doc) == [
        "name must be <namespace>/<name> with exactly one /, e.g. io.github.octo-org/weather",
        "description is empty",
        "version is 'latest', which the registry reserves",
        "remotes[0].url must be an http(s) URL without white space",
    ]


def test_remote_urls_are_the_streamable_http_ones() -> None:
    listed = {
        "remotes": [
            {"type": "sse", "url": "https://a.example/sse"},
            {"type": "streamable-http", "url": "https://b.example/mcp"},
            "garbage",
        ]
    }
    assert remote_urls(listed) == {"https://b.example/mcp"}
    assert remote_urls({"remotes": None}) == set()
