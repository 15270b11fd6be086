"""The one layer an assembled image adds: the binary, as a reproducible ``tar+gzip``.

Reproducible means the bytes depend on the binary and its path only: entries
sorted, parents first, mtime 0, owner and group 0 with empty names, modes 0755,
PAX-free USTAR headers, and a gzip header without name or time. The same binary
therefore gives the same layer digest, and an unchanged redeploy uploads nothing.

The layer is streamed into a file: the binary is read in chunks while both digests
are computed (``diff_id`` over the tar, the blob digest over the gzip), and deflated
in fixed 256 KiB blocks on two threads (a few blocks in flight), so memory stays flat
whatever the binary's size.
"""

from __future__ import annotations

import hashlib
import struct
import tarfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["GZIP_LEVEL", "Layer", "write_binary_layer"]

#: Fixed, so the same input always compresses to the same bytes.
GZIP_LEVEL = 6
#: The tar is deflated in independent blocks of this size, on :data:`_WORKERS` threads
#: (pigz's scheme: each block ends on a sync flush, so the blocks concatenate into one
#: deflate stream). Fixed too: the bytes depend on it, not on the number of threads.
GZIP_BLOCK = 256 * 1024
_WORKERS = 2
#: gzip header: magic, deflate, no flags, mtime 0, no extra flags, OS "unknown".
_GZIP_HEADER = b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x00\xff"


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


def _deflate(block: bytes, last: bool) -> bytes:
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(block) + compressor.flush(
        zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
    )


class _BlockGzip:
    """A write-only gzip stream compressed block by block on a few threads (zlib leaves
    the GIL), in order, with at most a few blocks in memory."""

    def __init__(self, out: _HashingWriter, pool: ThreadPoolExecutor) -> None:
        self.out = out
        self.pool = pool
        self.pending: deque[Future[bytes]] = deque()
        self.buffer = bytearray()
        self.crc = 0
        self.size = 0
        out.write(_GZIP_HEADER)

    def write(self, data: bytes) -> int:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.buffer += data
        while len(self.buffer) >= GZIP_BLOCK:
            self._submit(bytes(self.buffer[:GZIP_BLOCK]), last=False)
            del self.buffer[:GZIP_BLOCK]
        return len(data)

    def _submit(self, block: bytes, *, last: bool) -> None:
        self.pending.append(self.pool.submit(_deflate, block, last))
        while len(self.pending) > _WORKERS:
            self.out.write(self.pending.popleft().result())

    def flush(self) -> None:
        """Nothing to do: blocks are written as they complete."""

    def close(self) -> None:
        self._submit(bytes(self.buffer), last=True)
        self.buffer.clear()
        while self.pending:
            self.out.write(self.pending.popleft().result())
        self.out.write(struct.pack("<II", self.crc & 0xFFFFFFFF, self.size & 0xFFFFFFFF))


def write_binary_layer(binary: Path, image_path: PurePosixPath, out: Path) -> Layer:
    """Write ``binary`` as ``image_path`` (absolute, e.g. ``/usr/local/bin/calc``) into ``out``."""
    parts = image_path.relative_to("/").parts
    with (
        out.open("wb") as raw,
        ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="gzip") as pool,
    ):
        blob = _HashingWriter(raw)
        zipped = _BlockGzip(blob, pool)
        tar_stream = _HashingWriter(zipped)
        with tarfile.open(  # type: ignore[call-overload]
            fileobj=tar_stream,
            mode="w|",
            format=tarfile.USTAR_FORMAT,
            bufsize=256 * 1024,
        ) as tar:
            for depth in range(1, len(parts)):
                tar.addfile(_info("/".join(parts[:depth]) + "/", tarfile.DIRTYPE, 0))
            size = binary.stat().st_size
            with binary.open("rb") as handle:
                tar.addfile(_info("/".join(parts), tarfile.REGTYPE, size), handle)
        zipped.close()
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
