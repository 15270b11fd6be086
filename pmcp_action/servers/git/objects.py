"""A git repository's objects, read without git: loose objects, packs and their deltas.

The action's image has no git, and ``servers --changed-since`` needs only commits and
trees, so the object database is read here directly (the formats are git's documented
on-disk formats):

- a loose object is ``objects/<2 hex>/<38 hex>``, zlib-compressed ``"<type> <size>\\0"`` +
  content;
- a pack is ``objects/pack/pack-*.pack`` with its index ``.idx`` (version 2: a 256-entry
  fan-out table, the sorted object names, CRCs, 4-byte offsets, then 8-byte offsets for
  packs over 2 GiB); an entry is a type-and-size header, then zlib data, or a delta against
  another entry (by negative offset, ``OFS_DELTA``) or another object (by name,
  ``REF_DELTA``);
- ``objects/info/alternates`` names further object directories (a clone made with
  ``--shared`` or ``--reference``).

Only SHA-1 repositories are read; a SHA-256 one is refused by :mod:`.repository`.
"""

from __future__ import annotations

import bisect
import mmap
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from ...errors import PmcpActionError

__all__ = ["GitError", "ObjectStore"]

#: Pack entry types (the 3 bits after the first header bit).
_COMMIT, _TREE, _BLOB, _TAG, _OFS_DELTA, _REF_DELTA = 1, 2, 3, 4, 6, 7
_TYPE_NAMES = {_COMMIT: "commit", _TREE: "tree", _BLOB: "blob", _TAG: "tag"}
_IDX_MAGIC = b"\377tOc"
#: How many delta bases a read keeps, so a chain of deltas is not decoded again and again.
_BASE_CACHE = 512


class GitError(PmcpActionError):
    """The git history cannot be read as asked (a ref missing, a shallow or broken clone)."""

    title = "Git history unavailable"


def _corrupt(where: Path, what: str) -> GitError:
    return GitError(
        f"{where} is not a readable git object file: {what}.",
        remediation="Check out the repository again (actions/checkout, or git clone).",
    )


@dataclass(frozen=True)
class _PackIndex:
    """One pack's index: object names (sorted, raw bytes) and their offsets in the pack."""

    pack: Path
    names: list[bytes]
    offsets: list[int]

    @classmethod
    def read(cls, idx: Path) -> _PackIndex:
        data = idx.read_bytes()
        if data[:4] != _IDX_MAGIC or struct.unpack(">I", data[4:8])[0] != 2:
            raise _corrupt(idx, "not a version 2 pack index")
        count = struct.unpack(">I", data[8 + 255 * 4 : 8 + 256 * 4])[0]
        names_at = 8 + 256 * 4
        names = [data[names_at + 20 * i : names_at + 20 * (i + 1)] for i in range(count)]
        small_at = names_at + 20 * count + 4 * count  # past the names and the CRCs
        large_at = small_at + 4 * count
        offsets: list[int] = []
        for i in range(count):
            (offset,) = struct.unpack(">I", data[small_at + 4 * i : small_at + 4 * (i + 1)])
            if offset & 0x80000000:
                at = large_at + 8 * (offset & 0x7FFFFFFF)
                (offset,) = struct.unpack(">Q", data[at : at + 8])
            offsets.append(offset)
        return cls(idx.with_suffix(".pack"), names, offsets)

    def offset_of(self, name: bytes) -> int | None:
        at = bisect.bisect_left(self.names, name)
        if at < len(self.names) and self.names[at] == name:
            return self.offsets[at]
        return None

    def with_prefix(self, prefix: str) -> list[str]:
        """Names starting with the hex ``prefix`` (for an abbreviated object name)."""
        low = bytes.fromhex(prefix.ljust(40, "0")[:40])
        found: list[str] = []
        for name in self.names[bisect.bisect_left(self.names, low) :]:
            text = name.hex()
            if not text.startswith(prefix):
                break
            found.append(text)
        return found


class _Pack:
    """One pack file, mapped into memory, and its index."""

    def __init__(self, index: _PackIndex) -> None:
        self.index = index
        with index.pack.open("rb") as handle:
            self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if self.data[:4] != b"PACK":
            raise _corrupt(index.pack, "no PACK signature")

    def close(self) -> None:
        self.data.close()

    def inflate(self, at: int, size: int) -> bytes:
        """The ``size`` bytes of zlib data starting at ``at`` (its compressed length is not
        recorded: read on until the stream ends)."""
        decompressor = zlib.decompressobj()
        out = bytearray()
        step = size + 4096
        while len(out) < size and not decompressor.eof:
            chunk = self.data[at : at + step]
            if not chunk:
                break
            at += len(chunk)
            try:
                out += decompressor.decompress(chunk)
            except zlib.error as exc:
                raise _corrupt(self.index.pack, str(exc)) from exc
        if len(out) != size:
            raise _corrupt(self.index.pack, "an entry inflates to the wrong size")
        return bytes(out)

    def entry(self, at: int) -> tuple[int, int, int, int | bytes | None]:
        """(type, size, where the data starts, the delta base: an offset, a name or None)."""
        byte = self.data[at]
        kind = (byte >> 4) & 0x7
        size = byte & 0x0F
        shift = 4
        at += 1
        while byte & 0x80:
            byte = self.data[at]
            size |= (byte & 0x7F) << shift
            shift += 7
            at += 1
        base: int | bytes | None = None
        if kind == _OFS_DELTA:
            byte = self.data[at]
            at += 1
            back = byte & 0x7F
            while byte & 0x80:
                byte = self.data[at]
                at += 1
                back = ((back + 1) << 7) | (byte & 0x7F)
            base = back
        elif kind == _REF_DELTA:
            base = bytes(self.data[at : at + 20])
            at += 20
        return kind, size, at, base


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """The object a git delta makes of ``base`` (copy and insert instructions)."""
    base_size, at = _varint(delta, 0)
    size, at = _varint(delta, at)
    if base_size != len(base):
        raise ValueError("delta base size mismatch")
    out = bytearray()
    while at < len(delta):
        op = delta[at]
        at += 1
        if op & 0x80:
            offset = length = 0
            for bit in range(4):
                if op & (1 << bit):
                    offset |= delta[at] << (8 * bit)
                    at += 1
            for bit in range(3):
                if op & (1 << (4 + bit)):
                    length |= delta[at] << (8 * bit)
                    at += 1
            out += base[offset : offset + (length or 0x10000)]
        elif op:
            out += delta[at : at + op]
            at += op
        else:
            raise ValueError("delta opcode 0 is reserved")
    if len(out) != size:
        raise ValueError("delta result size mismatch")
    return bytes(out)


