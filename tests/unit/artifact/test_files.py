"""Reading files for a kind: regular files only, never blocking, in chunks within a deadline."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from pmcp_action.artifact.files import (
    file_kind,
    open_regular,
    read_all,
    read_chunks,
    regular_size,
)
from pmcp_action.deadline import Deadline
from pmcp_action.errors import ConfigError, TimeoutExceededError

MIB = 1024 * 1024


def test_file_kinds_are_named() -> None:
    assert file_kind(os.stat("/dev/null").st_mode) == "a character device"
    assert file_kind(os.stat("/").st_mode) == "a directory"
    assert file_kind(os.stat(__file__).st_mode) == "a regular file"


def test_regular_size_reads_the_metadata_only(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(b"12345")

    assert regular_size(path) == 5


def test_regular_size_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        regular_size(tmp_path, "the bootstrap")

    assert (
        caught.value.message == "the bootstrap is a directory, not a regular file; it was not read."
    )
    assert caught.value.remediation == (
        "Point it at the file itself. Devices, FIFOs and sockets are never read: they can block "
        "or never end."
    )


def test_a_missing_file_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        open_regular(tmp_path / "gone", "the bootstrap")

    assert caught.value.message == "Cannot open the bootstrap: No such file or directory."


@pytest.mark.timeout(10)
def test_open_regular_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    with pytest.raises(ConfigError) as caught:
        open_regular(fifo)

    assert (
        caught.value.message
        == f"{fifo} is a FIFO (named pipe), not a regular file; it was not read."
    )


@pytest.mark.timeout(10)
def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero").symlink_to("/dev/zero")

    with pytest.raises(ConfigError, match="is a character device, not a regular file"):
        read_all(tmp_path / "zero", "zero", None)


def test_read_chunks_stops_at_the_limit() -> None:
    chunks = list(read_chunks(io.BytesIO(b"x" * (3 * MIB)), "data", None, limit=MIB + 5))

    assert [len(c) for c in chunks] == [MIB, 5]


def test_read_chunks_stops_when_the_deadline_passes() -> None:
    ticks = iter([0.0, 1.0, 1.0, 30.0])
    deadline = Deadline(10, clock=lambda: next(ticks))
    handle = io.BytesIO(b"x" * (5 * MIB))

    with pytest.raises(TimeoutExceededError) as caught:
        for _ in read_chunks(handle, "the zip", deadline):
            pass

    assert caught.value.message == (
        "Stopped reading the zip after 2.0 MiB (2097152 bytes): the run's deadline of 10 s passed."
    )
    assert caught.value.remediation == (
        "Put the artifact on the runner's own disk (reading it should take seconds), or raise "
        "timeout-minutes."
    )
    assert handle.tell() == 2 * MIB


def test_read_all_reads_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"a = 1\n")

    assert read_all(path, "config.toml", Deadline(60)) == b"a = 1\n"
