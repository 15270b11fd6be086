"""lambda_package.zip_input: a deployment zip given as the artifact input, used as is after
its bootstrap and entries are checked."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from pmcp_action.artifact import sha256_file
from pmcp_action.artifact.lambda_package.limits import LAMBDA_ZIP_FILE_LIMIT
from pmcp_action.errors import ConfigError
from tests.unit.artifact.helpers import (
    EM_X86_64,
    Project,
    config,
    elf,
    make_zip,
    write,
)

from .helpers import CREDENTIALS, FAKE_SECRET

_ZIP_SLIP_FIX = (
    "Rebuild it with relative names and regular files only, e.g. `zip -j deployment.zip "
    "target/lambda/bootstrap/bootstrap` (without -y, which stores symlinks), or set `artifact` "
    "to the binary and let the action package it."
)


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


def test_a_text_bootstrap_in_a_zip_is_described_not_quoted(project: Project) -> None:
    make_zip(project.root / "deployment.zip", {"bootstrap": CREDENTIALS.encode()})

    with pytest.raises(ConfigError) as caught:
        project.resolve(artifact_input=Path("deployment.zip"))

    assert caught.value.message == (
        "`bootstrap` in artifact input deployment.zip is a text file (UTF-8, 3 lines, 110 bytes), "
        "not a Linux executable; Lambda would fail to start it (Runtime.InvalidEntrypoint)."
    )
    assert FAKE_SECRET not in caught.value.diagnostics()


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
