"""Run entrypoint.py as a separate process with a GitHub-like environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.github import ContainerRun, parse_github_output

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_entrypoint(gha_files, tmp_path):
    def run(
        inputs: dict[str, str], extra_env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> ContainerRun:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(cwd or tmp_path),
            "GITHUB_REPOSITORY": "octo/hello-mcp",
            "GITHUB_RUN_ID": "4242",
        }
        env.update({k: str(v) for k, v in gha_files.items()})
        env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
        env.update(extra_env or {})
        completed = subprocess.run(
            [sys.executable, str(ROOT / "entrypoint.py")],
            env=env,
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        # The same result shape as a container run: one reading of outputs and report.
        return ContainerRun(
            exit_code=completed.returncode,
            stdout=completed.stdout,
            stderr=completed.stderr,
            outputs=parse_github_output(gha_files["GITHUB_OUTPUT"].read_text()),
            summary=gha_files["GITHUB_STEP_SUMMARY"].read_text(),
            workspace=cwd or tmp_path,
        )

    return run
