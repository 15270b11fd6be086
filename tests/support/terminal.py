"""The program run as a person runs it: standard input, output and error on a pseudo-terminal,
no CI variables in its environment."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

__all__ = ["ROOT", "at_a_terminal"]

ROOT = Path(__file__).resolve().parents[2]


def at_a_terminal(
    args: list[str], cwd: Path, environ: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """Run the program at a pseudo-terminal in ``cwd`` (also its HOME); its exit code and
    everything it wrote, with the terminal's line endings made ``\\n``."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "pmcp_action", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=cwd,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(cwd),
            "PYTHONPATH": str(ROOT),
            "COLUMNS": "80",
            **dict(environ or {}),
        },
        close_fds=True,
    )
    os.close(child)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            process.kill()
            pytest.fail("the program did not finish at the terminal")
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=30), b"".join(chunks).decode().replace("\r\n", "\n")
