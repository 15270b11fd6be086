"""pmcp_action.artifact and its LambdaPackage kind: finding, checking and packaging the
Lambda bootstrap."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pytest

from pmcp_action.artifact import ArtifactRequest, collect_assets, sha256_file
from pmcp_action.artifact.lambda_package import (
    BUILD_TIMEOUT_SECONDS,
    LambdaArtifact,
    LambdaPackage,
    build_deployment_zip,
)
from pmcp_action.ci.base import Platform
from pmcp_action.deploy_config import AssetsConfig, DeployConfig, ServerConfig
from pmcp_action.errors import ConfigError, DeployError

EM_AARCH64 = 183
EM_X86_64 = 62


# --- helpers ----------------------------------------------------------------------------


def elf(
    machine: int = EM_AARCH64, body: bytes = b"\x00" * 64, *, big_endian: bool = False
) -> bytes:
    """A minimal 64-bit ELF header (ET_DYN) with the given e_machine, then ``body``."""
    header = bytearray(64)
    header[0:4] = b"\x7fELF"
    header[4] = 2  # ELFCLASS64
    header[5] = 2 if big_endian else 1  # ELFDATA2MSB / ELFDATA2LSB
    header[6] = 1  # EV_CURRENT
    order: Literal["big", "little"] = "big" if big_endian else "little"
    header[16:18] = (3).to_bytes(2, order)  # ET_DYN
    header[18:20] = machine.to_bytes(2, order)
    return bytes(header) + body


def write(path: Path, data: bytes | str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    path.chmod(mode)
    return path


def write_bootstrap(path: Path, machine: int = EM_AARCH64, body: bytes = b"bin") -> Path:
    return write(path, elf(machine, body), 0o755)


def make_zip(path: Path, entries: dict[str, bytes], mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return path


def new_console() -> tuple[Platform, io.StringIO]:
    stream = io.StringIO()
    return Platform(environ={}, log_stream=stream), stream


def no_run(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    raise AssertionError(f"no build expected, got {args} {kwargs}")


def no_which(name: str) -> str | None:
    return None


def config(
    name: str = "demo",
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] | None = None,
    base_dir: str = "",
    binary: str = "",
) -> DeployConfig:
    assets = AssetsConfig(include=tuple(include), base_dir=base_dir)
    if exclude is not None:
        assets = AssetsConfig(include=tuple(include), exclude=tuple(exclude), base_dir=base_dir)
    return DeployConfig(server=ServerConfig(name=name, binary=binary), assets=assets)


class Project:
    """A project root in tmp_path plus the request a kind needs."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.root = tmp_path / "proj"
        self.root.mkdir()
        self.work = tmp_path / "work"
        self.console, self.log = new_console()

    def resolve(self, **overrides: Any) -> LambdaArtifact:
        """``LambdaPackage(packaging="auto")`` obtained in this project; ``overrides``
        name the kind's fields (packaging, architecture) or the request's."""
        kind: dict[str, Any] = {"packaging": "auto"}
        for key in ("packaging", "architecture"):
            if key in overrides:
                kind[key] = overrides.pop(key)
        request: dict[str, Any] = {
            "project_root": self.root,
            "artifact_input": None,
            "config": config(),
            "work_dir": self.work,
            "environ": {},
            "console": self.console,
            "run": no_run,
            "which": no_which,
        }
        request.update(overrides)
        return LambdaPackage(**kind).obtain(ArtifactRequest(**request))

    @property
    def output(self) -> str:
        return self.log.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def zip_read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


# --- sha256 -----------------------------------------------------------------------------


