"""The Lambda package from cargo-lambda's output under the Cargo target directory,
and the message when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.artifact import ArtifactRequest
from pmcp_action.artifact.lambda_package import LambdaPackage
from pmcp_action.deadline import Deadline
from pmcp_action.errors import ConfigError
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
