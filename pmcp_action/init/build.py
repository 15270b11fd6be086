"""The step that builds what a target deploys, by the artifact kind its declaration names
(:class:`~pmcp_action.settings.declaration.ArtifactBuild`), found where the kind looks."""

from __future__ import annotations

import shlex
from pathlib import Path

from ..artifact.lambda_package.build import CARGO_LAMBDA_FLAG, build_env, lambda_package_dir
from ..artifact.lambda_package.kind import LambdaPackage
from ..artifact.locate import resolve_target_dir
from ..artifact.workers_bundle.kind import WorkersBundle
from ..settings.declaration import ArtifactBuild
from ..settings.deploy_toml import DeployConfig
from .model import BuildPlan

__all__ = ["RUST_TARGETS", "build_plan"]

#: The Rust target of each Lambda architecture (cargo lambda cross-compiles with zig).
RUST_TARGETS = {"arm64": "aarch64-unknown-linux-gnu", "x86_64": "x86_64-unknown-linux-gnu"}
_WASM = "wasm32-unknown-unknown"


def _within(path: Path, root: Path) -> str:
    """``path`` relative to the repository, "." for its root; outside it, as it is."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _lambda(project: Path, root: Path, server_name: str, architecture: str) -> BuildPlan:
    architecture = architecture or LambdaPackage(packaging="auto").architecture
    crate = lambda_package_dir(project, server_name)
    target_dir = resolve_target_dir(crate, {}, project).path
    return BuildPlan(
        title=f"Build the Lambda bootstrap ({architecture}; cargo lambda cross-compiles with zig)",
        directory=_within(crate, root),
        env=tuple(sorted(build_env({}, architecture).items())),
        python_tools=("cargo-lambda", "ziglang"),
        apt_packages=("cmake",),
        setup=(f"rustup target add {RUST_TARGETS[architecture]}",),
        commands=(f"cargo lambda build --release {CARGO_LAMBDA_FLAG[architecture]}",),
        outputs=(_within(target_dir / "lambda", root) + "/",),
    )


def _image(project: Path, root: Path, server_name: str, config: DeployConfig) -> BuildPlan | None:
    if (project / "Dockerfile").is_file():
        return None  # the target builds the Dockerfile itself
    binary = config.server.binary or server_name
    target_dir = resolve_target_dir(project, {}, project).path
    command = "cargo build --release"
    if config.server.binary:
        command += f" --bin {shlex.quote(config.server.binary)}"
    return BuildPlan(
        title="Build the server's Linux binary (laid onto the base image by the deploy)",
        directory=_within(project, root),
        env=(),
        python_tools=(),
        apt_packages=(),
        setup=(),
        commands=(command,),
        outputs=(_within(target_dir / "release" / binary, root),),
    )


def _workers(project: Path, root: Path) -> BuildPlan:
    bundle = WorkersBundle()
    return BuildPlan(
        title="Build the Workers bundle (worker-build, wasm)",
        directory=_within(project / bundle.crate_dir, root),
        env=(),
        python_tools=(),
        apt_packages=(),
        setup=(f"rustup target add {_WASM}", "cargo install --locked worker-build"),
        commands=("worker-build --release",),
        outputs=(_within(project / bundle.build_dir, root) + "/",),
    )


def build_plan(
    kind: ArtifactBuild,
    *,
    project: Path,
    repository_root: Path,
    server_name: str,
    architecture: str,
    config: DeployConfig,
) -> BuildPlan | None:
    """The build a job runs before deploying, or None when the deploy needs none.
    ``architecture``: a Lambda's ("" for the kind's default)."""
    if kind is ArtifactBuild.LAMBDA_PACKAGE:
        return _lambda(project, repository_root, server_name, architecture)
    if kind is ArtifactBuild.OCI_IMAGE:
        return _image(project, repository_root, server_name, config)
    if kind is ArtifactBuild.WORKERS_BUNDLE:
        return _workers(project, repository_root)
    return None
