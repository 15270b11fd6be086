"""Reproducible deployment zips and SHA-256 digests.

Packaging follows cargo-pmcp ``deployment/builder.rs`` (reference §3.1.2). The zip
is byte-for-byte reproducible: sorted entries, fixed timestamps and modes, a
fixed compression level.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import ConfigError
from .common import BOOTSTRAP, CHUNK

__all__ = [
    "ZipEntry",
    "build_deployment_zip",
    "file_entry",
    "sha256_file",
    "sha256_stream",
    "write_zip",
]

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_COMPRESSLEVEL = 6
_ZIP_UNIX = 3


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class ZipEntry:
    """One file of a deployment zip: bytes on disk (``path``) or in memory (``data``)."""

    arcname: str
    mode: int
    size: int
    path: Path | None = None
    data: bytes | None = None


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


def build_deployment_zip(
    bootstrap: Path,
    dest: Path,
    *,
    assets: Sequence[tuple[Path, str]],
    extra_root_files: Sequence[tuple[Path, str]] = (),
) -> None:
    """Write a reproducible Lambda zip: ``bootstrap`` (0755) plus files (0644).

    ``assets`` and ``extra_root_files`` are ``(file, name in the zip)`` pairs;
    the same inputs always give the same bytes, whatever the files' mtimes or
    modes on disk.
    """
    entries = [file_entry(bootstrap, BOOTSTRAP, 0o755)]
    entries += [file_entry(path, arcname, 0o644) for path, arcname in extra_root_files]
    entries += [file_entry(path, arcname, 0o644) for path, arcname in assets]
    write_zip(dest, entries)


def file_entry(path: Path, arcname: str, mode: int) -> ZipEntry:
    return ZipEntry(arcname=arcname, mode=mode, size=path.stat().st_size, path=path)


def write_zip(dest: Path, entries: Sequence[ZipEntry]) -> None:
    """Write ``entries`` to ``dest`` reproducibly (atomically: a temp file, then rename)."""
    names = [e.arcname for e in entries]
    for name in names:
        if not name or name.startswith("/") or "\\" in name or ".." in name.split("/"):
            raise ValueError(f"invalid name for a zip entry: {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate zip entries: {sorted(n for n in names if names.count(n) > 1)}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for entry in sorted(entries, key=lambda e: e.arcname):
                with archive.open(_zip_info(entry), "w") as out:
                    if entry.data is not None:
                        out.write(entry.data)
                    elif entry.path is not None:
                        with entry.path.open("rb") as source:
                            shutil.copyfileobj(source, out, CHUNK)
        os.replace(partial, dest)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(
            f"Could not write the deployment zip {dest}: {exc}.",
            remediation="Check that the packaged files are readable and the work directory "
            "is writable.",
        ) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _zip_info(entry: ZipEntry) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(entry.arcname, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    # Python 3.13 made the level public (compress_level); 3.11/3.12 keep it private.
    setattr(
        info,
        "compress_level" if sys.version_info >= (3, 13) else "_compresslevel",
        ZIP_COMPRESSLEVEL,
    )
    info.create_system = _ZIP_UNIX
    info.external_attr = (stat.S_IFREG | entry.mode) << 16
    info.file_size = entry.size  # lets zipfile decide on zip64 up front
    return info
