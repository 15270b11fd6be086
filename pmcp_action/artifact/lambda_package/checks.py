"""Checking a bootstrap for Lambda: the architecture, the binary's format and machine,
its mode, each verdict worded with the ``cargo lambda build`` that fixes it.

A verdict describes the file (:func:`~pmcp_action.artifact.binary.describe`) and
never quotes it: ``artifact`` pointed at a credentials file must not put its
content into an annotation, the step summary or the report.
"""

from __future__ import annotations

import stat

from ...ci.base import Platform
from ...deadline import Deadline
from ...errors import ConfigError
from ..binary import ELF_MACHINE_NAMES, ELF_MACHINES, classify_head, describe, read_head
from ..digest import sha256_file
from .build import CARGO_LAMBDA_FLAG
from .model import Found

__all__ = ["check_architecture", "check_bootstrap_file", "inspect_head"]


def check_architecture(architecture: str) -> None:
    if architecture not in ELF_MACHINES:
        raise ConfigError(
            f"Unknown Lambda architecture {architecture!r}.",
            remediation="Use arm64 (the default, as cargo-pmcp) or x86_64.",
        )


def check_bootstrap_file(
    found: Found, architecture: str, console: Platform, deadline: Deadline | None
) -> str:
    """Check the binary (format, machine, mode); return its sha256, read within ``deadline``."""
    path, label = found.path, found.source
    inspect_head(read_head(path, label), label, architecture, console, size=found.size)
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o111:
        console.warning(
            f"{label} is not executable on disk (mode {mode:04o}). The deployment zip stores "
            "it as 0755, but check it is the built binary (`chmod +x` it if you upload it "
            "yourself).",
            title="Lambda artifact",
        )
    return sha256_file(path, label, deadline)


def inspect_head(
    head: bytes, label: str, architecture: str, console: Platform, *, size: int
) -> None:
    """Refuse what Lambda cannot start; warn about what it may not.

    ``head`` is the file's first bytes, ``size`` its whole size.
    """
    found = classify_head(head)
    what = describe(found, size)
    if found.form == "empty":
        raise ConfigError(f"{label} is empty.", remediation=_rebuild_hint(architecture))
    if found.form == "malformed-elf":
        raise ConfigError(
            f"{label} has a truncated or malformed ELF header.",
            remediation=_rebuild_hint(architecture),
        )
    if found.form == "elf":
        _check_elf_machine(found.machine, label, architecture)
        return
    if found.form == "script":
        console.warning(
            f"{label} is {what}, not an ELF binary. Lambda runs it only if its interpreter "
            "exists on provided.al2023 and what it starts is in the package.",
            title="Lambda artifact",
        )
        return
    if found.form == "foreign":
        raise ConfigError(
            f"{label} is {what}, not a Linux ELF binary; Lambda (provided.al2023) cannot run it.",
            remediation=_rebuild_hint(architecture),
        )
    if found.form == "text":
        if found.lfs_pointer:
            raise ConfigError(
                f"{label} is {what}, not a Linux executable. It is a Git LFS pointer: the "
                "checkout did not fetch the file it stands for.",
                remediation="Fetch the file itself: check out with `lfs: true` "
                "(actions/checkout) or run `git lfs pull` before this step. "
                + _rebuild_hint(architecture),
            )
        raise ConfigError(
            f"{label} is {what}, not a Linux executable; Lambda would fail to start it "
            "(Runtime.InvalidEntrypoint).",
            remediation=_rebuild_hint(architecture),
        )
    console.warning(
        f"{label} is {what}, not an ELF binary; Lambda on provided.al2023 needs a Linux "
        "executable named bootstrap.",
        title="Lambda artifact",
    )


def _check_elf_machine(machine: int, label: str, architecture: str) -> None:
    expected = ELF_MACHINES[architecture]
    if machine == expected:
        return
    built_for = ELF_MACHINE_NAMES.get(machine, "another CPU")
    if machine == ELF_MACHINES["x86_64"]:
        fix = (
            "Rebuild for arm64 with `cargo lambda build --release --arm64`, or deploy it as "
            "x86_64 by setting the architecture to x86_64."
        )
    elif machine == ELF_MACHINES["arm64"]:
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
