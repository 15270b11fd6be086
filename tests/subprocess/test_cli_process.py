"""``python -m pmcp_action`` as a process: what it imports, prints and exits with, and its
completion script working in a real bash."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pmcp_action import __version__

ROOT = Path(__file__).resolve().parents[2]
#: Modules --version must not pay for.
HEAVY = (
    "pmcp_action.settings.catalogue",
    "pmcp_action.cli",
    "httpx",
    "tomlkit",
    "shtab",
    "argparse",
)


def pmcp_action(
    *args: str, cwd: Path, env: dict[str, str] | None = None, importtime: bool = False
) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "PYTHONPATH": str(ROOT),  # this checkout's package
    }
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "pmcp_action", *args],
        env=base | (env or {}),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


_HEADER = "import time: self [us] | cumulative | imported package"
_ROW = re.compile(r"import time:\s+\d+ \|\s+\d+ \| \s*(\S+)$")


def imported(stderr: str) -> tuple[set[str], list[str]]:
    """The modules ``-X importtime`` listed, and every other stderr line."""
    modules: set[str] = set()
    other: list[str] = []
    for line in stderr.splitlines():
        match = _ROW.match(line)
        if match:
            modules.add(match[1])
        elif line != _HEADER:
            other.append(line)
    return modules, other


def test_version_prints_only_the_version_and_imports_nothing_heavy(tmp_path):
    completed = pmcp_action("--version", cwd=tmp_path, importtime=True)
    assert (completed.returncode, completed.stdout) == (0, f"pmcp-action {__version__}\n")
    modules, other = imported(completed.stderr)
    assert other == []
    # __main__ itself is run, not imported: the package is the only one of ours loaded.
    assert sorted(m for m in modules if m.startswith("pmcp_action")) == ["pmcp_action"]
    assert [m for m in HEAVY if m in modules] == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["--help"], ["deploy", "--help"], ["help", "pmcp-run"]])
def test_help_prints_nothing_else_and_needs_no_http_client(args, tmp_path):
    completed = pmcp_action(*args, cwd=tmp_path, importtime=True)
    assert completed.returncode == 0
    assert completed.stdout.startswith(("usage: pmcp-action ", "pmcp-run — pmcp.run\n"))
    modules, other = imported(completed.stderr)
    assert other == []  # no "== validate", no log line, no summary
    assert [m for m in ("httpx", "tomlkit", "shtab", "boto3") if m in modules] == []


def test_a_typo_exits_2_and_an_invalid_input_value_exits_1_without_a_report(tmp_path):
    typo = pmcp_action("deplyo", cwd=tmp_path)
    assert (typo.returncode, typo.stdout) == (2, "")
    assert typo.stderr.splitlines()[:4] == [
        "pmcp deploy: Failed (exit 2)",
        "",
        "error: Usage error",
        "  unknown command 'deplyo' — did you mean deploy?",
    ]
    flag = pmcp_action("--target", "heroku", cwd=tmp_path)
    assert (flag.returncode, flag.stdout) == (2, "")  # a closed flag's value: a usage error
    assert "  --target: unknown value 'heroku'" in flag.stderr
    value = pmcp_action(cwd=tmp_path, env={"PMCP_DEPLOY_TARGET": "heroku"})
    assert (value.returncode, value.stdout) == (1, "")
    assert "  - environment variable PMCP_DEPLOY_TARGET: unknown value 'heroku'" in value.stderr
    assert list(tmp_path.iterdir()) == []  # the report is written outside CI only when asked


def test_json_output_of_an_invalid_target_pipes_into_a_reader(tmp_path):
    completed = pmcp_action("--json", cwd=tmp_path, env={"PMCP_DEPLOY_TARGET": "heroku"})
    assert completed.returncode == 1
    (line,) = completed.stdout.splitlines()
    assert line.startswith('{"url": null, "service-url": null, "target": "heroku", ')
    assert line.endswith(', "exit-code": 1}')


BASH_CASES = [
    (["pmcp-action", "dep"], "deploy"),
    (["pmcp-action", "--tar"], "--target"),
    (["pmcp-action", "deploy", "--target", "a"], "aws-lambda azure-container-apps"),
    (["pmcp-action", "help", "aws"], "aws-lambda"),
    (["pmcp-action", "completion", ""], "bash zsh tcsh"),
    (["pmcp-action", "plan", "--verify", ""], "true false strict"),
    (["pmcp-action", "--output-format", ""], "text json"),
]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_completion_completes_commands_options_targets_and_values(tmp_path):
    completed = pmcp_action("completion", "bash", cwd=tmp_path, importtime=True)
    assert completed.returncode == 0
    modules, other = imported(completed.stderr)
    assert other == [] and "shtab" in modules  # imported for this command only
    script = tmp_path / "pmcp-action.bash"
    script.write_text(completed.stdout)
    probe = ['source "$1"', "shift"]
    for words, _ in BASH_CASES:
        quoted = " ".join(f"'{w}'" for w in words)
        probe += [
            f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}",
            'COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()',
            '_shtab_pmcp_action; echo "${COMPREPLY[*]}"',
        ]
    shell = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", "\n".join(probe), "probe", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (shell.returncode, shell.stderr) == (0, "")
    assert shell.stdout.splitlines() == [expected for _, expected in BASH_CASES]


@pytest.mark.parametrize(
    ("shell", "first_lines"),
    [
        (
            "zsh",
            [
                "#compdef pmcp-action",
                "",
                "# AUTOMATICALLY GENERATED by https://github.com/tqdm/shtab",
            ],
        ),
        ("tcsh", ["# AUTOMATICALLY GENERATED by https://github.com/tqdm/shtab", "# Usage:"]),
    ],
)
def test_zsh_and_tcsh_scripts_are_generated_from_the_same_parser(shell, first_lines, tmp_path):
    completed = pmcp_action("completion", shell, cwd=tmp_path)
    assert (completed.returncode, completed.stderr) == (0, "")
    lines = completed.stdout.splitlines()
    assert lines[: len(first_lines)] == first_lines
    for word in ("deploy", "rollback", "--target", "--confirm-destroy", "aws-lambda"):
        assert word in completed.stdout