def test_sha256_file_streams_large_files(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = write(tmp_path / "blob", data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


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
    assert "version https" in caught.value.message
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
    assert "warning: Lambda artifact: artifact input bootstrap is a script (#!/bin/sh)" in (
        project.output
    )


def test_unknown_binary_is_a_warning(project: Project) -> None:
    write(project.root / "bootstrap", b"\x00\x01\x02\x03\xff" * 10, 0o755)

    project.resolve(artifact_input=Path("bootstrap"))

    assert "is not an ELF binary (it starts with bytes 00010203)" in project.output


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


# --- cargo-lambda output discovery ------------------------------------------------------


def test_finds_cargo_lambda_output_in_project_target(project: Project) -> None:
    binary = write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    result = project.resolve()

    assert result.path == binary
    assert result.source == "cargo-lambda output target/lambda/bootstrap/bootstrap"


def test_cargo_target_dir_wins(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap", body=b"local")
    shared = write_bootstrap(project.tmp / "shared" / "lambda" / "bootstrap" / "bootstrap")

    result = project.resolve(
        environ={
            "CARGO_TARGET_DIR": str(project.tmp / "shared"),
            "CARGO_BUILD_TARGET_DIR": str(project.tmp / "other"),
        }
    )

    assert result.path == shared


def test_relative_cargo_target_dir_is_relative_to_the_project(project: Project) -> None:
    binary = write_bootstrap(project.root / "out" / "lambda" / "bootstrap" / "bootstrap")

    assert project.resolve(environ={"CARGO_TARGET_DIR": "out"}).path == binary


def test_cargo_build_target_dir(project: Project) -> None:
    binary = write_bootstrap(project.tmp / "cbt" / "lambda" / "bootstrap" / "bootstrap")

    assert project.resolve(environ={"CARGO_BUILD_TARGET_DIR": str(project.tmp / "cbt")}).path == (
        binary
    )


def test_cargo_config_target_dir(project: Project) -> None:
    write(project.root / ".cargo" / "config.toml", '[build]\ntarget-dir = "../ct"\n')
    binary = write_bootstrap(project.tmp / "ct" / "lambda" / "bootstrap" / "bootstrap")

    assert project.resolve().path == binary


def test_workspace_ancestor_target(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    write(workspace / "Cargo.toml", '[workspace]\nmembers = ["crates/*"]\n')
    root = workspace / "crates" / "server"
    root.mkdir(parents=True)
    write(root / "Cargo.toml", '[package]\nname = "server"\n')
    binary = write_bootstrap(workspace / "target" / "lambda" / "bootstrap" / "bootstrap")
    console, _ = new_console()

    result = LambdaPackage(packaging="auto").obtain(
        ArtifactRequest(
            project_root=root,
            artifact_input=None,
            config=config(),
            work_dir=tmp_path / "work",
            environ={},
            console=console,
            run=no_run,
            which=no_which,
        )
    )

    assert result.path == binary


def test_workspace_search_stops_after_five_directories(tmp_path: Path) -> None:
    write(tmp_path / "Cargo.toml", "[workspace]\n")
    write_bootstrap(tmp_path / "target" / "lambda" / "bootstrap" / "bootstrap")
    root = tmp_path / "a" / "b" / "c" / "d" / "e"  # tmp_path is the 6th directory up
    root.mkdir(parents=True)
    console, _ = new_console()

    with pytest.raises(ConfigError) as caught:
        LambdaPackage(packaging="auto").obtain(
            ArtifactRequest(
                project_root=root,
                artifact_input=None,
                config=config(),
                work_dir=tmp_path / "work",
                environ={},
                console=console,
                run=no_run,
                which=no_which,
            )
        )

    assert "target/lambda/bootstrap/bootstrap" in caught.value.message
    assert "from the project root: no Cargo workspace above it" in caught.value.message


def test_commented_workspace_header_does_not_count(tmp_path: Path) -> None:
    write(tmp_path / "Cargo.toml", '# [workspace]\n[package]\nname = "x"\n')
    root = tmp_path / "server"
    write_bootstrap(tmp_path / "target" / "lambda" / "bootstrap" / "bootstrap")
    binary = write_bootstrap(root / "target" / "lambda" / "bootstrap" / "bootstrap")
    console, _ = new_console()

    result = LambdaPackage(packaging="auto").obtain(
        ArtifactRequest(
            project_root=root,
            artifact_input=None,
            config=config(),
            work_dir=tmp_path / "work",
            environ={},
            console=console,
        )
    )

    assert result.path == binary


def test_single_other_output_is_used(project: Project) -> None:
    binary = write_bootstrap(project.root / "target" / "lambda" / "my-server" / "bootstrap")

    assert project.resolve().path == binary


def test_bootstrap_output_is_preferred(project: Project) -> None:
    lambda_dir = project.root / "target" / "lambda"
    write_bootstrap(lambda_dir / "demo-oauth-proxy" / "bootstrap")
    binary = write_bootstrap(lambda_dir / "bootstrap" / "bootstrap")

    assert project.resolve().path == binary


def test_server_binary_name_breaks_ties(project: Project) -> None:
    lambda_dir = project.root / "target" / "lambda"
    write_bootstrap(lambda_dir / "authorizer" / "bootstrap")
    binary = write_bootstrap(lambda_dir / "mcp-main" / "bootstrap")

    assert project.resolve(config=config(binary="mcp-main")).path == binary


def test_server_name_breaks_ties(project: Project) -> None:
    lambda_dir = project.root / "target" / "lambda"
    write_bootstrap(lambda_dir / "authorizer" / "bootstrap")
    binary = write_bootstrap(lambda_dir / "demo-lambda" / "bootstrap")

    assert project.resolve().path == binary


def test_ambiguous_outputs_are_listed(project: Project) -> None:
    lambda_dir = project.root / "target" / "lambda"
    write_bootstrap(lambda_dir / "alpha" / "bootstrap")
    write_bootstrap(lambda_dir / "beta" / "bootstrap")

    with pytest.raises(ConfigError) as caught:
        project.resolve()

    assert "Several cargo-lambda outputs" in caught.value.message
    assert "target/lambda/alpha/bootstrap, target/lambda/beta/bootstrap" in caught.value.message
    assert "artifact: target/lambda/alpha/bootstrap" in caught.value.remediation
    assert "[server].binary" in caught.value.remediation


# --- no artifact, no cargo-lambda -------------------------------------------------------


def test_no_artifact_and_no_cargo_lambda(project: Project) -> None:
    with pytest.raises(ConfigError) as caught:
        project.resolve()

    error = caught.value
    assert error.message == (
        "No Lambda artifact found. Searched: the `artifact` input (not set); "
        "target/lambda/bootstrap/bootstrap and target/lambda/*/bootstrap (target directory "
        "from the project root: no Cargo workspace above it); and `cargo-lambda` is not on "
        "PATH to build one."
    )
    assert "`cargo lambda build --release --arm64`" in error.remediation
    assert "set `artifact` to the bootstrap binary" in error.remediation


def test_no_artifact_message_for_x86_64_and_cargo_target_dir(project: Project) -> None:
    with pytest.raises(ConfigError) as caught:
        project.resolve(architecture="x86_64", environ={"CARGO_TARGET_DIR": "/cache/target"})

    assert "/cache/target/lambda/bootstrap/bootstrap" in caught.value.message
    assert "from CARGO_TARGET_DIR" in caught.value.message
    assert "`cargo lambda build --release --x86-64`" in caught.value.remediation


def test_no_artifact_points_at_a_zip_output(project: Project) -> None:
    make_zip(
        project.root / "target" / "lambda" / "bootstrap" / "bootstrap.zip", {"bootstrap": elf()}
    )

    with pytest.raises(ConfigError) as caught:
        project.resolve()

    assert "Found target/lambda/bootstrap/bootstrap.zip" in caught.value.message


# --- building with cargo-lambda ---------------------------------------------------------


class FakeCargo:
    """Stands in for subprocess.run: records the call, prints, writes the binary."""

    def __init__(
        self,
        output: Path | None,
        *,
        returncode: int = 0,
        lines: Sequence[str] = ("   Compiling demo v0.1.0", "    Finished release"),
        machine: int = EM_AARCH64,
        timeout: bool = False,
    ) -> None:
        self.output = output
        self.returncode = returncode
        self.lines = lines
        self.machine = machine
        self.timeout = timeout
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((argv, kwargs))
        log = kwargs["stdout"]
        for line in self.lines:
            log.write(line.encode() + b"\n")
        log.flush()
        if self.timeout:
            raise subprocess.TimeoutExpired(argv, kwargs["timeout"])
        if self.output is not None and self.returncode == 0:
            write_bootstrap(self.output, self.machine, b"built")
        return subprocess.CompletedProcess(argv, self.returncode)


def which_all(name: str) -> str | None:
    return f"/usr/local/bin/{name}"


def test_build_runs_cargo_lambda_in_the_wrapper_crate(project: Project) -> None:
    write(project.root / "Cargo.toml", '[workspace]\nmembers = ["demo-lambda"]\n')
    write(project.root / "demo-lambda" / "Cargo.toml", '[package]\nname = "demo-lambda"\n')
    output = project.root / "target" / "lambda" / "bootstrap" / "bootstrap"
    cargo = FakeCargo(output)

    result = project.resolve(run=cargo, which=which_all, environ={"PATH": "/usr/bin", "HOME": ""})

    [(argv, kwargs)] = cargo.calls
    assert argv == ["/usr/local/bin/cargo", "lambda", "build", "--release", "--arm64"]
    assert kwargs["cwd"] == project.root / "demo-lambda"
    assert kwargs["env"]["AWS_LC_SYS_CMAKE_BUILDER"] == "1"
    assert kwargs["env"]["AWS_LC_SYS_NO_JITTER_ENTROPY"] == "1"
    assert kwargs["env"]["PATH"] == "/usr/bin"
    assert kwargs["timeout"] == BUILD_TIMEOUT_SECONDS
    assert kwargs["stderr"] == subprocess.STDOUT
    assert result.path == output
    assert result.source == "cargo lambda build (output target/lambda/bootstrap/bootstrap)"
    assert "   Compiling demo v0.1.0" in project.output
    assert "    Finished release" in project.output
    assert (project.work / "cargo-lambda-build.log").read_text().startswith("   Compiling")


def test_build_for_x86_64_in_project_root(project: Project) -> None:
    write(project.root / "Cargo.toml", '[package]\nname = "demo"\n')
    output = project.root / "target" / "lambda" / "demo" / "bootstrap"
    cargo = FakeCargo(output, machine=EM_X86_64)

    result = project.resolve(run=cargo, which=which_all, architecture="x86_64")

    [(argv, kwargs)] = cargo.calls
    assert argv[-1] == "--x86-64"
    assert kwargs["cwd"] == project.root
    assert result.path == output


def test_build_finds_the_only_wrapper_with_a_bootstrap_bin(project: Project) -> None:
    write(
        project.root / "other-lambda" / "Cargo.toml",
        '[package]\nname = "other-lambda"\n\n[[bin]]\nname = "bootstrap"\npath = "src/main.rs"\n',
    )
    cargo = FakeCargo(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    project.resolve(run=cargo, which=which_all, config=config(name="unrelated"))

    assert cargo.calls[0][1]["cwd"] == project.root / "other-lambda"


def test_build_uses_cargo_lambda_directly_without_cargo(project: Project) -> None:
    cargo = FakeCargo(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    def only_cargo_lambda(name: str) -> str | None:
        return "/opt/cargo-lambda" if name == "cargo-lambda" else None

    project.resolve(run=cargo, which=only_cargo_lambda)

    assert cargo.calls[0][0][:3] == ["/opt/cargo-lambda", "lambda", "build"]


def test_build_output_in_standalone_wrapper_target(project: Project) -> None:
    write(project.root / "demo-lambda" / "Cargo.toml", '[package]\nname = "demo-lambda"\n')
    output = project.root / "demo-lambda" / "target" / "lambda" / "bootstrap" / "bootstrap"

    result = project.resolve(run=FakeCargo(output), which=which_all)

    assert result.path == output


def test_build_adds_zigcc_wrappers_from_the_cache(project: Project) -> None:
    cache = project.tmp / "cache" / "cargo-zigbuild"
    for version in ("0.19.9", "0.19.10"):
        write(cache / version / "zigcc-aarch64-unknown-linux-gnu-abc.sh", "#!/bin/sh\n")
        write(cache / version / "ar", "")
    cargo = FakeCargo(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    project.resolve(
        run=cargo, which=which_all, environ={"XDG_CACHE_HOME": str(project.tmp / "cache")}
    )

    env = cargo.calls[0][1]["env"]
    assert env["CC_aarch64_unknown_linux_gnu"] == str(
        cache / "0.19.10" / "zigcc-aarch64-unknown-linux-gnu-abc.sh"
    )
    assert env["AR_aarch64_unknown_linux_gnu"] == str(cache / "0.19.10" / "ar")


def test_build_failure_reports_the_output_tail(project: Project) -> None:
    lines = [f"line {i}" for i in range(100)] + ["error[E0425]: cannot find value `x`"]
    cargo = FakeCargo(None, returncode=101, lines=lines)

    with pytest.raises(DeployError) as caught:
        project.resolve(run=cargo, which=which_all)

    error = caught.value
    assert "`cargo lambda build --release --arm64` failed with exit code 101" in error.message
    assert "error[E0425]: cannot find value `x`" in error.details
    assert "line 99" in error.details
    assert "line 10\n" not in error.details
    assert "log group above" in error.remediation
    assert "error[E0425]" in project.output  # streamed while it ran


def test_build_timeout(project: Project) -> None:
    cargo = FakeCargo(None, timeout=True, lines=["   Compiling slow"])

    with pytest.raises(DeployError) as caught:
        project.resolve(run=cargo, which=which_all)

    assert "did not finish within 30 minutes" in caught.value.message
    assert "Compiling slow" in caught.value.details


def test_build_that_cannot_start(project: Project) -> None:
    def missing(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError(2, "No such file or directory")

    with pytest.raises(ConfigError, match="Could not start `cargo lambda build"):
        project.resolve(run=missing, which=which_all)


def test_build_without_output(project: Project) -> None:
    cargo = FakeCargo(None)

    with pytest.raises(DeployError) as caught:
        project.resolve(run=cargo, which=which_all)

    assert "but no bootstrap appeared" in caught.value.message
    assert '[[bin]] name = "bootstrap"' in caught.value.remediation


def test_built_binary_is_checked_too(project: Project) -> None:
    cargo = FakeCargo(
        project.root / "target" / "lambda" / "bootstrap" / "bootstrap", machine=EM_X86_64
    )

    with pytest.raises(ConfigError, match="ELF binary for x86_64"):
        project.resolve(run=cargo, which=which_all)


# --- deterministic zips -----------------------------------------------------------------


def make_tree(root: Path) -> tuple[Path, list[tuple[Path, str]]]:
    bootstrap = write_bootstrap(root / "bootstrap", body=os.urandom(1000))
    assets = [
        (write(root / "static" / "z.css", "z" * 500), "assets/static/z.css"),
        (write(root / "static" / "a.json", '{"a": 1}'), "assets/static/a.json"),
        (write(root / "data" / "db.sqlite", os.urandom(300)), "assets/data/db.sqlite"),
    ]
    return bootstrap, assets


def test_zip_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    bootstrap, assets = make_tree(tmp_path / "src")
    config_toml = write(tmp_path / "src" / "config.toml", "[server]\n")
    first, second = tmp_path / "one.zip", tmp_path / "two" / "two.zip"

    build_deployment_zip(
        bootstrap, first, assets=assets, extra_root_files=[(config_toml, "config.toml")]
    )
    for path, _ in [(bootstrap, ""), (config_toml, ""), *assets]:
        os.utime(path, (1_000_000_000, 1_700_000_000))
        path.chmod(0o600)
    build_deployment_zip(
        bootstrap,
        second,
        assets=list(reversed(assets)),
        extra_root_files=[(config_toml, "config.toml")],
    )

    assert first.read_bytes() == second.read_bytes()
    assert sha256_file(first) == sha256_file(second)
    assert not list(tmp_path.glob("**/*.partial"))


def test_zip_entries_are_sorted_with_fixed_metadata(tmp_path: Path) -> None:
    bootstrap, assets = make_tree(tmp_path / "src")
    config_toml = write(tmp_path / "src" / "config.toml", "[server]\n")
    dest = tmp_path / "out" / "deployment.zip"

    build_deployment_zip(
        bootstrap, dest, assets=assets, extra_root_files=[(config_toml, "config.toml")]
    )

    with zipfile.ZipFile(dest) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == [
            "assets/data/db.sqlite",
            "assets/static/a.json",
            "assets/static/z.css",
            "bootstrap",
            "config.toml",
        ]
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.extra == b""
            assert not info.is_dir()
            expected = 0o100755 if info.filename == "bootstrap" else 0o100644
            assert info.external_attr >> 16 == expected
        assert archive.read("bootstrap") == bootstrap.read_bytes()
        assert archive.read("assets/static/z.css") == b"z" * 500
        assert archive.testzip() is None


def test_zip_rejects_bad_entry_names(tmp_path: Path) -> None:
    bootstrap = write_bootstrap(tmp_path / "bootstrap")

    with pytest.raises(ValueError, match="invalid name"):
        build_deployment_zip(bootstrap, tmp_path / "x.zip", assets=[(bootstrap, "../evil")])
    with pytest.raises(ValueError, match="duplicate"):
        build_deployment_zip(bootstrap, tmp_path / "x.zip", assets=[(bootstrap, "bootstrap")])


def test_resolved_zip_sha_is_stable_across_runs(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "static" / "index.html", "<h1>hi</h1>")
    settings = config(include=["static/**"])

    first = project.resolve(config=settings, packaging="zip")
    os.utime(project.root / "static" / "index.html", (0, 0))
    second = project.resolve(config=settings, packaging="zip")

    assert first.sha256 == second.sha256
    assert first == second


# --- assets -----------------------------------------------------------------------------


def test_assets_include_exclude_and_defaults(tmp_path: Path) -> None:
    write(tmp_path / "static" / "app.js", "js")
    write(tmp_path / "static" / "css" / "site.css", "css")
    write(tmp_path / "static" / "css" / "old.tmp", "tmp")
    write(tmp_path / "static" / ".DS_Store", "mac")
    write(tmp_path / "static" / "draft.md", "md")
    write(tmp_path / "data" / "chinook.db", "db")
    write(tmp_path / "data" / "other.db", "db")
    write(tmp_path / "README.md", "readme")

    found = collect_assets(
        tmp_path,
        AssetsConfig(
            include=("static/**", "data/chinook.db", "*.md"), exclude=(*_defaults(), "**/draft.md")
        ),
    )

    assert [arc for _, arc in found] == [
        "assets/README.md",
        "assets/data/chinook.db",
        "assets/static/app.js",
        "assets/static/css/site.css",
    ]
    assert found[0][0] == tmp_path / "README.md"


def _defaults() -> tuple[str, ...]:
    return AssetsConfig().exclude


def test_assets_double_star_matches_zero_directories(tmp_path: Path) -> None:
    write(tmp_path / "top.json", "{}")
    write(tmp_path / "a" / "b" / "deep.json", "{}")
    write(tmp_path / "a" / "b" / "deep.txt", "x")

    found = collect_assets(tmp_path, AssetsConfig(include=("**/*.json",)))

    assert [arc for _, arc in found] == ["assets/a/b/deep.json", "assets/top.json"]


def test_assets_single_star_stays_in_its_directory(tmp_path: Path) -> None:
    write(tmp_path / "static" / "a.css", "a")
    write(tmp_path / "static" / "sub" / "b.css", "b")

    found = collect_assets(tmp_path, AssetsConfig(include=("static/*.css",)))

    assert [arc for _, arc in found] == ["assets/static/a.css"]


def test_assets_base_dir(tmp_path: Path) -> None:
    write(tmp_path / "web" / "dist" / "index.html", "i")
    write(tmp_path / "web" / "dist" / "js" / "app.js", "j")
    write(tmp_path / "web" / "dist" / "js" / "app.js.tmp", "t")

    found = collect_assets(tmp_path, AssetsConfig(include=("**",), base_dir="web/dist"))

    assert found == [
        (tmp_path / "web" / "dist" / "index.html", "assets/index.html"),
        (tmp_path / "web" / "dist" / "js" / "app.js", "assets/js/app.js"),
    ]


def test_assets_exclude_relative_to_project_root_with_base_dir(tmp_path: Path) -> None:
    write(tmp_path / "web" / "a.txt", "a")
    write(tmp_path / "web" / "b.txt", "b")

    found = collect_assets(
        tmp_path, AssetsConfig(include=("*.txt",), exclude=("web/b.txt",), base_dir="web")
    )

    assert [arc for _, arc in found] == ["assets/a.txt"]


def test_assets_file_matched_twice_is_packed_once(tmp_path: Path) -> None:
    write(tmp_path / "static" / "a.css", "a")

    found = collect_assets(tmp_path, AssetsConfig(include=("static/*", "**/*.css")))

    assert [arc for _, arc in found] == ["assets/static/a.css"]


def test_assets_unmatched_pattern_warns(tmp_path: Path) -> None:
    write(tmp_path / "static" / "a.css", "a")
    write(tmp_path / "tmp" / "x.tmp", "x")
    console, log = new_console()

    found = collect_assets(
        tmp_path, AssetsConfig(include=("static", "missing/*.png", "tmp/*")), console=console
    )

    assert found == []
    text = log.getvalue()
    assert "pattern 'static' matches no files" in text
    assert "use 'static/**' for its files" in text
    assert "pattern 'missing/*.png' matches no files" in text
    assert "its 1 match(es) are all excluded by [assets].exclude" in text


def test_assets_missing_base_dir_warns(tmp_path: Path) -> None:
    console, log = new_console()

    assert (
        collect_assets(tmp_path, AssetsConfig(include=("*",), base_dir="nope"), console=console)
        == []
    )
    assert "[assets].base_dir 'nope' is not a directory" in log.getvalue()


def test_assets_without_include_is_empty(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "a")

    assert collect_assets(tmp_path, AssetsConfig()) == []


@pytest.mark.parametrize("pattern", ["../shared/*.json", "static/../../x", "/etc/passwd"])
def test_assets_patterns_that_leave_the_root_are_refused(tmp_path: Path, pattern: str) -> None:
    with pytest.raises(ConfigError) as caught:
        collect_assets(tmp_path, AssetsConfig(include=(pattern,)))

    assert repr(pattern) in caught.value.message


def test_assets_base_dir_outside_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (tmp_path / "outside").mkdir()

    with pytest.raises(ConfigError, match="outside the project root"):
        collect_assets(root, AssetsConfig(include=("*",), base_dir="../outside"))


def test_assets_escaping_file_symlink_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    secret = write(tmp_path / "secret.txt", "s3cret")
    (root / "static").mkdir(parents=True)
    (root / "static" / "leak.txt").symlink_to(secret)

    with pytest.raises(ConfigError) as caught:
        collect_assets(root, AssetsConfig(include=("static/*",)))

    assert "static/leak.txt" in caught.value.message
    assert str(secret) in caught.value.message
    assert "outside the project root" in caught.value.message


def test_assets_escaping_directory_symlink_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(tmp_path / "shared" / "data.json", "{}")
    (root / "static").mkdir(parents=True)
    (root / "static" / "shared").symlink_to(tmp_path / "shared")

    with pytest.raises(ConfigError, match="static/shared/"):
        collect_assets(root, AssetsConfig(include=("static/**",)))


def test_assets_escaping_symlink_outside_the_patterns_is_ignored(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root / "static" / "a.css", "a")
    (root / "venv-python").symlink_to("/usr/bin/env")
    (root / "external").symlink_to(tmp_path)

    found = collect_assets(root, AssetsConfig(include=("static/**",)))

    assert [arc for _, arc in found] == ["assets/static/a.css"]


def test_assets_symlinks_inside_the_root_are_followed(tmp_path: Path) -> None:
    write(tmp_path / "real" / "a.css", "a")
    (tmp_path / "static").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")

    found = collect_assets(tmp_path, AssetsConfig(include=("static/**",)))

    assert [arc for _, arc in found] == ["assets/static/a.css"]


# --- packaging rules (auto vs zip, config.toml) -----------------------------------------


def test_auto_with_assets_builds_a_zip(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "static" / "index.html", "<h1>hi</h1>")

    result = project.resolve(config=config(include=["static/**"]))

    assert result.kind == "zip"
    assert result.path == project.work / "deployment.zip"
    assert zip_names(result.path) == ["assets/static/index.html", "bootstrap"]
    assert result.source == "cargo-lambda output target/lambda/bootstrap/bootstrap"


def test_auto_with_unmatched_assets_stays_raw(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    result = project.resolve(config=config(include=["static/**"]))

    assert result.kind == "bootstrap"
    assert "pattern 'static/**' matches no files" in project.output


def test_assets_inside_the_work_dir_are_skipped(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "static" / "a.css", "a")
    work = project.root / "deploy" / ".build"
    write(work / "deployment.zip", b"old")

    result = project.resolve(config=config(include=["**/*"]), work_dir=work, packaging="zip")

    names = zip_names(result.path)
    assert "assets/static/a.css" in names
    assert not any(n.startswith("assets/deploy/") for n in names)


def test_root_config_toml_is_bundled(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    text = '[server]\nname = "demo"\ntoken_secret = "dev-secret"\n'
    write(project.root / "config.toml", text)

    result = project.resolve()

    assert result.kind == "zip"
    assert zip_names(result.path) == ["bootstrap", "config.toml"]
    assert zip_read(result.path, "config.toml") == text.encode()  # not config-driven: verbatim
    with zipfile.ZipFile(result.path) as archive:
        assert archive.getinfo("config.toml").external_attr >> 16 == 0o100644


def test_single_instance_toml_is_bundled_as_config_toml(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "instances" / "prod.toml", "[server]\nname = 'prod'\n")

    result = project.resolve()

    assert zip_read(result.path, "config.toml") == b"[server]\nname = 'prod'\n"


def test_several_instance_tomls_are_not_bundled(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(project.root / "instances" / "prod.toml", "a = 1\n")
    write(project.root / "instances" / "dev.toml", "a = 2\n")

    assert project.resolve().kind == "bootstrap"


def test_config_driven_project_rewrites_token_secret(project: Project) -> None:
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")
    write(
        project.root / "Cargo.toml",
        '[package]\nname = "demo"\n[dependencies]\npmcp-server-toolkit = "0.1"\n',
    )
    write(project.root / "schema.sql", "CREATE TABLE t(id INTEGER);\n")
    write(
        project.root / "config.toml",
        '[code_mode]\r\n  token_secret = "dev-literal"\r\n'
        'token_secret_env = "X"\r\nname = "demo"\r\n',
    )
    write(project.root / "static" / "config.toml", 'token_secret="inline"\nother = 1')

    result = project.resolve(config=config(include=["static/**"]), packaging="zip")

    assert zip_read(result.path, "config.toml") == (
        b'[code_mode]\n  token_secret = "${CODE_MODE_SECRET}"\ntoken_secret_env = "X"\n'
        b'name = "demo"\n'
    )
    assert zip_read(result.path, "assets/static/config.toml") == (
        b'token_secret = "${CODE_MODE_SECRET}"\nother = 1'
    )
    assert b"dev-literal" in (project.root / "config.toml").read_bytes()  # disk untouched


def test_zip_mode_without_extras_holds_only_bootstrap(project: Project) -> None:
    binary = write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    result = project.resolve(packaging="zip")

    assert zip_names(result.path) == ["bootstrap"]
    assert result.bootstrap_sha256 == sha256_file(binary)
    assert result.sha256 != result.bootstrap_sha256


def test_invalid_packaging_and_architecture(project: Project) -> None:
    with pytest.raises(ValueError, match="packaging"):
        project.resolve(packaging="tar")
    with pytest.raises(ConfigError, match="Unknown Lambda architecture 'riscv'"):
        project.resolve(architecture="riscv")


def test_server_name_argument_overrides_config(project: Project) -> None:
    lambda_dir = project.root / "target" / "lambda"
    write_bootstrap(lambda_dir / "alpha" / "bootstrap")
    binary = write_bootstrap(lambda_dir / "detected" / "bootstrap")

    assert project.resolve(config=config(name=""), server_name="detected").path == binary


# --- size limits ------------------------------------------------------------------------


def test_unzipped_size_over_the_limit_is_an_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmcp_action.artifact.lambda_package.limits.LAMBDA_UNZIPPED_LIMIT", 1000)
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap", body=b"x" * 600)
    write(project.root / "static" / "big.bin", b"y" * 500)

    with pytest.raises(ConfigError) as caught:
        project.resolve(config=config(include=["static/*"]))

    error = caught.value
    assert "(1164 bytes) unzipped" in error.message
    assert "limit of 0.0 MiB (1000 bytes)" in error.message
    assert "- bootstrap: 0.0 MiB (664 bytes)" in error.details
    assert "- assets/static/big.bin: 0.0 MiB (500 bytes)" in error.details
    assert not (project.work / "deployment.zip").exists()


def test_raw_bootstrap_over_the_limit_is_an_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmcp_action.artifact.lambda_package.limits.LAMBDA_UNZIPPED_LIMIT", 100)
    write_bootstrap(project.root / "bootstrap", body=b"x" * 100)

    with pytest.raises(ConfigError, match="above AWS Lambda's limit"):
        project.resolve(artifact_input=Path("bootstrap"))


def test_input_zip_unzipped_over_the_limit(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmcp_action.artifact.lambda_package.limits.LAMBDA_UNZIPPED_LIMIT", 1000)
    make_zip(project.root / "d.zip", {"bootstrap": elf(), "assets/big": b"\x00" * 5000})

    with pytest.raises(ConfigError, match=r"\(5128 bytes\) unzipped"):
        project.resolve(artifact_input=Path("d.zip"))


def test_zip_over_the_direct_upload_limit_warns(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pmcp_action.artifact.lambda_package.limits.LAMBDA_DIRECT_UPLOAD_LIMIT", 10)
    write_bootstrap(project.root / "target" / "lambda" / "bootstrap" / "bootstrap")

    result = project.resolve(packaging="zip")

    assert result.kind == "zip"
    assert "above Lambda's 0.0 MiB direct-upload limit" in project.output
    assert "goes through S3" in project.output


def test_build_streams_a_real_child_process(project: Project) -> None:
    output = project.root / "target" / "lambda" / "bootstrap" / "bootstrap"
    script = (
        "import pathlib, sys\n"
        "print('compiling with a real pipe', flush=True)\n"
        "print('warning on stderr', file=sys.stderr, flush=True)\n"
        f"p = pathlib.Path({str(output)!r}); p.parent.mkdir(parents=True)\n"
        f"p.write_bytes({elf()!r}); p.chmod(0o755)\n"
    )

    def real_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert argv[1:4] == ["lambda", "build", "--release"]
        return subprocess.run([sys.executable, "-c", script], **kwargs)

    result = project.resolve(run=real_run, which=which_all)

    assert result.path == output
    assert "compiling with a real pipe" in project.output
    assert "warning on stderr" in project.output
