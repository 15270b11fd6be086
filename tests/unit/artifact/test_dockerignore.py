"""``.dockerignore`` decided as Docker decides it."""

from __future__ import annotations

import pytest

from pmcp_action.artifact.dockerignore import DockerIgnore
from pmcp_action.errors import ConfigError

RULES = """\
\ufeff# the scaffold's rules, and a few more
target/
**/*.log
  .git  
/deploy
!keep.log
secret*
docs/**/draft?.md
file[^0-9].txt
"""


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("target", True),
        ("target/release/calc", True),  # below a matched directory
        ("build.log", True),
        ("src/deep/x.log", True),  # ** matches any number of directories
        ("keep.log", False),  # the exception, after the pattern it excepts
        ("src/keep.log", True),  # the exception names the top-level file only
        (".git/HEAD", True),  # surrounding space trimmed
        ("deploy/outputs.json", True),  # a leading / is the context's root
        ("src/deploy", False),
        ("secret.txt", True),
        ("src/secret.txt", False),  # * never crosses a /
        ("docs/a/b/draft1.md", True),
        ("docs/draft1.md", True),
        ("docs/draft10.md", False),  # ? is one character
        ("filea.txt", True),
        ("file1.txt", False),  # a negated class
        ("src/main.rs", False),
        ("# the scaffold's rules, and a few more", False),  # a comment is no pattern
    ],
)
def test_paths_are_left_out_as_docker_leaves_them_out(path: str, excluded: bool) -> None:
    assert DockerIgnore.parse(RULES).excluded(path) is excluded


def test_the_last_matching_pattern_decides() -> None:
    rules = DockerIgnore.parse("*.md\n!README*.md\nREADME-secret.md\n")
    assert rules.excluded("NOTES.md")
    assert not rules.excluded("README.md")
    assert rules.excluded("README-secret.md")
    assert rules.has_exceptions
    assert not DockerIgnore.parse("*.md\n").has_exceptions


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("target\n!\n", '.dockerignore line 2: "!" alone is not a pattern.'),
        ("a[bc\n", ".dockerignore line 1: 'a[bc' is not a valid pattern (a [ without its ])."),
    ],
)
def test_a_bad_pattern_names_its_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        DockerIgnore.parse(text)
    assert caught.value.message == message
