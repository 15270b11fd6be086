"""Checking the bootstrap's bytes: ELF machine, foreign formats, scripts, text, zips."""

from __future__ import annotations

import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..ci.base import Platform
from ..errors import ConfigError
from .build import CARGO_LAMBDA_FLAG
from .package import sha256_file

__all__ = [
    "HEAD_BYTES",
    "check_architecture",
    "check_bootstrap_file",
    "inspect_head",
    "is_zip",
]

#: How much of a file the format checks read.
HEAD_BYTES = 4096

_EM_BY_ARCH: Mapping[str, int] = {"arm64": 183, "x86_64": 62}
_ELF_MACHINE_NAMES: Mapping[int, str] = {
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


def check_architecture(architecture: str) -> None:
    if architecture not in _EM_BY_ARCH:
        raise ConfigError(
            f"Unknown Lambda architecture {architecture!r}.",
            remediation="Use arm64 (the default, as cargo-pmcp) or x86_64.",
        )


def check_bootstrap_file(path: Path, label: str, architecture: str, console: Platform) -> str:
    """Check the binary (format, machine, mode); return its sha256."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    inspect_head(head, label, architecture, console)
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o111:
        console.warning(
            f"{label} is not executable on disk (mode {mode:04o}). The deployment zip stores "
            "it as 0755, but check it is the built binary (`chmod +x` it if you upload it "
            "yourself).",
            title="Lambda artifact",
        )
    return sha256_file(path)


def inspect_head(head: bytes, label: str, architecture: str, console: Platform) -> None:
    if not head:
        raise ConfigError(f"{label} is empty.", remediation=_rebuild_hint(architecture))
    if head.startswith(b"\x7fELF"):
        _check_elf_machine(head, label, architecture)
        return
    if head.startswith(b"#!"):
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
        console.warning(
            f"{label} is a script ({first}), not an ELF binary. Lambda runs it only if its "
            "interpreter exists on provided.al2023 and what it starts is in the package.",
            title="Lambda artifact",
        )
        return
    for magic, kind in _FOREIGN_FORMATS:
        if head.startswith(magic):
            raise ConfigError(
                f"{label} is a {kind}, not a Linux ELF binary; Lambda (provided.al2023) "
                "cannot run it.",
                remediation=_rebuild_hint(architecture),
            )
    if _looks_like_text(head):
        start = head[:60].decode("utf-8", "replace")
        raise ConfigError(
            f"{label} is a text file, not a Linux executable; Lambda would fail to start it "
            f"(Runtime.InvalidEntrypoint). It begins with {start!r}.",
            remediation=_rebuild_hint(architecture),
        )
    console.warning(
        f"{label} is not an ELF binary (it starts with bytes {head[:4].hex()}); Lambda on "
        "provided.al2023 needs a Linux executable named bootstrap.",
        title="Lambda artifact",
    )


def _check_elf_machine(head: bytes, label: str, architecture: str) -> None:
    if len(head) < 20 or head[5] not in (1, 2):
        raise ConfigError(
            f"{label} has a truncated or malformed ELF header.",
            remediation=_rebuild_hint(architecture),
        )
    machine = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
    expected = _EM_BY_ARCH[architecture]
    if machine == expected:
        return
    built_for = _ELF_MACHINE_NAMES.get(machine, "another CPU")
    if machine == _EM_BY_ARCH["x86_64"]:
        fix = (
            "Rebuild for arm64 with `cargo lambda build --release --arm64`, or deploy it as "
            "x86_64 by setting the architecture to x86_64."
        )
    elif machine == _EM_BY_ARCH["arm64"]:
        fix = (
            "Rebuild without --arm64, i.e. `cargo lambda build --release --x86-64`, or set the "
            "architecture to arm64 (the default, as cargo-pmcp)."
        )
    else:
        fix = _rebuild_hint(architecture)
    raise ConfigError(
        f"{label} is an ELF binary for {built_for} (e_machine {machine}), but the Lambda "
        f"architecture is {architecture} (e_machine {expected}).",
        remediation=fix,
    )


def _rebuild_hint(architecture: str) -> str:
    return (
        "Build the Lambda binary with "
        f"`cargo lambda build --release {CARGO_LAMBDA_FLAG[architecture]}` and point "
        "`artifact` at target/lambda/<bin>/bootstrap (or leave it unset)."
    )


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


def is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) in _ZIP_MAGICS
