"""The checkout the tests run from, its scripts (prepare-machine, build-image) and the
action image's base (the Dockerfile's ``ARG BASE_IMAGE``)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

__all__ = ["REPO_ROOT", "dockerfile_base_image", "run_script"]

REPO_ROOT = Path(__file__).resolve().parents[2]


def dockerfile_base_image() -> str:
    """The FROM image of the action image's final stage: the Dockerfile's ARG BASE_IMAGE."""
    for line in (REPO_ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("ARG BASE_IMAGE="):
            return line.split("=", 1)[1].strip()
    raise AssertionError("Dockerfile has no ARG BASE_IMAGE=...")


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
