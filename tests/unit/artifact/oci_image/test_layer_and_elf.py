from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path, PurePosixPath

import pytest

from pmcp_action.artifact.oci_image.assemble import check_binary, check_glibc
from pmcp_action.artifact.oci_image.elf import ElfFacts, read_elf_facts
from pmcp_action.artifact.oci_image.layer import GZIP_BLOCK, write_binary_layer
from pmcp_action.artifact.oci_image.reference import parse_reference
from pmcp_action.errors import DeployError
from tests.unit.artifact.helpers import EM_AARCH64, elf, write
from tests.unit.artifact.oci_image.helpers import HOST_BINARY

BASE = parse_reference("127.0.0.1:5000/base/debian:bookworm")


def test_the_layer_is_reproducible_whatever_the_file_times(tmp_path: Path) -> None:
    binary = write(tmp_path / "calc", b"\x7fELF" + os.urandom(300_000), 0o700)
    one = write_binary_layer(binary, PurePosixPath("/usr/local/bin/calc"), tmp_path / "1.tgz")
    os.utime(binary, (1_000_000, 2_000_000))
    two = write_binary_layer(binary, PurePosixPath("/usr/local/bin/calc"), tmp_path / "2.tgz")
    assert (one.digest, one.diff_id, one.size) == (two.digest, two.diff_id, two.size)
    blob = (tmp_path / "1.tgz").read_bytes()
    assert one.digest == "sha256:" + hashlib.sha256(blob).hexdigest()
    tar_bytes = gzip.decompress(blob)
    assert one.diff_id == "sha256:" + hashlib.sha256(tar_bytes).hexdigest()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["usr", "usr/local", "usr/local/bin", "usr/local/bin/calc"]
    assert {(m.mode, m.uid, m.gid, m.mtime, m.uname) for m in members} == {(0o755, 0, 0, 0, "")}


def test_elf_facts_of_a_real_binary_and_libc() -> None:
    with HOST_BINARY.open("rb") as handle:
        facts = read_elf_facts(handle)
    assert facts.machine == 62 and facts.dynamic and not facts.musl
    assert facts.glibc and facts.glibc[-1] >= (2, 2)
    with open("/usr/lib/x86_64-linux-gnu/libc.so.6", "rb") as handle:
        assert read_elf_facts(handle).glibc[-1] == (2, 36)  # bookworm's


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


@pytest.mark.parametrize("size", [0, 1, GZIP_BLOCK, 2 * GZIP_BLOCK + 7])
def test_block_gzip_is_one_valid_gzip_member(size: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from pmcp_action.artifact.tarball import BlockGzip, HashingWriter

    data = os.urandom(size // 2) + b"a" * (size - size // 2)
    out = io.BytesIO()
    with ThreadPoolExecutor(2) as pool:
        stream = BlockGzip(HashingWriter(out), pool)
        for start in range(0, size, 100_000):
            stream.write(data[start : start + 100_000])
        stream.close()
    assert gzip.decompress(out.getvalue()) == data
