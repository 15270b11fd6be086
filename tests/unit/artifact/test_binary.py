"""What a file's first bytes say it is, described in words and never quoted."""

from __future__ import annotations

import pytest

from pmcp_action.artifact.binary import HEAD_BYTES, FileType, classify_head, describe
from tests.unit.artifact.helpers import EM_AARCH64, EM_X86_64, elf


def described(data: bytes) -> str:
    return describe(classify_head(data[:HEAD_BYTES]), len(data))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (elf(EM_X86_64), "an ELF x86_64 executable"),
        (elf(EM_AARCH64, big_endian=True), "an ELF arm64 (aarch64) executable"),
        (elf(999), "an ELF e_machine 999 executable"),
        (b"\x7fELF\x02", "a file with a truncated or malformed ELF header (5 bytes)"),
        (b"", "an empty file"),
        (b"MZ\x90\x00" + b"\x00" * 60, "a Windows (PE) executable"),
        (b"\xcf\xfa\xed\xfe" + b"\x00" * 60, "a macOS (Mach-O) executable"),
        (b"\x1f\x8b\x08\x00", "a gzip archive"),
        (b"#!/bin/sh\nexec ./server\n", "a shell script (24 bytes)"),
        (b"#!/usr/bin/env python3.12\nprint()\n", "a Python script (34 bytes)"),
        (b"#!/usr/bin/env -S node --no-warnings\n", "a Node.js script (37 bytes)"),
        (b"#!/opt/secret-tool --token=abc\n", "a script for an unknown interpreter (31 bytes)"),
        (b"#!\n", "a script for an unknown interpreter (3 bytes)"),
        (b"[default]\nkey = value\nother = 1\n", "a text file (UTF-8, 3 lines, 32 bytes)"),
        (b"one line, no newline", "a text file (UTF-8, 1 line, 20 bytes)"),
        ("caf\u00e9\n".encode(), "a text file (UTF-8, 1 line, 6 bytes)"),
        (b"a\n" * 3000, "a text file (UTF-8, 6000 bytes)"),  # more than the sample: no lines
        (b"x\n" * (1024 * 1024), "a text file (UTF-8, 2.0 MiB)"),
        (b"\x00\x01\x02\x03\xff" * 10, "a binary file of an unrecognised format (50 bytes)"),
        (b"\x00", "a binary file of an unrecognised format (1 byte)"),
    ],
)
def test_describe(data: bytes, expected: str) -> None:
    assert described(data) == expected


def test_a_verdict_holds_nothing_of_the_file() -> None:
    secret = b"AKIAIOSFODNN7EXAMPLE"
    for data in (
        b"aws_access_key_id = " + secret + b"\n",
        b"#!/usr/bin/" + secret + b"\n",
        b"\x00" + secret,
        b"MZ" + secret,
    ):
        found = classify_head(data)
        assert secret.decode() not in repr(found)
        assert secret.decode() not in describe(found, len(data))


def test_a_git_lfs_pointer_is_recognised() -> None:
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n"

    assert classify_head(pointer) == FileType("text", len(pointer), lines=3, lfs_pointer=True)
