"""What a file's first bytes say it is: ELF (and for which CPU), a script, another
executable format, text, or a zip. Facts only; each kind words its own verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .files import open_regular

__all__ = [
    "ELF_MACHINES",
    "ELF_MACHINE_NAMES",
    "HEAD_BYTES",
    "FileType",
    "classify_head",
    "is_zip",
    "read_head",
]

#: How much of a file the format checks read.
HEAD_BYTES = 4096

#: ELF ``e_machine`` by architecture name.
ELF_MACHINES: Mapping[str, int] = {"arm64": 183, "x86_64": 62}
#: Readable names for the ``e_machine`` values one meets in practice.
ELF_MACHINE_NAMES: Mapping[int, str] = {
    3: "x86 (32-bit)",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC 64",
    22: "s390",
    40: "ARM (32-bit)",
    62: "x86_64",
    183: "arm64 (aarch64)",
    243: "RISC-V",
}
_FOREIGN_FORMATS: Sequence[tuple[bytes, str]] = (
    (b"\xcf\xfa\xed\xfe", "macOS (Mach-O) executable"),
    (b"\xce\xfa\xed\xfe", "macOS (Mach-O) executable"),
    (b"\xfe\xed\xfa\xcf", "macOS (Mach-O) executable"),
    (b"\xfe\xed\xfa\xce", "macOS (Mach-O) executable"),
    (b"\xca\xfe\xba\xbe", "macOS universal (Mach-O) binary"),
    (b"MZ", "Windows (PE) executable"),
    (b"\x1f\x8b", "gzip archive"),
    (b"PK", "zip archive"),
)
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

Form = Literal["empty", "elf", "malformed-elf", "script", "foreign", "text", "unknown"]


@dataclass(frozen=True)
class FileType:
    """The verdict on a file's first bytes."""

    form: Form
    #: ELF ``e_machine`` (form ``elf``).
    machine: int = 0
    #: The format's name (``foreign``), the first line (``script``), the first
    #: 60 bytes as text (``text``), or the first 4 bytes in hex (``unknown``).
    detail: str = ""


def read_head(path: Path, label: str | None = None) -> bytes:
    """The first :data:`HEAD_BYTES` of a regular file (``label`` names it in errors)."""
    with open_regular(path, label) as handle:
        return handle.read(HEAD_BYTES)


def classify_head(head: bytes) -> FileType:
    """Classify a file by its first bytes, ELF first, then scripts, formats and text."""
    if not head:
        return FileType("empty")
    if head.startswith(b"\x7fELF"):
        if len(head) < 20 or head[5] not in (1, 2):
            return FileType("malformed-elf")
        machine = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
        return FileType("elf", machine=machine)
    if head.startswith(b"#!"):
        return FileType("script", detail=head.split(b"\n", 1)[0].decode("utf-8", "replace"))
    for magic, kind in _FOREIGN_FORMATS:
        if head.startswith(magic):
            return FileType("foreign", detail=kind)
    if _looks_like_text(head):
        return FileType("text", detail=head[:60].decode("utf-8", "replace"))
    return FileType("unknown", detail=head[:4].hex())


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for cut in range(4):  # the sample may end inside a multi-byte character
        try:
            head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


def is_zip(path: Path, label: str | None = None) -> bool:
    with open_regular(path, label) as handle:
        return handle.read(4) in _ZIP_MAGICS
