"""What a Linux binary needs from the image it runs in: its CPU, whether it is linked
dynamically, and the ``GLIBC_x.y`` symbol versions it requires (``.gnu.version_r``) or,
for a ``libc.so.6``, the versions it provides (``.gnu.version_d``).

Only the ELF headers and the few sections named are read (seek and read), so a
50 MB binary costs a few kilobytes of I/O.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["ElfFacts", "glibc_version", "newest", "read_elf_facts"]

_PT_INTERP = 3
_PT_DYNAMIC = 2
_SHT_GNU_VERDEF = 0x6FFFFFFD
_SHT_GNU_VERNEED = 0x6FFFFFFE
_GLIBC = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.\d+)?$")


@dataclass(frozen=True)
class ElfFacts:
    machine: int
    #: ELFCLASS64.
    is_64: bool
    #: The program interpreter (``/lib64/ld-linux-x86-64.so.2``), "" for a static binary.
    interpreter: str
    #: The ``GLIBC_x.y`` versions required (executables) or defined (``libc.so.6``).
    glibc: tuple[tuple[int, int], ...]

    @property
    def dynamic(self) -> bool:
        return bool(self.interpreter)

    @property
    def musl(self) -> bool:
        return "musl" in self.interpreter


def glibc_version(name: str) -> tuple[int, int] | None:
    match = _GLIBC.match(name)
    return (int(match[1]), int(match[2])) if match else None


def newest(versions: tuple[tuple[int, int], ...]) -> tuple[int, int] | None:
    return max(versions) if versions else None


class _Reader:
    def __init__(self, handle: BinaryIO, little: bool, is_64: bool) -> None:
        self.handle = handle
        self.order = "<" if little else ">"
        self.is_64 = is_64

    def read(self, offset: int, size: int) -> bytes:
        self.handle.seek(offset)
        data = self.handle.read(size)
        if len(data) != size:
            raise ValueError("the ELF file is truncated")
        return data

    def unpack(self, fmt: str, offset: int) -> tuple[int, ...]:
        fmt = self.order + fmt
        return struct.unpack(fmt, self.read(offset, struct.calcsize(fmt)))

    def string(self, table: bytes, offset: int) -> str:
        end = table.find(b"\x00", offset)
        return table[offset : end if end >= 0 else len(table)].decode("ascii", "replace")


def read_elf_facts(handle: BinaryIO) -> ElfFacts:
    """Read the facts from an open ELF file; :class:`ValueError` when it is not one."""
    ident = handle.read(16)
    if len(ident) < 16 or not ident.startswith(b"\x7fELF") or ident[4] not in (1, 2):
        raise ValueError("not an ELF file")
    is_64 = ident[4] == 2
    r = _Reader(handle, ident[5] != 2, is_64)
    if is_64:
        (machine,) = r.unpack("H", 18)
        phoff, shoff = r.unpack("QQ", 32)
        phentsize, phnum, shentsize, shnum = r.unpack("HHHH", 54)
    else:
        (machine,) = r.unpack("H", 18)
        phoff, shoff = r.unpack("II", 28)
        phentsize, phnum, shentsize, shnum = r.unpack("HHHH", 42)
    interpreter = ""
    for index in range(phnum):
        base = phoff + index * phentsize
        if is_64:
            p_type, _flags, p_offset, _va, _pa, p_filesz = r.unpack("IIQQQQ", base)
        else:
            p_type, p_offset, _va, _pa, p_filesz = r.unpack("IIIII", base)
        if p_type == _PT_INTERP and 0 < p_filesz < 4096:
            interpreter = r.read(p_offset, p_filesz).rstrip(b"\x00").decode("ascii", "replace")
    sections = []
    for index in range(shnum):
        base = shoff + index * shentsize
        if is_64:
            _name, sh_type, _fl, _addr, sh_offset, sh_size, sh_link, sh_info = r.unpack(
                "IIQQQQII", base
            )
        else:
            _name, sh_type, _fl, _addr, sh_offset, sh_size, sh_link, sh_info = r.unpack(
                "IIIIIIII", base
            )
        sections.append((sh_type, sh_offset, sh_size, sh_link, sh_info))
    names: list[str] = []
    for sh_type, sh_offset, _size, sh_link, sh_info in sections:
        if sh_type not in (_SHT_GNU_VERNEED, _SHT_GNU_VERDEF) or sh_link >= len(sections):
            continue
        _t, str_offset, str_size, _l, _i = sections[sh_link]
        if str_size > 16 * 1024 * 1024:
            raise ValueError("the ELF string table is implausibly large")
        strings = r.read(str_offset, str_size)
        if sh_type == _SHT_GNU_VERNEED:
            names += _verneed_names(r, sh_offset, sh_info, strings)
        else:
            names += _verdef_names(r, sh_offset, sh_info, strings)
    versions = sorted({v for v in map(glibc_version, names) if v is not None})
    return ElfFacts(machine=machine, is_64=is_64, interpreter=interpreter, glibc=tuple(versions))


def _verneed_names(r: _Reader, offset: int, count: int, strings: bytes) -> list[str]:
    names = []
    for _ in range(min(count, 1024)):
        _version, cnt, _file, aux, nxt = r.unpack("HHIII", offset)
        aux_offset = offset + aux
        for _ in range(min(cnt, 4096)):
            _hash, _flags, _other, name, aux_next = r.unpack("IHHII", aux_offset)
            names.append(r.string(strings, name))
            if not aux_next:
                break
            aux_offset += aux_next
        if not nxt:
            break
        offset += nxt
    return names


def _verdef_names(r: _Reader, offset: int, count: int, strings: bytes) -> list[str]:
    names = []
    for _ in range(min(count, 4096)):
        _version, _flags, _ndx, cnt, _hash, aux, nxt = r.unpack("HHHHIII", offset)
        if cnt:
            name, _aux_next = r.unpack("II", offset + aux)
            names.append(r.string(strings, name))
        if not nxt:
            break
        offset += nxt
    return names
