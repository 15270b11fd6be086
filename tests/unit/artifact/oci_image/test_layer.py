"""oci_image.layer: the binary's layer is reproducible, whatever the file times."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path, PurePosixPath

from pmcp_action.artifact.oci_image.layer import write_binary_layer
from tests.unit.artifact.helpers import write


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
