"""A person's session at a terminal, compared with a recorded transcript.

Each step runs the program on a pseudo-terminal with no CI variables (as a person runs it):
the bare name (usage, exit 2), a typo'd target (did you mean, exit 2), a value --verify does
not take (exit 2), --json (one line of typed values), and a plan per cloud target without
credentials, whose errors suggest the person's own sign-in (--auth ambient where the target
offers it) and never a workflow expression.

The transcript is tests/data/terminal/transcript.txt. Volatile parts are normalised before
the comparison: the run's directory becomes <DIR>, colours are removed (their presence is
checked), and the --json line is cut to the keys below (more outputs are added over time).
After an intended change of the program's words, regenerate it and review the diff::

    REGENERATE_TRANSCRIPT=1 python -m pytest tests/subprocess/test_terminal_transcript.py
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tests.support.terminal import ROOT, at_a_terminal

GOLDEN = ROOT / "tests" / "data" / "terminal" / "transcript.txt"
REGENERATE = "REGENERATE_TRANSCRIPT"
#: Read when the module is imported: every test's environment is cleaned of the outside's.
REGENERATING = bool(os.environ.get(REGENERATE))
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: The --json keys shown: one of each JSON type the object holds.
_JSON_KEYS = ("target", "server-name", "url", "unchanged", "rolled-back", "status", "exit-code")

SESSION: list[list[str]] = [
    [],
    ["deploy", "--target", "aws-lamda"],
    ["plan", "--target", "aws-lambda", "--verify", "maybe"],
    ["--json", "plan", "--target", "aws-lambda", "--server-name", "demo", "--region", "us-east-1"],
    ["plan", "--target", "pmcp-run", "--server-name", "demo"],
    ["plan", "--target", "google-cloud-run", "--server-name", "demo", "--gcp-project",
     "my-project-1", "--region", "us-central1"],
    ["plan", "--target", "azure-container-apps", "--server-name", "demo", "--region", "eastus",
     "--azure-subscription-id", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"],
    ["plan", "--target", "cloudflare-workers", "--server-name", "demo"],
]  # fmt: skip


def _typed_json(out: str) -> str:
    """The --json object's line cut to :data:`_JSON_KEYS`, after checking no value is a
    bool, number or null written as a string."""
    line = next(line for line in out.splitlines() if line.startswith("{"))
    result = json.loads(line)
    stringly = {
        key: value
        for key, value in result.items()
        if isinstance(value, str) and (value in ("true", "false", "null") or value.isdigit())
    }
    assert stringly == {}, f"--json values typed as strings: {stringly}"
    shown = json.dumps({key: result[key] for key in _JSON_KEYS})
    return out.replace(line, f"{shown}  (cut to {len(_JSON_KEYS)} of {len(result)} keys)")


def _session(tmp_path: Path) -> str:
    parts: list[str] = []
    for args in SESSION:
        code, out = at_a_terminal(args, tmp_path)
        if code == 1:  # an error at a terminal is in colour
            assert "\x1b[31;1m" in out
        out = _ANSI.sub("", out).replace(str(tmp_path), "<DIR>")
        if "--json" in args:
            out = _typed_json(out)
        parts.append(
            f"$ pmcp-action {' '.join(args)}".rstrip() + f"\n{out.rstrip()}\n[exit {code}]\n"
        )
    return "\n".join(parts)


def test_a_persons_session_matches_the_transcript(tmp_path: Path) -> None:
    transcript = _session(tmp_path)
    if REGENERATING:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(transcript, encoding="utf-8")
    assert transcript == GOLDEN.read_text(encoding="utf-8"), (
        f"the terminal session changed; if intended, regenerate with {REGENERATE}=1"
    )
    # What the transcript must show, whatever its wording becomes.
    assert "${{" not in transcript and "id-token" not in transcript
    assert transcript.count("[exit 2]") == 3
    assert "did you mean aws-lambda?" in transcript
    assert transcript.count("--auth ambient") == 5  # one per target
    assert "run wrangler login and pass --auth ambient" in transcript
    assert list(tmp_path.iterdir()) == []  # nothing was written where the person stood
