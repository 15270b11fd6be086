"""The act level's own helpers: a throwaway copy of the working tree, the act_run fixture type."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.support.act import ActRun
from tests.support.repository import REPO_ROOT

_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".cache",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "target",
    "node_modules",
    "pmcp-deploy-report.json",
    ".env",
    ".secrets",
    ".vars",
    ".actrc",
)


def copy_repository(destination: Path) -> Path:
    """The working tree (wheelhouse/ included, caches excluded) as a one-commit git repo.

    The copy keeps act's --bind and the action's report files away from the real checkout,
    and the commit gives act a sha and a ref for the github context.
    """
    shutil.copytree(REPO_ROOT, destination, ignore=_COPY_IGNORE, symlinks=True)
    if shutil.which("git"):
        git = [
            "git",
            "-C",
            str(destination),
            "-c",
            "user.name=e2e",
            "-c",
            "user.email=e2e@localhost",
        ]
        subprocess.run([*git, "init", "--quiet", "--initial-branch=main"], check=True, timeout=60)
        subprocess.run(
            [*git, "commit", "--quiet", "--allow-empty", "-m", "e2e"], check=True, timeout=60
        )
    return destination


#: The type of the ``act_run`` fixture (see tests/act/conftest.py).
RunAct = Callable[..., ActRun]
