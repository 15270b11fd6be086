"""Reproducible zips: what was measured is what is packaged, within the deadline."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pmcp_action.artifact.archive import file_entry, unsafe_zip_entry, write_zip
from pmcp_action.deadline import Deadline
from pmcp_action.errors import ConfigError, TimeoutExceededError


def test_a_file_that_grows_after_it_was_measured_is_not_packaged(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b"{}")
    entry = file_entry(path, "assets/data.json", 0o644)
    path.write_bytes(b'{"grown": true}')
    dest = tmp_path / "out" / "deployment.zip"

    with pytest.raises(ConfigError) as caught:
        write_zip(dest, [entry])

    assert caught.value.message == (
        f"{path} changed size while it was being packaged (it was 2 bytes when measured); the "
        "zip was not written."
    )
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_a_file_that_shrinks_after_it_was_measured_is_not_packaged(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b'{"a": 1}')
    entry = file_entry(path, "assets/data.json", 0o644)
    path.write_bytes(b"{}")

    with pytest.raises(ConfigError, match=r"changed size .*\(it was 8 bytes when measured\)"):
        write_zip(tmp_path / "deployment.zip", [entry])


def test_files_are_copied_within_the_deadline(tmp_path: Path) -> None:
    path = tmp_path / "bootstrap"
    path.write_bytes(b"\x7fELF")

    with pytest.raises(TimeoutExceededError, match=f"Stopped reading {path} after 0.0 MiB"):
        write_zip(tmp_path / "deployment.zip", [file_entry(path, "bootstrap", 0o755)], Deadline(0))
    assert not (tmp_path / "deployment.zip").exists()


@pytest.mark.parametrize(
    ("name", "mode", "why"),
    [
        ("bootstrap", 0o100755, None),
        ("assets/a..b/..c", 0o100644, None),
        ("/abs", 0o100644, "an absolute path"),
        ("\\abs", 0o100644, "an absolute path"),
        ("d:rel", 0o100644, "an absolute path"),
        ("..", 0o100644, "it contains '..'"),
        ("x/../../y", 0o100644, "it contains '..'"),
        ("x\\..\\y", 0o100644, "it contains '..'"),
        ("assets/link", 0o120777, "a symlink"),
    ],
)
def test_unsafe_zip_entries(name: str, mode: int, why: str | None) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16

    assert unsafe_zip_entry(info) == why
