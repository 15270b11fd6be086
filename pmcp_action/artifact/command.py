"""Running a build command: output into a log file, echoed while it runs, bounded.

Any kind that builds (a cargo build, ``docker build``, ``worker-build``) runs its
command through :func:`run_logged` and words the failure itself, with
:func:`output_tail` as the details.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..ci.base import Platform
from .common import CHUNK
from .model import Runner

__all__ = ["CommandOutcome", "output_tail", "run_logged"]

_TAIL_LINES = 40


@dataclass(frozen=True)
class CommandOutcome:
    """How a command ended: its exit code, or ``None`` when it timed out or never started."""

    returncode: int | None
    #: Why it could not be started (``run`` raised :class:`OSError`).
    start_error: OSError | None = None

    @property
    def timed_out(self) -> bool:
        return self.returncode is None and self.start_error is None


def run_logged(
    *,
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    console: Platform,
    run: Runner,
    timeout: float,
    title: str,
) -> CommandOutcome:
    """Run ``argv`` in a console group ``title``, stdout and stderr into ``log_path``
    (its directory must exist) and echoed line by line to the console."""
    with console.group(title):
        with log_path.open("wb") as log, _streamed(log_path, console.info):
            try:
                result = run(
                    list(argv),
                    cwd=cwd,
                    env=dict(env),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return CommandOutcome(None)
            except OSError as exc:
                return CommandOutcome(None, start_error=exc)
    return CommandOutcome(result.returncode)


def output_tail(log_path: Path) -> str:
    """The last lines of the log, for an error's details ("" when it cannot be read)."""
    try:
        with log_path.open("rb") as handle:
            handle.seek(max(0, log_path.stat().st_size - 64 * 1024))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = text.splitlines()[-_TAIL_LINES:]
    return f"Last {len(lines)} lines of the build output:\n" + "\n".join(lines)


@contextmanager
def _streamed(path: Path, emit: Callable[[str], None]) -> Iterator[None]:
    """Echo lines appended to ``path`` while the body runs (a ``tail -f``)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_follow, args=(path, emit, stop), name="build-output", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _follow(path: Path, emit: Callable[[str], None], stop: threading.Event) -> None:
    pending = b""
    with path.open("rb") as handle:
        while True:
            stopping = stop.is_set()  # sampled first: the read after it sees all output
            chunk = handle.read(CHUNK)
            if chunk:
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    emit(line.rstrip(b"\r").decode("utf-8", "replace"))
            elif stopping:
                break
            else:
                stop.wait(0.1)
    if pending:
        emit(pending.rstrip(b"\r").decode("utf-8", "replace"))
