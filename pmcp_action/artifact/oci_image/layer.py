"""The one layer an assembled image adds: the binary, as a reproducible ``tar+gzip``.

Reproducible means the bytes depend on the binary and its path only: entries
sorted, parents first, mtime 0, owner and group 0 with empty names, modes 0755,
PAX-free USTAR headers, and a gzip header without name or time. The same binary
therefore gives the same layer digest, and an unchanged redeploy uploads nothing.

The layer is streamed into a file: the binary is read in chunks while both digests
are computed (``diff_id`` over the tar, the blob digest over the gzip), and deflated
in fixed 256 KiB blocks on two threads (a few blocks in flight), so memory stays flat
whatever the binary's size (the stream is :mod:`..tarball`'s, shared with build contexts).
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..tarball import GZIP_BLOCK, GZIP_LEVEL, tar_gz, tar_info

__all__ = ["GZIP_BLOCK", "GZIP_LEVEL", "Layer", "write_binary_layer"]


@dataclass(frozen=True)
class Layer:
    path: Path
    #: ``sha256:…`` of the compressed blob (what the manifest lists).
    digest: str
    #: ``sha256:…`` of the uncompressed tar (the config's ``rootfs.diff_ids``).
    diff_id: str
    size: int


def write_binary_layer(binary: Path, image_path: PurePosixPath, out: Path) -> Layer:
    """Write ``binary`` as ``image_path`` (absolute, e.g. ``/usr/local/bin/calc``) into ``out``."""
    parts = image_path.relative_to("/").parts
    with out.open("wb") as raw, tar_gz(raw) as written:
        for depth in range(1, len(parts)):
            written.tar.addfile(tar_info("/".join(parts[:depth]) + "/", tarfile.DIRTYPE, 0))
        size = binary.stat().st_size
        with binary.open("rb") as handle:
            written.tar.addfile(tar_info("/".join(parts), tarfile.REGTYPE, size), handle)
    return Layer(
        path=out,
        digest=f"sha256:{written.blob.hash.hexdigest()}",
        diff_id=f"sha256:{written.stream.hash.hexdigest()}",
        size=written.blob.size,
    )
