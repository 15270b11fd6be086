"""The checkout the tests run from, and its scripts (prepare-machine, build-image)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

__all__ = ["REPO_ROOT", "run_script"]

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_script(
    name: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 1200
) -> subprocess.CompletedProcess[str]:
    """Run scripts/<name>; fail the test with its stderr when it fails."""
    completed = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(os.environ if env is None else env),
        stdin=subprocess.DEVNULL,
    )
    if completed.returncode != 0:
        pytest.fail(
            f"scripts/{name} exited {completed.returncode}:\n{completed.stderr[-4000:]}",
            pytrace=False,
        )
    return completed
