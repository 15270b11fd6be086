"""The Lambda package built with `cargo lambda build`."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from pmcp_action.artifact.lambda_package import BUILD_TIMEOUT_SECONDS
from pmcp_action.errors import ConfigError, DeployError
from tests.unit.artifact.helpers import EM_X86_64, FakeCargo, Project, config, elf, which_all, write


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


def test_build_features_and_no_default_features_reach_cargo(project: Project) -> None:
    from dataclasses import replace

    from pmcp_action.settings.deploy_toml import BuildConfig

    write(project.root / "Cargo.toml", '[package]\nname = "demo"\n')
    output = project.root / "target" / "lambda" / "demo" / "bootstrap"
    cargo = FakeCargo(output)
    built = replace(config(), build=BuildConfig(features=("otel", "db"), no_default_features=True))

    project.resolve(run=cargo, which=which_all, config=built)

    [(argv, _)] = cargo.calls
    assert argv[2:] == [
        "build",
        "--release",
        "--arm64",
        "--features=otel,db",
        "--no-default-features",
    ]


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
