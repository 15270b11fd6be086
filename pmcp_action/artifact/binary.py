"""What a file's first bytes say it is: ELF (and for which CPU), a script, another
executable format, text, or a zip. Facts only; each kind words its own verdict.

A verdict never carries the file's bytes: :func:`describe` says what the file
is (its type, encoding, lines, size) in words from this module's own tables, so
pointing ``artifact`` at a credentials file cannot put its content in a log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .common import MIB, mib
from .files import open_regular

__all__ = [
    "ELF_MACHINES",
    "ELF_MACHINE_NAMES",
    "HEAD_BYTES",
    "FileType",
    "classify_head",
    "describe",
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
#: ELF ``e_type``; position-independent executables (Rust's default) are ET_DYN.
_ELF_TYPES: Mapping[int, str] = {1: "object file", 2: "executable", 3: "executable", 4: "core dump"}
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
#: Script languages by interpreter name (without a version suffix such as ``3.12``).
_SCRIPT_LANGUAGES: Mapping[str, str] = {
    "sh": "shell",
    "bash": "shell",
    "dash": "shell",
    "zsh": "shell",
    "ksh": "shell",
    "ash": "shell",
    "python": "Python",
    "node": "Node.js",
    "perl": "Perl",
    "ruby": "Ruby",
    "php": "PHP",
}
_INTERPRETER_NAME = re.compile(rb"[a-z]+")
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"

Form = Literal["empty", "elf", "malformed-elf", "script", "foreign", "text", "unknown"]


@dataclass(frozen=True)
class FileType:
    """The verdict on a file's first bytes; nothing in it is copied from them."""

    form: Form
    #: How many bytes the verdict is based on (``len(head)``).
    sample: int = 0
    #: ELF ``e_machine`` and ``e_type`` (form ``elf``).
    machine: int = 0
    elf_type: int = 0
    #: The format's name (``foreign``) or the script's language (``script``; empty
    #: when the interpreter is not one of :data:`_SCRIPT_LANGUAGES`), from this
    #: module's tables.
    detail: str = ""
    #: Lines in the sample (``text``).
    lines: int = 0
    #: The sample is a Git LFS pointer (``text``): the checkout did not fetch the file.
    lfs_pointer: bool = False


def read_head(path: Path, label: str | None = None) -> bytes:
    """The first :data:`HEAD_BYTES` of a regular file (``label`` names it in errors)."""
    with open_regular(path, label) as handle:
        return handle.read(HEAD_BYTES)


def classify_head(head: bytes) -> FileType:
    """Classify a file by its first bytes, ELF first, then scripts, formats and text."""
    sample = len(head)
    if not head:
        return FileType("empty")
    if head.startswith(b"\x7fELF"):
        if len(head) < 20 or head[5] not in (1, 2):
            return FileType("malformed-elf", sample)
        order: Literal["little", "big"] = "little" if head[5] == 1 else "big"
        machine = int.from_bytes(head[18:20], order)
        elf_type = int.from_bytes(head[16:18], order)
        return FileType("elf", sample, machine=machine, elf_type=elf_type)
    if head.startswith(b"#!"):
        return FileType("script", sample, detail=_script_language(head))
    for magic, kind in _FOREIGN_FORMATS:
        if head.startswith(magic):
            return FileType("foreign", sample, detail=kind)
    if _looks_like_text(head):
        lines = head.count(b"\n") + (0 if head.endswith(b"\n") else 1)
        return FileType("text", sample, lines=lines, lfs_pointer=head.startswith(_LFS_POINTER))
    return FileType("unknown", sample)


def describe(found: FileType, size: int) -> str:
    """What the file is, in words: its type, and for text its lines and size.

    ``size`` is the whole file's; lines are counted only when the sample was the
    whole file. Never quotes the file.
    """
    if found.form == "empty":
        return "an empty file"
    if found.form == "elf":
        machine = ELF_MACHINE_NAMES.get(found.machine, f"e_machine {found.machine}")
        return f"an ELF {machine} {_ELF_TYPES.get(found.elf_type, 'file')}"
    if found.form == "malformed-elf":
        return f"a file with a truncated or malformed ELF header ({_size(size)})"
    if found.form == "script":
        kind = f"a {found.detail} script" if found.detail else "a script for an unknown interpreter"
        return f"{kind} ({_size(size)})"
    if found.form == "foreign":
        return f"a {found.detail}"
    if found.form == "text":
        facts = ["UTF-8"]
        if found.sample >= size:
            facts.append(f"{found.lines} line" + ("" if found.lines == 1 else "s"))
        facts.append(_size(size))
        return f"a text file ({', '.join(facts)})"
    return f"a binary file of an unrecognised format ({_size(size)})"


def _size(size: int) -> str:
    if size >= MIB:
        return mib(size)
    return "1 byte" if size == 1 else f"{size} bytes"


def _script_language(head: bytes) -> str:
    """The language a ``#!`` line names, when it is one of :data:`_SCRIPT_LANGUAGES`."""
    words = head[2:].split(b"\n", 1)[0].split()
    if words and words[0].rsplit(b"/", 1)[-1] == b"env":
        words = [w for w in words[1:] if not w.startswith(b"-")]
    if not words:
        return ""
    name = _INTERPRETER_NAME.match(words[0].rsplit(b"/", 1)[-1])
    return _SCRIPT_LANGUAGES.get(name.group().decode("ascii"), "") if name else ""


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
