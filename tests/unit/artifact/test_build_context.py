"""A build context packed as docker would send it, reproducibly, refusing links out."""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path

import pytest

from pmcp_action.artifact.build_context import pack_context
from pmcp_action.artifact.common import MIB
from pmcp_action.deadline import Deadline
from pmcp_action.errors import ConfigError, TimeoutExceededError


def _project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.rs").write_text("fn main() {}\n")
    (root / "Cargo.toml").write_text('[package]\nname = "calc"\n')
    (root / "Dockerfile").write_text("FROM scratch\nCOPY . /app\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    (root / "target" / "release").mkdir(parents=True)
    (root / "target" / "release" / "calc").write_bytes(b"\x7fELF" * 100)
    (root / "target" / "release" / "keep.txt").write_text("taken back in\n")
    (root / "notes.log").write_text("left out\n")
    (root / ".dockerignore").write_text("target/\n*.log\nDockerfile\n!target/release/keep.txt\n")
    return root


def _names(path: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: m for m in tar.getmembers()}


def test_the_context_honours_dockerignore_and_its_exceptions(tmp_path: Path) -> None:
    root = _project(tmp_path / "calc")
    os.symlink("src/main.rs", root / "main-link.rs")
    packed = pack_context(
        root, tmp_path / "c.tar.gz", dockerfile="Dockerfile", deadline=Deadline(60)
    )
    members = _names(packed.path)
    assert sorted(members) == [
        ".dockerignore",
        "Cargo.toml",
        "Dockerfile",  # excluded, still sent: the builder needs it
        "main-link.rs",
        "run.sh",
        "src",
        "src/main.rs",
        "target",
        "target/release",
        "target/release/keep.txt",
    ]
    assert members["main-link.rs"].issym() and members["main-link.rs"].linkname == "src/main.rs"
    assert members["run.sh"].mode == 0o755 and members["Cargo.toml"].mode == 0o644
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {
        (0, 0, 0, "", "")
    }
    assert packed.files == 6 and packed.size == packed.path.stat().st_size
    assert gzip.decompress(packed.path.read_bytes())[:100].rstrip(b"\0") == b".dockerignore"


def test_a_dockerfile_in_a_left_out_directory_is_still_sent(tmp_path: Path) -> None:
    root = _project(tmp_path / "calc")
    (root / "docker").mkdir()
    (root / "docker" / "Dockerfile").write_text("FROM scratch\n")
    (root / "docker" / "other").write_text("not sent\n")
    (root / ".dockerignore").write_text("docker/\ntarget/\n")
    packed = pack_context(
        root, tmp_path / "c.tar.gz", dockerfile="docker/Dockerfile", deadline=Deadline(60)
    )
    members = _names(packed.path)
    assert "docker/Dockerfile" in members and "docker/other" not in members
    assert packed.dockerfile == "docker/Dockerfile"


def test_the_same_files_give_the_same_bytes(tmp_path: Path) -> None:
    root = _project(tmp_path / "calc")
    first = pack_context(
        root, tmp_path / "1.tar.gz", dockerfile="Dockerfile", deadline=Deadline(60)
    )
    os.utime(root / "src" / "main.rs", (1, 1))  # another checkout: other times, same files
    second = pack_context(
        root, tmp_path / "2.tar.gz", dockerfile="Dockerfile", deadline=Deadline(60)
    )
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.digest == second.digest and first.digest.startswith("sha256:")


def test_a_symlink_out_of_the_context_is_refused_by_name(tmp_path: Path) -> None:
    root = _project(tmp_path / "calc")
    (tmp_path / "credentials").write_text("secret")
    os.symlink("../../credentials", root / "src" / "creds")
    with pytest.raises(ConfigError) as caught:
        pack_context(root, tmp_path / "c.tar.gz", dockerfile="Dockerfile", deadline=Deadline(60))
    assert caught.value.message.startswith(
        "src/creds in the build context is a symlink to ../../credentials, outside the build "
        f"context {root}"
    )
    assert ".dockerignore" in caught.value.remediation


def test_a_fifo_is_refused_not_opened(tmp_path: Path) -> None:
    root = _project(tmp_path / "calc")
    os.mkfifo(root / "pipe")
    with pytest.raises(ConfigError, match=r"^pipe in the build context is a FIFO"):
        pack_context(root, tmp_path / "c.tar.gz", dockerfile="Dockerfile", deadline=Deadline(60))


def test_a_context_over_the_limit_names_its_largest_entries(tmp_path: Path) -> None:
    root = _project(tmp_path / "calc")
    (root / ".dockerignore").write_text("")
    (root / "target" / "release" / "calc").write_bytes(b"\0" * (2 * MIB))
    with pytest.raises(ConfigError) as caught:
        pack_context(
            root, tmp_path / "c.tar.gz", dockerfile="Dockerfile", deadline=Deadline(60), limit=MIB
        )
    assert "holds 2.0 MiB of files, more than the 1.0 MiB" in caught.value.message
    assert "; the largest: target/ (2.0 MiB), " in caught.value.message
    assert "target/" in caught.value.remediation
    assert not (tmp_path / "c.tar.gz").exists()


@pytest.mark.parametrize("dockerfile", ["docker/Dockerfile", "../Dockerfile", "/etc/Dockerfile"])
def test_the_dockerfile_must_be_in_the_context(tmp_path: Path, dockerfile: str) -> None:
    root = _project(tmp_path / "calc")
    with pytest.raises(ConfigError, match="Dockerfile"):
        pack_context(root, tmp_path / "c.tar.gz", dockerfile=dockerfile, deadline=Deadline(60))


def test_packing_stops_at_the_deadline(tmp_path: Path) -> None:
    root = _project(tmp_path / "calc")
    with pytest.raises(TimeoutExceededError):
        pack_context(root, tmp_path / "c.tar.gz", dockerfile="Dockerfile", deadline=Deadline(0))
