"""SHA-256 digests of files and streams, read in chunks within the run's deadline."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO

from ..deadline import Deadline
from .files import open_regular, read_chunks

__all__ = ["sha256_file", "sha256_stream"]


def sha256_file(path: Path, label: str | None = None, deadline: Deadline | None = None) -> str:
    """Hex SHA-256 of a regular file, read in 1 MiB chunks (``label`` names it in errors)."""
    shown = label or str(path)
    with open_regular(path, shown) as handle:
        return sha256_stream(handle, shown, deadline)


def sha256_stream(handle: IO[bytes], label: str = "", deadline: Deadline | None = None) -> str:
    """Hex SHA-256 of what is left in an open binary stream, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    for chunk in read_chunks(handle, label or "a stream", deadline):
        digest.update(chunk)
    return digest.hexdigest()
