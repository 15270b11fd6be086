"""Reading what a kind packages: regular files only, sized before they are read, and
read in chunks within the run's deadline.

A device (``/dev/zero``), a FIFO or a socket is never opened for reading: it can
block, or never end. :func:`regular_size` says what a path is without opening
it; :func:`open_regular` opens it without blocking and checks again on the open
file, so nothing swapped in between is read either.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

from ..deadline import Deadline
from ..errors import ConfigError, TimeoutExceededError
from .common import CHUNK, mib

__all__ = ["NEVER_READ", "file_kind", "open_regular", "read_all", "read_chunks", "regular_size"]

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_OPEN_FLAGS |= getattr(os, "O_BINARY", 0)
#: Why a kind refuses what is not a regular file (the end of its remediation).
NEVER_READ = "Devices, FIFOs and sockets are never read: they can block or never end."


def file_kind(mode: int) -> str:
    """What a ``st_mode`` is, with its article: "a regular file", "a FIFO (named pipe)"…"""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def regular_size(path: Path, label: str | None = None) -> int:
    """The size of the regular file at ``path`` (symlinks followed), read from its metadata.

    Refuses anything else, naming it by ``label`` (default: the path) and what it is.
    """
    shown = label or str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _cannot_open(shown, exc) from exc
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(shown, info.st_mode)
    return info.st_size


def open_regular(path: Path, label: str | None = None) -> BinaryIO:
    """Open the regular file at ``path`` for binary reading; refuse anything else.

    The path is checked before it is opened (so a device is never opened) and the
    open file again (so what is read is what was checked).
    """
    shown = label or str(path)
    regular_size(path, shown)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise _cannot_open(shown, exc) from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(shown, mode)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_chunks(
    handle: IO[bytes],
    label: str,
    deadline: Deadline | None,
    *,
    limit: int | None = None,
) -> Iterator[bytes]:
    """What is left in ``handle``, in :data:`~.common.CHUNK` pieces, at most ``limit`` bytes.

    Before each piece the deadline is checked: a file on a stalled network mount
    ends the run with a :class:`TimeoutExceededError`, not past the job's timeout.
    """
    done = 0
    while limit is None or done < limit:
        if deadline is not None and deadline.expired:
            raise TimeoutExceededError(
                f"Stopped reading {label} after {mib(done)} ({done} bytes): the run's deadline "
                f"of {deadline.seconds:.0f} s passed.",
                remediation="Put the artifact on the runner's own disk (reading it should take "
                "seconds), or raise timeout-minutes.",
            )
        chunk = handle.read(CHUNK if limit is None else min(CHUNK, limit - done))
        if not chunk:
            return
        done += len(chunk)
        yield chunk


def read_all(path: Path, label: str, deadline: Deadline | None) -> bytes:
    """A regular file's bytes, read in chunks within the deadline (check its size first)."""
    with open_regular(path, label) as handle:
        return b"".join(read_chunks(handle, label, deadline))


def _not_regular(shown: str, mode: int) -> ConfigError:
    return ConfigError(
        f"{shown} is {file_kind(mode)}, not a regular file; it was not read.",
        remediation=f"Point it at the file itself. {NEVER_READ}",
    )


def _cannot_open(shown: str, exc: OSError) -> ConfigError:
    return ConfigError(
        f"Cannot open {shown}: {exc.strerror or exc}.",
        remediation="Check that it exists and that the runner's user can read it.",
    )
