"""Scenario files: found by pattern, parsed strictly, every problem named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.scenarios.loading import MAX_FILE_BYTES, load_scenarios
from pmcp_action.scenarios.model import AssertionType, ComparisonType, OperationType

GOOD = """\
name: Shop basics
description: Prices and stock
timeout: 20
stop_on_failure: false
variables:
  item: apple
setup:
  - name: remember a quantity
    operation:
      type: set_variable
      name: quantity
      value: 2
steps:
  - name: price
    operation:
      type: tool_call
      tool: price
      arguments:
        item: "${item}"
        quantity: "${quantity}"
    timeout: 5
    store_result: priced
    assertions:
      - type: success
      - type: numeric
        path: parsed.total
        between: {min: 1, max: 10}
      - type: array_length
        path: parsed.items
        greater_than: 0
      - type: jsonpath
        expression: parsed.item
        expected: apple
cleanup:
  - name: wait a moment
    operation: {type: wait, seconds: 0.1}
"""


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_good_file_is_read_with_every_field(tmp_path: Path) -> None:
    _write(tmp_path, "scenarios/shop.yaml", GOOD)
    loaded = load_scenarios(["scenarios/*.yaml"], tmp_path)
    assert loaded.problems == [] and loaded.warnings == []
    (scenario,) = loaded.scenarios
    assert (scenario.name, scenario.source, scenario.timeout) == (
        "Shop basics",
        "scenarios/shop.yaml",
        20.0,
    )
    assert scenario.stop_on_failure is False and dict(scenario.variables) == {"item": "apple"}
    step = scenario.steps[0]
    assert step.operation.type is OperationType.TOOL_CALL and step.operation.name == "price"
    assert step.timeout == 5.0 and step.store_result == "priced"
    kinds = [a.type for a in step.assertions]
    assert kinds == [
        AssertionType.SUCCESS,
        AssertionType.NUMERIC,
        AssertionType.ARRAY_LENGTH,
        AssertionType.JSONPATH,
    ]
    assert step.assertions[1].comparison is not None
    assert step.assertions[1].comparison.type is ComparisonType.BETWEEN
    assert scenario.cleanup[0].operation.seconds == 0.1


def test_json_files_and_duplicates_across_patterns(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "s/list.json",
        '{"name": "list", "steps": [{"name": "l", "operation": {"type": "list_tools"}}]}',
    )
    loaded = load_scenarios(["s/list.json", "s/*.json"], tmp_path)
    assert [s.name for s in loaded.scenarios] == ["list"] and loaded.problems == []


def test_problems_name_the_file_line_and_field_never_the_content(tmp_path: Path) -> None:
    secret = "sk-live-0123456789"
    _write(
        tmp_path,
        "bad.yaml",
        f"""\
name: Bad
steps:
  - name: one
    operation:
      type: tool-call
      tool: {secret}
  - name: two
    operation:
      type: tool_call
    assertions:
      - type: equals
        path: $.result
      - type: numeric
        path: parsed.n
""",
    )
    loaded = load_scenarios(["bad.yaml"], tmp_path)
    assert loaded.scenarios == []
    rendered = [p.render() for p in loaded.problems]
    assert any(r.startswith("bad.yaml:5: steps[0].operation.type: is not one of") for r in rendered)
    assert any(r.startswith("bad.yaml:8: steps[1].operation.tool: must be") for r in rendered)
    assert any(
        "bad.yaml:12: steps[1].assertions[0].path: a path has no leading '$'" in r for r in rendered
    )
    assert any("bad.yaml:11: steps[1].assertions[0].value: is missing" in r for r in rendered)
    assert any("steps[1].assertions[1]: needs exactly one comparison" in r for r in rendered)
    assert all(secret not in r for r in rendered)


@pytest.mark.parametrize(
    ("name", "text", "what"),
    [
        ("syntax.yaml", "name: [unclosed\nsteps: []\n", "syntax.yaml:2: not valid YAML"),
        ("syntax.json", '{"name": "x",\n "steps": [}', "syntax.json:2: not valid JSON"),
        ("nosteps.yaml", "name: x\n", "steps: is missing"),
        ("empty.yaml", "name: x\nsteps: []\n", "steps: is empty"),
        ("list.yaml", "- name: x\n", "the file: must be a mapping"),
        ("binary.yaml", "\udcff", "is not UTF-8 text"),
    ],
)
def test_malformed_files_are_input_problems(
    tmp_path: Path, name: str, text: str, what: str
) -> None:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    loaded = load_scenarios([name], tmp_path)
    assert loaded.scenarios == []
    assert any(what in p.render() for p in loaded.problems), [p.render() for p in loaded.problems]


def test_a_pattern_matching_nothing_a_directory_and_a_huge_file(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    _write(tmp_path, "huge.yaml", "#" * (MAX_FILE_BYTES + 1))
    loaded = load_scenarios(["none/*.yaml", "missing.yaml", "dir.yaml", "huge.yaml"], tmp_path)
    rendered = [p.render() for p in loaded.problems]
    assert rendered[0].startswith("input 'verify-scenarios' (none/*.yaml): matches no file")
    assert rendered[1].startswith("input 'verify-scenarios' (missing.yaml): matches no file")
    assert any("dir.yaml is a directory" in r for r in rendered)
    assert any(r.startswith("huge.yaml: is ") and "1024 KiB" in r for r in rendered)


def test_keys_mcp_tester_ignores_are_warnings_with_their_line(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "extra.yaml",
        "name: x\nauthor: me\nsteps:\n  - name: l\n    operation: {type: list_tools}\n"
        "    retries: 3\n",
    )
    loaded = load_scenarios(["extra.yaml"], tmp_path)
    assert len(loaded.scenarios) == 1 and loaded.problems == []
    assert loaded.warnings == [
        "extra.yaml:2: author is not a field mcp-tester reads; it is ignored",
        "extra.yaml:6: steps[0].retries is not a field mcp-tester reads; it is ignored",
    ]
