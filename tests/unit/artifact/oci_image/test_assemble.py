"""oci_image.assemble: a binary of the wrong architecture, or needing a newer glibc than
the base has, is refused before anything is pushed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.artifact.oci_image.assemble import check_binary, check_glibc
from pmcp_action.artifact.oci_image.elf import ElfFacts
from pmcp_action.artifact.oci_image.reference import parse_reference
from pmcp_action.errors import DeployError
from tests.unit.artifact.helpers import EM_AARCH64, elf, write

BASE = parse_reference("127.0.0.1:5000/base/debian:bookworm")


def test_wrong_architecture_is_refused(tmp_path: Path) -> None:
    binary = write(tmp_path / "calc", elf(EM_AARCH64), 0o755)
    with pytest.raises(DeployError) as error:
        check_binary(binary, "target/release/calc", "linux/amd64")
    assert error.value.message == (
        "target/release/calc is built for arm64 (aarch64), but the image platform is linux/amd64."
    )
    with pytest.raises(DeployError, match="is not a Linux executable"):
        check_binary(write(tmp_path / "script", "#!/bin/sh\n"), "script", "linux/amd64")


def test_a_binary_needing_a_newer_glibc_than_the_base_is_refused() -> None:
    facts = ElfFacts(62, True, "/lib64/ld-linux-x86-64.so.2", ((2, 34), (2, 39)))
    with pytest.raises(DeployError) as error:
        check_glibc(facts, "target/release/calc", BASE, (2, 36))
    assert error.value.message == (
        "target/release/calc needs GLIBC_2.39, but the base image "
        "127.0.0.1:5000/base/debian:bookworm has glibc 2.36: it would crash at start with "
        '"version `GLIBC_2.39\' not found" after the deploy.'
    )
    assert "musl" in error.value.remediation and "base-image" in error.value.remediation
    check_glibc(facts, "calc", BASE, (2, 39))  # new enough
    static = ElfFacts(62, True, "", ())
    check_glibc(static, "calc", BASE, None)  # static: any base
    with pytest.raises(DeployError, match="has no glibc"):
        check_glibc(facts, "calc", BASE, None)
