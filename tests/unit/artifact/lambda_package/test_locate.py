"""lambda_package.locate: the bootstrap from the ``artifact`` input (a binary or a directory
holding one, read strictly: regular files, sized first, never linked out of the workspace) or
from cargo-lambda's output under the Cargo target directory, and the message when there is
none."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest

from pmcp_action.artifact import ArtifactRequest, sha256_file
from pmcp_action.artifact.lambda_package import LambdaArtifact, LambdaPackage
from pmcp_action.artifact.lambda_package.limits import LAMBDA_UNZIPPED_LIMIT
from pmcp_action.deadline import Deadline
from pmcp_action.errors import ConfigError, TimeoutExceededError
from tests.unit.artifact.helpers import (
    Project,
    config,
    elf,
    make_zip,
    new_console,
    no_run,
    no_which,
    write,
    write_bootstrap,
    zip_names,
    zip_read,
)

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
            deadline=Deadline(600),
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
                deadline=Deadline(600),
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
            deadline=Deadline(600),
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


_NOT_READ_FIX = (
    "Set `artifact` to the bootstrap binary, a directory containing `bootstrap`, or a "
    "deployment zip. Devices, FIFOs and sockets are never read: they can block or never end."
)


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
