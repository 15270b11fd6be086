"""SHA-256 digests of files and streams, read in chunks."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from .common import CHUNK

__all__ = ["sha256_file", "sha256_stream"]


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    with path.open("rb") as handle:
        return sha256_stream(handle)


def sha256_stream(handle: _Readable) -> str:
    """Hex SHA-256 of what is left in an open binary stream, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
