"""Reproducible ``tar+gzip`` streams: the same entries always give the same bytes.

Reproducible means the bytes depend on the entries only: the caller adds them in a
fixed order with :func:`tar_info` (mtime 0, owner and group 0 with empty names, the
mode it chooses), and the gzip header has no name or time. The tar is deflated in
fixed 256 KiB blocks on two threads (a few blocks in flight) while both digests are
computed (over the tar and over the gzip), so memory stays flat whatever the size.

Used for an OCI image layer (:mod:`.oci_image.layer`) and for a build context
uploaded to a cloud builder (:mod:`.build_context`).
"""

from __future__ import annotations

import hashlib
import struct
import tarfile
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

__all__ = ["GZIP_BLOCK", "GZIP_LEVEL", "BlockGzip", "HashingWriter", "TarGz", "tar_gz", "tar_info"]

#: Fixed, so the same input always compresses to the same bytes.
GZIP_LEVEL = 6
#: The tar is deflated in independent blocks of this size, on :data:`_WORKERS` threads
#: (pigz's scheme: each block ends on a sync flush, so the blocks concatenate into one
#: deflate stream). Fixed too: the bytes depend on it, not on the number of threads.
GZIP_BLOCK = 256 * 1024
_WORKERS = 2
#: gzip header: magic, deflate, no flags, mtime 0, no extra flags, OS "unknown".
_GZIP_HEADER = b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x00\xff"


class HashingWriter:
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


class BlockGzip:
    """A write-only gzip stream compressed block by block on a few threads (zlib leaves
    the GIL), in order, with at most a few blocks in memory."""

    def __init__(self, out: HashingWriter, pool: ThreadPoolExecutor) -> None:
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


@dataclass(frozen=True)
class TarGz:
    """An open reproducible tar stream; the digests are complete once it is closed."""

    tar: tarfile.TarFile
    #: Hashes and counts the compressed bytes (the blob).
    blob: HashingWriter
    #: Hashes and counts the uncompressed tar.
    stream: HashingWriter


@contextmanager
def tar_gz(raw: BinaryIO, *, tar_format: int = tarfile.USTAR_FORMAT) -> Iterator[TarGz]:
    """A tar (``tar_format``: USTAR, or PAX for long names) gzipped into ``raw``."""
    with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="gzip") as pool:
        blob = HashingWriter(raw)
        zipped = BlockGzip(blob, pool)
        stream = HashingWriter(zipped)
        with tarfile.open(  # type: ignore[call-overload]
            fileobj=stream, mode="w|", format=tar_format, bufsize=256 * 1024
        ) as tar:
            yield TarGz(tar=tar, blob=blob, stream=stream)
        zipped.close()


def tar_info(
    name: str, kind: bytes, size: int, mode: int = 0o755, link: str = ""
) -> tarfile.TarInfo:
    """A header with nothing that varies between machines: mtime 0, owner 0, no names."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.mode = mode
    info.linkname = link
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
