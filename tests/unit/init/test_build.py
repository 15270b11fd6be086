"""init.build: the step each artifact kind needs, found where the kind looks."""

from __future__ import annotations

from pathlib import Path

from pmcp_action.init.build import build_plan
from pmcp_action.init.model import BuildPlan
from pmcp_action.settings.declaration import ArtifactBuild
from pmcp_action.settings.deploy_toml import DeployConfig, ServerConfig
from tests.support.monorepo import write_files


def _plan(
    kind: ArtifactBuild,
    project: Path,
    *,
    root: Path | None = None,
    architecture: str = "",
    config: DeployConfig | None = None,
) -> BuildPlan | None:
    return build_plan(
        kind,
        project=project,
        repository_root=root or project,
        server_name="calc",
        architecture=architecture,
        config=config or DeployConfig(),
    )


def test_a_lambda_is_built_in_its_wrapper_crate_for_its_architecture(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "Cargo.toml": '[workspace]\nmembers = ["calc", "calc-lambda"]\n',
            "calc-lambda/Cargo.toml": '[package]\nname = "calc-lambda"\n'
            '[[bin]]\nname = "bootstrap"\npath = "src/main.rs"\n',
        },
    )
    plan = _plan(ArtifactBuild.LAMBDA_PACKAGE, tmp_path, architecture="x86_64")
    assert plan is not None
    assert plan.directory == "calc-lambda"
    assert plan.setup == ("rustup target add x86_64-unknown-linux-gnu",)
    assert plan.commands == ("cargo lambda build --release --x86-64",)
    assert plan.outputs == ("target/lambda/",)  # the workspace's target directory
    assert dict(plan.env)["AWS_LC_SYS_CMAKE_BUILDER"] == "1"
    default = _plan(ArtifactBuild.LAMBDA_PACKAGE, tmp_path, root=tmp_path.parent)
    assert default is not None and default.commands == ("cargo lambda build --release --arm64",)
    assert default.directory == f"{tmp_path.name}/calc-lambda"


def test_an_image_is_the_release_binary_unless_there_is_a_dockerfile(tmp_path: Path) -> None:
    config = DeployConfig(server=ServerConfig(binary="calc-server"))
    plan = _plan(ArtifactBuild.OCI_IMAGE, tmp_path, config=config)
    assert plan is not None
    assert plan.commands == ("cargo build --release --bin calc-server",)
    assert plan.outputs == ("target/release/calc-server",)
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    assert _plan(ArtifactBuild.OCI_IMAGE, tmp_path, config=config) is None


def test_a_workers_bundle_and_no_build(tmp_path: Path) -> None:
    plan = _plan(ArtifactBuild.WORKERS_BUNDLE, tmp_path)
    assert plan is not None
    assert (plan.directory, plan.commands, plan.outputs) == (
        "deploy/cloudflare",
        ("worker-build --release",),
        ("deploy/cloudflare/build/",),
    )
    assert "cargo install --locked worker-build" in plan.setup
    assert _plan(ArtifactBuild.NONE, tmp_path) is None
