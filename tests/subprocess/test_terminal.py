"""The program at a terminal (a real pseudo-terminal): the bare name shows what to type and
deploys nothing; typos are usage errors naming what was meant; --json gives typed values."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.terminal import at_a_terminal


def test_the_bare_name_at_a_terminal_shows_what_to_type_and_deploys_nothing(tmp_path: Path):
    code, out = at_a_terminal([], tmp_path)
    assert code == 2
    assert out.startswith("usage: pmcp-action [COMMAND] [options]\n")
    assert "pmcp-action deploy --target TARGET" in out and "pmcp-action --help" in out
    assert "validate" not in out and list(tmp_path.iterdir()) == []


def test_help_fits_a_screen_and_typos_name_what_was_meant(tmp_path: Path):
    code, out = at_a_terminal(["--help"], tmp_path)
    assert code == 0 and len(out.splitlines()) <= 60
    assert "pmcp-action help TARGET" in " ".join(out.split())
    code, out = at_a_terminal(["deploy", "--target", "aws-lamda"], tmp_path)
    assert code == 2 and "--target: unknown value 'aws-lamda' — did you mean aws-lambda?" in out
    code, out = at_a_terminal(["plan", "--target", "aws-lambda", "--verify", "maybe"], tmp_path)
    assert code == 2 and "--verify: unknown value 'maybe'" in out


def test_json_values_are_typed(tmp_path: Path):
    code, out = at_a_terminal(["--json", "plan", "--target", "aws-lambda"], tmp_path)
    # The JSON object is standard output's one line; the summary goes to standard error.
    result = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    assert code == result["exit-code"] == 1
    assert result["url"] is None and result["rolled-back"] is False
    assert result["unchanged"] is None and isinstance(result["error-text"], str)