class ObjectStore:
    """Reads objects by name from one or more object directories."""

    def __init__(self, objects_dir: Path) -> None:
        self.directories = self._with_alternates(objects_dir)
        self._packs: list[_Pack] | None = None
        self._bases: dict[tuple[int, int], tuple[int, bytes]] = {}

    @staticmethod
    def _with_alternates(first: Path) -> list[Path]:
        found: list[Path] = []
        pending = [first]
        while pending:
            directory = pending.pop(0).resolve()
            if directory in found or not directory.is_dir():
                continue
            found.append(directory)
            alternates = directory / "info" / "alternates"
            if alternates.is_file():
                for line in alternates.read_text(encoding="utf-8", errors="replace").splitlines():
                    line = line.strip()
                    if line and not line.startswith("#"):
                        pending.append(
                            directory / line if not Path(line).is_absolute() else Path(line)
                        )
        return found

    @property
    def packs(self) -> list[_Pack]:
        if self._packs is None:
            self._packs = [
                _Pack(_PackIndex.read(idx))
                for directory in self.directories
                for idx in sorted((directory / "pack").glob("pack-*.idx"))
                if idx.with_suffix(".pack").is_file()
            ]
        return self._packs

    def close(self) -> None:
        for pack in self._packs or []:
            pack.close()
        self._packs = None

    def _loose(self, name: str) -> tuple[str, bytes] | None:
        for directory in self.directories:
            path = directory / name[:2] / name[2:]
            if path.is_file():
                try:
                    raw = zlib.decompress(path.read_bytes())
                except zlib.error as exc:
                    raise _corrupt(path, str(exc)) from exc
                header, _, content = raw.partition(b"\0")
                kind, _, _size = header.decode("ascii", "replace").partition(" ")
                return kind, content
        return None

    def _packed(self, pack_no: int, at: int) -> tuple[int, bytes]:
        """(type, content) of the entry at ``at`` in pack ``pack_no``, deltas applied."""
        cached = self._bases.get((pack_no, at))
        if cached is not None:
            return cached
        pack = self.packs[pack_no]
        kind, size, data_at, base = pack.entry(at)
        data = pack.inflate(data_at, size)
        if kind == _OFS_DELTA:
            assert isinstance(base, int)
            base_kind, base_data = self._packed(pack_no, at - base)
            kind, data = base_kind, self._delta(pack, base_data, data)
        elif kind == _REF_DELTA:
            assert isinstance(base, bytes)
            base_kind_name, base_data = self.read(base.hex())
            kind = next(k for k, v in _TYPE_NAMES.items() if v == base_kind_name)
            data = self._delta(pack, base_data, data)
        if len(self._bases) >= _BASE_CACHE:
            self._bases.pop(next(iter(self._bases)))
        self._bases[(pack_no, at)] = (kind, data)
        return kind, data

    @staticmethod
    def _delta(pack: _Pack, base: bytes, delta: bytes) -> bytes:
        try:
            return apply_delta(base, delta)
        except (ValueError, IndexError) as exc:
            raise _corrupt(pack.index.pack, f"a delta does not apply ({exc})") from exc

    def find(self, name: str) -> tuple[str, bytes] | None:
        """(type, content) of the object ``name`` (40 hex), or None when it is not here."""
        loose = self._loose(name)
        if loose is not None:
            return loose
        raw = bytes.fromhex(name)
        for number, pack in enumerate(self.packs):
            offset = pack.index.offset_of(raw)
            if offset is not None:
                kind, data = self._packed(number, offset)
                return _TYPE_NAMES.get(kind, "unknown"), data
        return None

    def read(self, name: str) -> tuple[str, bytes]:
        found = self.find(name)
        if found is None:
            raise GitError(
                f"Object {name} is not in this clone.",
                remediation="Fetch the whole history: actions/checkout with `fetch-depth: 0` "
                "(GitLab: GIT_DEPTH: 0), and no partial-clone filter.",
            )
        return found

    def with_prefix(self, prefix: str) -> set[str]:
        """Every object name that starts with the hex ``prefix`` (4 or more digits)."""
        found: set[str] = set()
        for directory in self.directories:
            folder = directory / prefix[:2]
            if folder.is_dir():
                found.update(
                    prefix[:2] + entry.name
                    for entry in folder.iterdir()
                    if (prefix[:2] + entry.name).startswith(prefix)
                )
        for pack in self.packs:
            found.update(pack.index.with_prefix(prefix))
        return found
