"""What this machine can run for the container and act tests, and what happens when it cannot.

A missing Docker engine (or act) skips those tests on a developer machine and FAILS them under
CI, so a CI run can never pass by silently not testing the image or the action.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

__all__ = ["IN_CI", "docker_problem", "unavailable"]

#: Read once, when a conftest imports this module during collection: the autouse
#: ``clean_environ`` fixture removes ``CI`` from os.environ before every test.
_CI_VALUE = os.environ.get("CI", "")
IN_CI = _CI_VALUE.strip().lower() not in ("", "0", "false", "no", "off")


def unavailable(reason: str) -> None:
    """Skip on a developer machine, fail under CI: container tests must never vanish in CI."""
    hint = "Run scripts/prepare-machine to install and start the Docker engine."
    reason = reason.rstrip(". ")
    if IN_CI:
        pytest.fail(f"CI is set but {reason}. {hint}", pytrace=False)
    pytest.skip(f"{reason} ({hint})")


def docker_problem() -> str | None:
    """Why the Docker engine cannot be used, or None when ``docker info`` answers."""
    if shutil.which("docker") is None:
        return "the docker CLI is not on PATH"
    try:
        completed = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s"
    if completed.returncode != 0 or not completed.stdout.strip():
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        return "the Docker engine does not answer" + (f": {detail[-1]}" if detail else "")
    return None
