"""The core is derived from the declarations: it names no target, nor a target's input or output.

A target added (or renamed) in its own package must not need an edit here; a
name spelt out in these modules would be a second copy of its declaration.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pmcp_action
from pmcp_action.settings.catalogue import catalogue

PACKAGE = Path(pmcp_action.__file__).parent
CORE = (
    *(
        f"settings/{name}.py"
        for name in (
            "__init__",
            "spec",
            "vocabulary",
            "common_inputs",
            "common_outputs",
            "declaration",
            "catalogue",
            "values",
            "precedence",
            "deploy_toml",
            "deploy_toml_reading",
            "target_inputs",
            "core_settings",
            "loader",
        )
    ),
    "result.py",
    "report.py",
    "pipeline.py",
    *(f"cli/{name}.py" for name in ("__init__", "words", "parsing", "help", "completion")),
    "__main__.py",
    "exit_codes.py",
    "flow.py",
    "ownership.py",
    "once.py",
    "keyvalue.py",
    "plugin.py",
)


def target_names() -> set[str]:
    cat = catalogue()
    owned_outputs = {spec.name for spec in cat.outputs if cat.output_owners.get(spec.name)}
    return set(cat.ids) | {spec.name for spec in cat.target_specific_inputs} | owned_outputs


#: Core words that are also a target's one-word input or output and mean something else
#: where the core spells them as a string: (module, name) -> what it is there.
HOMONYMS = {("report.py", "platform"): "the report's CI platform (github, gitlab)"}


def mentions(text: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, name) of every whole-word mention, as a flag (``--name``) too; a hyphen or a
    word character next to it makes it part of another word.

    A one-word name ("platform", "project", "image") is plain English too, so prose such as
    "the CI platform" or "the project directory" is no mention of it: only the flag and a
    quoted string (``"project"``, a key or a lookup) are.
    """
    found = []
    for name in sorted(names):
        if "-" in name:
            pattern = rf"(?<![\w-])(?:--)?{re.escape(name)}(?![\w-])"
        else:
            pattern = rf"(?<![\w-])--{re.escape(name)}(?![\w-])|[\"']{re.escape(name)}[\"']"
        for match in re.finditer(pattern, text):
            found.append((text.count("\n", 0, match.start()) + 1, name))
    return found


def test_the_names_cover_every_target_and_what_each_declares():
    names = target_names()
    assert {"pmcp-run", "aws-lambda", "role-to-assume", "pmcp-client-id", "arn"} <= names
    assert not {"target", "region", "url", "status"} & names  # common ones are the core's


def test_the_check_finds_a_mention():
    assert mentions('x = "aws-lambda"\n# --role-to-assume\nwarning', target_names()) == [
        (1, "aws-lambda"),
        (2, "role-to-assume"),
    ]
    text = 'the project directory\nget("project")\n--platform\nthe CI platform'
    assert mentions(text, {"project", "platform"}) == [(3, "platform"), (2, "project")]


@pytest.mark.parametrize("module", CORE)
def test_a_core_module_names_no_target(module):
    found = mentions((PACKAGE / module).read_text(encoding="utf-8"), target_names())
    assert [(line, name) for line, name in found if (module, name) not in HOMONYMS] == []
