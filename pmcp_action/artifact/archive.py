"""Reproducible archives: the same files always give the same bytes.

Entries are sorted, with fixed timestamps, modes and compression level, so a
digest of the archive identifies its content, as cargo-pmcp's packaging does. Zips are
written here; reproducible ``tar+gzip`` streams (an OCI image layer, a build context) are
:mod:`.tarball`'s.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..deadline import Deadline
from ..errors import ConfigError
from .files import open_regular, read_chunks, regular_size

__all__ = ["ZipEntry", "file_entry", "unsafe_zip_entry", "write_zip"]

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_COMPRESSLEVEL = 6
_ZIP_UNIX = 3
_DRIVE = re.compile(r"^[A-Za-z]:")
_SEPARATORS = re.compile(r"[/\\]")


@dataclass(frozen=True)
class ZipEntry:
    """One file of a zip: bytes on disk (``path``) or in memory (``data``)."""

    arcname: str
    mode: int
    size: int
    path: Path | None = None
    data: bytes | None = None


def file_entry(path: Path, arcname: str, mode: int) -> ZipEntry:
    """A file on disk as the entry ``arcname`` with ``mode`` (its own mode is ignored)."""
    return ZipEntry(arcname=arcname, mode=mode, size=regular_size(path), path=path)


def write_zip(dest: Path, entries: Sequence[ZipEntry], deadline: Deadline | None = None) -> None:
    """Write ``entries`` to ``dest`` reproducibly (atomically: a temp file, then rename).

    A file entry is copied in chunks within ``deadline``, exactly the ``size`` it
    was measured at (what was checked against a limit is what is packaged); a
    file that changed size meanwhile is an error.
    """
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
                        _copy_file(entry.path, entry.size, out, deadline)
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


def unsafe_zip_entry(info: zipfile.ZipInfo) -> str | None:
    """Why unpacking this entry of a zip someone else wrote could write outside the
    directory it is unpacked into (zip-slip), or None when it cannot.

    An absolute name (``/…``, ``\\…``, ``C:…``), a ``..`` segment (``/`` or ``\\``
    separated) and a symlink entry are unsafe. Says why in words, never the
    entry's content (a symlink's target is its content).
    """
    name = info.filename
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "an absolute path"
    if ".." in _SEPARATORS.split(name):
        return "it contains '..'"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symlink"
    return None


def _copy_file(path: Path, size: int, out: IO[bytes], deadline: Deadline | None) -> None:
    copied = 0
    with open_regular(path) as source:
        for chunk in read_chunks(source, str(path), deadline, limit=size + 1):
            copied += len(chunk)
            if copied > size:
                break
            out.write(chunk)
    if copied != size:
        raise ConfigError(
            f"{path} changed size while it was being packaged (it was {size} bytes when "
            "measured); the zip was not written.",
            remediation="Do not write to the project's files while the action packages them "
            "(build in an earlier step).",
        )


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
