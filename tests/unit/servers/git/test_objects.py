"""servers.git.objects: git's delta format, and damaged object files named as such."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from pmcp_action.servers.git import GitError
from pmcp_action.servers.git.objects import ObjectStore, apply_delta


def varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def test_a_delta_copies_from_its_base_and_inserts_new_bytes() -> None:
    base = b"0123456789abcdef"
    # copy offset 4, length 6 ("456789"); insert "XY"; copy offset 0, length 2 ("01")
    delta = varint(len(base)) + varint(10)
    delta += bytes([0x80 | 0x01 | 0x10, 4, 6]) + bytes([2]) + b"XY" + bytes([0x80 | 0x10, 2])
    assert apply_delta(base, delta) == b"456789XY01"


def test_a_copy_of_size_zero_means_64_kib() -> None:
    base = bytes(range(256)) * 256  # 64 KiB
    delta = varint(len(base)) + varint(0x10000) + bytes([0x80])
    assert apply_delta(base, delta) == base


@pytest.mark.parametrize(
    ("delta", "why"),
    [
        (varint(3) + varint(1) + b"\x01a", "delta base size mismatch"),
        (varint(16) + varint(5) + b"\x01a", "delta result size mismatch"),
        (varint(16) + varint(1) + b"\x00", "delta opcode 0 is reserved"),
    ],
)
def test_a_broken_delta_is_refused(delta: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        apply_delta(b"0123456789abcdef", delta)


def test_a_damaged_loose_object_is_named(tmp_path: Path) -> None:
    objects = tmp_path / "objects"
    (objects / "ab").mkdir(parents=True)
    (objects / "ab" / ("c" * 38)).write_bytes(b"not zlib")
    with pytest.raises(GitError) as raised:
        ObjectStore(objects).read("ab" + "c" * 38)
    assert raised.value.message.startswith(f"{objects / 'ab' / ('c' * 38)} is not a readable")


def test_a_missing_object_asks_for_the_whole_history(tmp_path: Path) -> None:
    (tmp_path / "objects").mkdir()
    with pytest.raises(GitError) as raised:
        ObjectStore(tmp_path / "objects").read("f" * 40)
    assert raised.value.message == f"Object {'f' * 40} is not in this clone."
    assert "`fetch-depth: 0`" in raised.value.remediation


def test_alternates_add_object_directories(tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "objects"
    (shared / "12").mkdir(parents=True)
    (shared / "12" / ("3" * 38)).write_bytes(zlib.compress(b"blob 2\0hi"))
    own = tmp_path / "own" / "objects"
    (own / "info").mkdir(parents=True)
    (own / "info" / "alternates").write_text("# a comment\n../../shared/objects\n")
    assert ObjectStore(own).read("12" + "3" * 38) == ("blob", b"hi")
