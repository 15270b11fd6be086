"""lambda_package.checks: a bootstrap's format, machine and mode, each verdict worded with
the fix; a file is described, never quoted."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from pmcp_action.errors import ConfigError
from tests.unit.artifact.helpers import (
    EM_AARCH64,
    EM_X86_64,
    Project,
    elf,
    write,
    write_bootstrap,
)

from .helpers import CREDENTIALS, FAKE_SECRET


def test_arm64_binary_for_x86_64_is_rejected(project: Project) -> None:
    write_bootstrap(project.root / "bootstrap", EM_AARCH64)

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("bootstrap"), architecture="x86_64")

    assert "arm64 (aarch64) (e_machine 183)" in caught.value.message
    assert "architecture is x86_64" in caught.value.message
    assert "--x86-64" in caught.value.remediation
    assert "without --arm64" in caught.value.remediation


def test_x86_64_binary_for_arm64_is_rejected(project: Project) -> None:
    write_bootstrap(project.root / "bootstrap", EM_X86_64)

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("bootstrap"))

    assert "x86_64 (e_machine 62)" in caught.value.message
    assert "`cargo lambda build --release --arm64`" in caught.value.remediation
    assert "x86_64" in caught.value.remediation


def test_x86_64_binary_matches_x86_64(project: Project) -> None:
    write_bootstrap(project.root / "bootstrap", EM_X86_64)

    assert project.resolve(artifact_input=Path("bootstrap"), architecture="x86_64").kind == (
        "bootstrap"
    )


def test_big_endian_elf_machine_is_read_big_endian(project: Project) -> None:
    write(project.root / "bootstrap", elf(EM_AARCH64, big_endian=True), 0o755)

    assert project.resolve(artifact_input=Path("bootstrap")).kind == "bootstrap"


def test_other_cpu_gets_a_generic_rebuild_hint(project: Project) -> None:
    write_bootstrap(project.root / "bootstrap", 40)  # 32-bit ARM

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("bootstrap"))

    assert "ARM (32-bit) (e_machine 40)" in caught.value.message
    assert "cargo lambda build --release --arm64" in caught.value.remediation


def test_text_file_is_not_a_bootstrap(project: Project) -> None:
    write(project.root / "bootstrap", "version https://git-lfs.github.com/spec/v1\n", 0o755)

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("bootstrap"))

    assert "is a text file" in caught.value.message
    assert "version https" not in caught.value.message  # described, never quoted
    assert "It is a Git LFS pointer" in caught.value.message
    assert "cargo lambda build --release --arm64" in caught.value.remediation


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xcf\xfa\xed\xfe" + b"\x00" * 60, "Mach-O"),
        (b"MZ\x90\x00" + b"\x00" * 60, "Windows (PE)"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 60, "gzip"),
    ],
)
def test_foreign_executables_are_rejected(project: Project, head: bytes, kind: str) -> None:
    write(project.root / "bootstrap", head, 0o755)

    with pytest.raises(ConfigError, match=re.escape(kind)):
        project.resolve(artifact_input=Path("bootstrap"))


def test_empty_file_is_rejected(project: Project) -> None:
    write(project.root / "bootstrap", b"", 0o755)

    with pytest.raises(ConfigError, match="is empty"):
        project.resolve(artifact_input=Path("bootstrap"))


def test_script_bootstrap_is_a_warning(project: Project) -> None:
    write(project.root / "bootstrap", "#!/bin/sh\nexec ./server\n", 0o755)

    result = project.resolve(artifact_input=Path("bootstrap"))

    assert result.kind == "bootstrap"
    assert "warning: Lambda artifact: artifact input bootstrap is a shell script (24 bytes)" in (
        project.output
    )


def test_unknown_binary_is_a_warning(project: Project) -> None:
    write(project.root / "bootstrap", b"\x00\x01\x02\x03\xff" * 10, 0o755)

    project.resolve(artifact_input=Path("bootstrap"))

    assert "is a binary file of an unrecognised format (50 bytes), not an ELF binary" in (
        project.output
    )


def test_non_executable_binary_is_a_warning(project: Project) -> None:
    write(project.root / "bootstrap", elf(), 0o644)

    result = project.resolve(artifact_input=Path("bootstrap"), packaging="zip")

    assert "is not executable on disk (mode 0644)" in project.output
    with zipfile.ZipFile(result.path) as archive:
        assert archive.getinfo("bootstrap").external_attr >> 16 == 0o100755


def test_a_credentials_file_is_described_not_quoted(project: Project) -> None:
    write(project.tmp / "credentials", CREDENTIALS)

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("../credentials"))

    assert caught.value.message == (
        "artifact input ../credentials is a text file (UTF-8, 3 lines, 110 bytes), not a Linux "
        "executable; Lambda would fail to start it (Runtime.InvalidEntrypoint)."
    )
    assert FAKE_SECRET not in caught.value.diagnostics()
    assert "aws_access_key_id" not in caught.value.diagnostics()
    assert FAKE_SECRET not in project.output


def test_an_absolute_path_to_a_system_file_is_described_not_quoted(project: Project) -> None:
    passwd = write(project.tmp / "etc" / "passwd", "root:x:0:0:root:/root:/bin/bash\n")

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=passwd)

    assert caught.value.message == (
        f"artifact input {passwd} is a text file (UTF-8, 1 line, 32 bytes), not a Linux "
        "executable; Lambda would fail to start it (Runtime.InvalidEntrypoint)."
    )
    assert "root:" not in caught.value.diagnostics()


def test_a_script_warning_names_the_language_not_the_line(project: Project) -> None:
    write(project.root / "bootstrap", f"#!/opt/run --key={FAKE_SECRET}\n", 0o755)

    project.resolve(artifact_input=Path("bootstrap"))

    assert (
        "warning: Lambda artifact: artifact input bootstrap is a script for an unknown "
        "interpreter (38 bytes), not an ELF binary."
    ) in project.output
    assert FAKE_SECRET not in project.output


def test_a_git_lfs_pointer_says_to_fetch_the_file(project: Project) -> None:
    write(
        project.root / "bootstrap",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n",
        0o755,
    )

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("bootstrap"))

    assert caught.value.message == (
        "artifact input bootstrap is a text file (UTF-8, 3 lines, 70 bytes), not a Linux "
        "executable. It is a Git LFS pointer: the checkout did not fetch the file it stands for."
    )
    assert caught.value.remediation.startswith(
        "Fetch the file itself: check out with `lfs: true` (actions/checkout) or run "
        "`git lfs pull` before this step. Build the Lambda binary with"
    )
