"""The one layer an assembled image adds: the binary, as a reproducible ``tar+gzip``.

Reproducible means the bytes depend on the binary and its path only: entries
sorted, parents first, mtime 0, owner and group 0 with empty names, modes 0755,
PAX-free USTAR headers, and a gzip header without name or time. The same binary
therefore gives the same layer digest, and an unchanged redeploy uploads nothing.

The layer is streamed into a file: the binary is read in chunks while both digests
are computed (``diff_id`` over the tar, the blob digest over the gzip), so memory
stays flat whatever the binary's size.
"""

from __future__ import annotations

import gzip
import hashlib
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["GZIP_LEVEL", "Layer", "write_binary_layer"]

#: Fixed, so the same input always compresses to the same bytes.
GZIP_LEVEL = 6


@dataclass(frozen=True)
class Layer:
    path: Path
    #: ``sha256:…`` of the compressed blob (what the manifest lists).
    digest: str
    #: ``sha256:…`` of the uncompressed tar (the config's ``rootfs.diff_ids``).
    diff_id: str
    size: int


class _HashingWriter:
    """A write-only file that hashes and counts what passes through to ``inner``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        self.inner.write(data)
        return len(data)

    def flush(self) -> None:
        self.inner.flush()


def write_binary_layer(binary: Path, image_path: PurePosixPath, out: Path) -> Layer:
    """Write ``binary`` as ``image_path`` (absolute, e.g. ``/usr/local/bin/calc``) into ``out``."""
    parts = image_path.relative_to("/").parts
    with out.open("wb") as raw:
        blob = _HashingWriter(raw)
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=blob, compresslevel=GZIP_LEVEL, mtime=0
        ) as zipped:
            tar_stream = _HashingWriter(zipped)
            with tarfile.open(  # type: ignore[call-overload]
                fileobj=tar_stream,
                mode="w|",
                format=tarfile.USTAR_FORMAT,
                bufsize=1024 * 1024,
            ) as tar:
                for depth in range(1, len(parts)):
                    tar.addfile(_info("/".join(parts[:depth]) + "/", tarfile.DIRTYPE, 0))
                size = binary.stat().st_size
                with binary.open("rb") as handle:
                    tar.addfile(_info("/".join(parts), tarfile.REGTYPE, size), handle)
    return Layer(
        path=out,
        digest=f"sha256:{blob.hash.hexdigest()}",
        diff_id=f"sha256:{tar_stream.hash.hexdigest()}",
        size=blob.size,
    )


def _info(name: str, kind: bytes, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.mode = 0o755
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
