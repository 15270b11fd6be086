"""The Lambda package from the `artifact` input: a binary (format, machine, mode), a
directory, or a zip."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import zipfile
from pathlib import Path

import pytest

from pmcp_action.artifact import sha256_file
from pmcp_action.artifact.lambda_package import LambdaArtifact
from pmcp_action.artifact.lambda_package.limits import LAMBDA_UNZIPPED_LIMIT, LAMBDA_ZIP_FILE_LIMIT
from pmcp_action.deadline import Deadline
from pmcp_action.errors import ConfigError, TimeoutExceededError
from tests.unit.artifact.helpers import (
    EM_AARCH64,
    EM_X86_64,
    Project,
    config,
    elf,
    make_zip,
    write,
    write_bootstrap,
    zip_names,
    zip_read,
)

# --- artifact input: a bootstrap binary -------------------------------------------------


def test_input_binary_is_used_raw_in_auto_mode(project: Project) -> None:
    binary = write_bootstrap(project.root / "bin" / "bootstrap")

    result = project.resolve(artifact_input=Path("bin/bootstrap"))

    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    assert result == LambdaArtifact(
        path=binary,
        kind="bootstrap",
        content_type="application/octet-stream",
        sha256=digest,
        size=binary.stat().st_size,
        source="artifact input bin/bootstrap",
        bootstrap_sha256=digest,
    )
    assert not project.work.exists()


def test_input_binary_absolute_path_outside_root(project: Project) -> None:
    binary = write_bootstrap(project.tmp / "elsewhere" / "my-server")

    result = project.resolve(artifact_input=binary)

    assert result.path == binary
    assert result.source == f"artifact input {binary}"


def test_input_binary_is_zipped_in_zip_mode(project: Project) -> None:
    binary = write_bootstrap(project.root / "bin" / "bootstrap")

    result = project.resolve(artifact_input=Path("bin/bootstrap"), packaging="zip")

    assert result.kind == "zip"
    assert result.content_type == "application/zip"
    assert result.path == project.work / "deployment.zip"
    assert zip_names(result.path) == ["bootstrap"]
    assert zip_read(result.path, "bootstrap") == binary.read_bytes()
    assert result.sha256 == sha256_file(result.path)
    assert result.size == result.path.stat().st_size
    assert result.bootstrap_sha256 == sha256_file(binary)
    assert result.source == "artifact input bin/bootstrap"


def test_missing_input_names_the_path_and_the_input(project: Project) -> None:
    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("build/bootstrap"))

    message = caught.value.message
    assert "`artifact` input" in message
    assert "build/bootstrap" in message
    assert str(project.root / "build" / "bootstrap") in message
    assert "bootstrap binary, a directory" in caught.value.remediation


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


# --- artifact input: a directory --------------------------------------------------------


def test_input_directory_with_bootstrap(project: Project) -> None:
    binary = write_bootstrap(project.root / "dist" / "bootstrap")

    result = project.resolve(artifact_input=Path("dist"))

    assert result.path == binary
    assert result.source == "artifact input dist/bootstrap"


def test_input_directory_cargo_lambda_layout(project: Project) -> None:
    binary = write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    result = project.resolve(artifact_input=Path("target/lambda"))

    assert result.path == binary


def test_input_directory_without_bootstrap_lists_its_contents(project: Project) -> None:
    write(project.root / "dist" / "server", elf())
    write(project.root / "dist" / "lambda.zip", b"PK\x05\x06" + b"\x00" * 18)
    (project.root / "dist" / "assets").mkdir()

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("dist"))

    assert "dist has no `bootstrap` file" in caught.value.message
    assert "assets/, lambda.zip, server" in caught.value.message
    assert "lambda.zip" in caught.value.remediation


# --- artifact input: a zip --------------------------------------------------------------


def test_input_zip_detected_by_magic_not_name(project: Project) -> None:
    binary = elf(body=b"zipped")
    package = make_zip(project.root / "out" / "package.bin", {"bootstrap": binary, "a.txt": b"x"})

    result = project.resolve(artifact_input=Path("out/package.bin"), packaging="zip")

    assert result.kind == "zip"
    assert result.content_type == "application/zip"
    assert result.path == package
    assert result.sha256 == sha256_file(package)
    assert result.bootstrap_sha256 == hashlib.sha256(binary).hexdigest()
    assert result.source == "artifact input out/package.bin"
    assert not project.work.exists()


def test_zip_without_bootstrap_explains_the_nested_folder(project: Project) -> None:
    make_zip(project.root / "deployment.zip", {"build/bootstrap": elf(), "build/x.txt": b"x"})

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("deployment.zip"))

    assert "without a `bootstrap` entry at its root" in caught.value.message
    assert "build/bootstrap, build/x.txt" in caught.value.message
    assert "cd build && zip -r ../deployment.zip ." in caught.value.remediation


def test_zip_without_any_bootstrap(project: Project) -> None:
    make_zip(project.root / "deployment.zip", {"server": elf()})

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("deployment.zip"))

    assert "It contains: server." in caught.value.message
    assert "zip -j deployment.zip" in caught.value.remediation


def test_zip_with_wrong_architecture(project: Project) -> None:
    make_zip(project.root / "deployment.zip", {"bootstrap": elf(EM_X86_64)})

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("deployment.zip"))

    assert "`bootstrap` in artifact input deployment.zip is an ELF binary for x86_64" in (
        caught.value.message
    )


def test_zip_with_non_executable_bootstrap_warns(project: Project) -> None:
    make_zip(project.root / "deployment.zip", {"bootstrap": elf()}, mode=0o644)

    project.resolve(artifact_input=Path("deployment.zip"))

    assert "no execute permission in the zip (mode 0644)" in project.output


def test_corrupt_zip_is_a_config_error(project: Project) -> None:
    write(project.root / "deployment.zip", b"PK\x03\x04garbage")

    with pytest.raises(ConfigError, match="cannot be read"):
        project.resolve(artifact_input=Path("deployment.zip"))


def test_zip_input_without_configured_assets_warns(project: Project) -> None:
    make_zip(project.root / "deployment.zip", {"bootstrap": elf()})
    write(project.root / "static" / "a.css", "a")

    project.resolve(artifact_input=Path("deployment.zip"), config=config(include=["static/**"]))

    assert "has no assets/ entries, although [assets].include is set" in project.output


# --- artifact input: only regular files, sized before reading, read within the deadline -

_NOT_READ_FIX = (
    "Set `artifact` to the bootstrap binary, a directory containing `bootstrap`, or a "
    "deployment zip. Devices, FIFOs and sockets are never read: they can block or never end."
)


@pytest.mark.timeout(10)
def test_a_device_is_refused_before_it_is_opened(project: Project) -> None:
    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("/dev/zero"))

    assert caught.value.message == (
        "The `artifact` input points at /dev/zero, which is a character device, not a regular "
        "file or a directory."
    )
    assert caught.value.remediation == _NOT_READ_FIX


@pytest.mark.timeout(10)
def test_a_fifo_is_refused_without_blocking(project: Project) -> None:
    os.mkfifo(project.root / "bootstrap")

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("bootstrap"))

    assert caught.value.message == (
        "The `artifact` input points at bootstrap, which is a FIFO (named pipe), not a regular "
        "file or a directory."
    )
    assert caught.value.remediation == _NOT_READ_FIX


def test_a_socket_is_refused(project: Project) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(project.root / "bootstrap.sock"))

        with pytest.raises(ConfigError) as caught:
            project.resolve(artifact_input=Path("bootstrap.sock"))

    assert caught.value.message == (
        "The `artifact` input points at bootstrap.sock, which is a socket, not a regular file or "
        "a directory."
    )


def test_a_bootstrap_above_the_limit_is_refused_before_it_is_read(project: Project) -> None:
    path = write_bootstrap(project.root / "bootstrap")
    with path.open("r+b") as handle:
        handle.truncate(LAMBDA_UNZIPPED_LIMIT + 1)  # sparse: cheap to make, slow to read

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("bootstrap"))

    assert caught.value.message == (
        "artifact input bootstrap is 250.0 MiB (262144001 bytes), above AWS Lambda's limit of "
        "250.0 MiB (262144000 bytes) for a package unzipped; it was not read."
    )


def test_a_file_above_any_zip_lambda_takes_is_refused_before_its_magic_is_read(
    project: Project,
) -> None:
    path = write(project.root / "deployment.zip", b"PK\x03\x04")
    with path.open("r+b") as handle:
        handle.truncate(LAMBDA_ZIP_FILE_LIMIT + 1)

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("deployment.zip"))

    assert caught.value.message == (
        "artifact input deployment.zip is 266.0 MiB (278921217 bytes), too large for AWS Lambda: "
        "no bootstrap or deployment zip above 266.0 MiB (278921216 bytes) fits its 250.0 MiB "
        "unzipped limit; it was not read."
    )


def test_the_bootstrap_is_read_within_the_run_deadline(project: Project) -> None:
    write_bootstrap(project.root / "bootstrap", body=b"\x01" * (3 * 1024 * 1024))
    ticks = iter([0.0, 0.0, 61.0])  # the deadline's start, then one check per chunk

    with pytest.raises(TimeoutExceededError) as caught:
        project.resolve(
            artifact_input=Path("bootstrap"), deadline=Deadline(60, clock=lambda: next(ticks))
        )

    assert caught.value.message == (
        "Stopped reading artifact input bootstrap after 1.0 MiB (1048576 bytes): the run's "
        "deadline of 60 s passed."
    )


# --- messages describe a file, never quote it -------------------------------------------

FAKE_SECRET = "AKIAPMCPFAKESECRET42"
CREDENTIALS = (
    f"[default]\naws_access_key_id = {FAKE_SECRET}\n"
    "aws_secret_access_key = pmcp/fake/SECRET/value/never/shown\n"
)


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


def test_a_text_bootstrap_in_a_zip_is_described_not_quoted(project: Project) -> None:
    make_zip(project.root / "deployment.zip", {"bootstrap": CREDENTIALS.encode()})

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("deployment.zip"))

    assert caught.value.message == (
        "`bootstrap` in artifact input deployment.zip is a text file (UTF-8, 3 lines, 110 bytes), "
        "not a Linux executable; Lambda would fail to start it (Runtime.InvalidEntrypoint)."
    )
    assert FAKE_SECRET not in caught.value.diagnostics()


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


# --- artifact input: symlinks stay in the workspace and the temp directories ------------


def test_a_bootstrap_linked_out_of_the_workspace_is_refused(
    project: Project, system_temp: Path
) -> None:
    secret = write_bootstrap(project.tmp / "home" / "bootstrap")
    (project.root / "bootstrap").symlink_to(secret)

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("bootstrap"))

    assert caught.value.message == (
        f"The `artifact` input bootstrap is a symlink to {secret}, outside the workspace "
        f"({project.root}) and the system temp directory ({system_temp}); it was not read."
    )


def test_the_workspace_and_runner_temp_come_from_the_environment(
    project: Project, system_temp: Path
) -> None:
    secret = write_bootstrap(project.tmp / "home" / "bootstrap")
    (project.root / "bootstrap").symlink_to(secret)
    environ = {"GITHUB_WORKSPACE": str(project.root), "RUNNER_TEMP": str(project.tmp / "rt")}

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("bootstrap"), environ=environ)

    assert caught.value.message == (
        f"The `artifact` input bootstrap is a symlink to {secret}, outside the workspace "
        f"({project.root}), RUNNER_TEMP ({project.tmp / 'rt'}) and the system temp directory "
        f"({system_temp}); it was not read."
    )


def test_a_bootstrap_linked_into_runner_temp_is_used(project: Project, system_temp: Path) -> None:
    built = write_bootstrap(project.tmp / "rt" / "build" / "bootstrap")
    (project.root / "bootstrap").symlink_to(built)

    result = project.resolve(
        artifact_input=Path("bootstrap"), environ={"RUNNER_TEMP": str(project.tmp / "rt")}
    )

    assert result.sha256 == sha256_file(built)


def test_a_bootstrap_linked_into_the_wider_workspace_is_used(
    project: Project, system_temp: Path
) -> None:
    built = write_bootstrap(project.tmp / "shared" / "bootstrap")
    (project.root / "bootstrap").symlink_to(built)

    result = project.resolve(
        artifact_input=Path("bootstrap"), environ={"CI_PROJECT_DIR": str(project.tmp)}
    )

    assert result.sha256 == sha256_file(built)


def test_a_directory_input_linked_out_of_the_workspace_is_refused(
    project: Project, system_temp: Path
) -> None:
    write_bootstrap(project.tmp / "elsewhere" / "bootstrap")
    (project.root / "dist").symlink_to(project.tmp / "elsewhere")

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("dist"))

    assert caught.value.message == (
        f"The `artifact` input dist is a symlink to {project.tmp / 'elsewhere'}, outside the "
        f"workspace ({project.root}) and the system temp directory ({system_temp}); it was not "
        "read."
    )


def test_a_path_through_a_linked_directory_names_the_link(
    project: Project, system_temp: Path
) -> None:
    write_bootstrap(project.tmp / "elsewhere" / "bootstrap")
    (project.root / "dist").symlink_to(project.tmp / "elsewhere")

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("dist/bootstrap"))

    assert caught.value.message == (
        "The `artifact` input dist/bootstrap leads through the symlink dist, which points to "
        f"{project.tmp / 'elsewhere'}, outside the workspace ({project.root}) and the system "
        f"temp directory ({system_temp}); it was not read."
    )


def test_the_bootstrap_in_an_input_directory_may_not_link_out(
    project: Project, system_temp: Path
) -> None:
    (project.root / "dist").mkdir()
    (project.root / "dist" / "bootstrap").symlink_to("/etc/passwd")

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("dist"))

    assert caught.value.message == (
        "artifact input dist/bootstrap is a symlink to /etc/passwd, outside the workspace "
        f"({project.root}) and the system temp directory ({system_temp}); it was not read."
    )


@pytest.mark.timeout(10)
def test_a_link_to_a_device_outside_is_refused_as_a_link(
    project: Project, system_temp: Path
) -> None:
    (project.root / "bootstrap").symlink_to("/dev/zero")

    with pytest.raises(
        ConfigError, match="^The `artifact` input bootstrap is a symlink to /dev/zero"
    ):
        project.resolve(artifact_input=Path("bootstrap"))


# --- artifact input: a zip whose entries could leave their directory (zip-slip) ---------

_ZIP_SLIP_FIX = (
    "Rebuild it with relative names and regular files only, e.g. `zip -j deployment.zip "
    "target/lambda/bootstrap/bootstrap` (without -y, which stores symlinks), or set `artifact` "
    "to the binary and let the action package it."
)


def test_a_zip_with_unsafe_entries_is_refused_naming_them(project: Project) -> None:
    path = make_zip(
        project.root / "deployment.zip",
        {"bootstrap": elf(), "../evil.sh": b"x", "/etc/cron.d/job": b"y", "a\\..\\..\\b": b"z"},
    )
    with zipfile.ZipFile(path, "a") as archive:
        link = zipfile.ZipInfo("assets/passwd")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("deployment.zip"))

    assert caught.value.message == (
        "artifact input deployment.zip has 4 unsafe entries that could write outside the "
        "directory the zip is unpacked into (zip-slip): '../evil.sh' (it contains '..'), "
        "'/etc/cron.d/job' (an absolute path), 'a\\\\..\\\\..\\\\b' (it contains '..'), "
        "'assets/passwd' (a symlink). The zip was not used."
    )
    assert caught.value.remediation == _ZIP_SLIP_FIX
    assert "/etc/passwd" not in caught.value.diagnostics()  # a link's target is its content


@pytest.mark.parametrize(
    ("name", "why"),
    [("C:/Windows/evil.dll", "an absolute path"), ("assets/../../x", "it contains '..'")],
)
def test_one_unsafe_entry_is_enough(project: Project, name: str, why: str) -> None:
    make_zip(project.root / "deployment.zip", {"bootstrap": elf(), name: b"x"})

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("deployment.zip"))

    assert caught.value.message == (
        "artifact input deployment.zip has 1 unsafe entry that could write outside the "
        f"directory the zip is unpacked into (zip-slip): {name!r} ({why}). The zip was not used."
    )


def test_a_symlinked_bootstrap_entry_is_refused(project: Project) -> None:
    path = project.root / "deployment.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("bootstrap")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/usr/bin/env")

    with pytest.raises(ConfigError, match=r"1 unsafe entry .*: 'bootstrap' \(a symlink\)\."):
        project.resolve(artifact_input=Path("deployment.zip"))


def test_names_with_dots_that_stay_inside_are_fine(project: Project) -> None:
    make_zip(
        project.root / "deployment.zip",
        {"bootstrap": elf(), "assets/..hidden": b"x", "assets/a..b/c": b"y", "assets/": b""},
    )

    assert project.resolve(artifact_input=Path("deployment.zip")).kind == "zip"
