"""Small path, size and listing helpers shared by every artifact kind."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "CHUNK",
    "MIB",
    "absolute",
    "display",
    "inside",
    "join_listing",
    "listing",
    "mib",
]

MIB = 1024 * 1024
#: Read and copy files in pieces of this size.
CHUNK = MIB
_LISTING_LIMIT = 20


def absolute(path: Path, base: Path) -> Path:
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def display(path: Path, project_root: Path) -> str:
    try:
        return path.relative_to(project_root).as_posix()
    except ValueError:
        return str(path)


def inside(real: str, root_real: str) -> bool:
    try:
        return os.path.commonpath([real, root_real]) == root_real
    except ValueError:  # different drives
        return False


def listing(directory: Path) -> list[str]:
    try:
        children = sorted(directory.iterdir())
    except OSError:
        return []
    return [c.name + ("/" if c.is_dir() else "") for c in children]


def join_listing(names: Sequence[str]) -> str:
    if not names:
        return "nothing"
    shown = ", ".join(names[:_LISTING_LIMIT])
    more = len(names) - _LISTING_LIMIT
    return shown + (f" and {more} more" if more > 0 else "")


def mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"
