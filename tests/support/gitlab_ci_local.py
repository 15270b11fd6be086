"""gitlab-ci-local (the GitLab CI runner emulator, npm): installed, and run on a project.

Shared by the GitLab component's tests: tests/subprocess runs its jobs with the shell
executor (no Docker), tests/container in the action image. gitlab-ci-local sets
``GITLAB_CI=false`` so scripts can tell a local run; :func:`run_pipeline` passes ``true``, as
a real runner does.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.machine import unavailable
from tests.support.repository import REPO_ROOT

__all__ = ["gitlab_ci_local", "git_project", "run_pipeline"]


def gitlab_ci_local() -> str:
    """The pinned gitlab-ci-local's executable (installed by scripts/lib/gitlab-ci-local.sh)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        unavailable("gitlab-ci-local needs node and npm, which are not on PATH")
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "lib" / "gitlab-ci-local.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        unavailable(f"gitlab-ci-local could not be installed: {done.stderr.strip()[-800:]}")
    return done.stdout.strip().splitlines()[-1]


def git_project(project: Path) -> Path:
    """``project`` committed as a git repository: gitlab-ci-local reads the commit for
    CI_COMMIT_* and copies only what git tracks into a job's container."""
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"],
    ):
        subprocess.run(command, cwd=project, check=True, capture_output=True, timeout=60)
    return project


def run_pipeline(
    binary: str,
    project: Path,
    *,
    options: Sequence[str] = (),
    variables: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    home: Path,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run the project's pipeline; ``variables`` go to every job (``--variable``), predefined
    ones (``CI_*``) included."""
    variables = {"GITLAB_CI": "true", **(variables or {})}
    command = [binary, *options]
    for name, value in variables.items():
        command += ["--variable", f"{name}={value}"]
    # Set on purpose, where gitlab-ci-local's own value differs from a runner's.
    predefined = [name for name in variables if name.startswith(("CI_", "GITLAB_"))]
    command += ["--ignore-predefined-vars", ",".join(predefined)]
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        command,
        cwd=project,
        env={**(env or {}), "HOME": str(home), "NO_COLOR": "1", "FORCE_COLOR": "0"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
