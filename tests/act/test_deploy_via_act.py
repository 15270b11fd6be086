"""Real deploys through `uses: ./` under act, against the emulators (deploy-local.yml).

Both targets run the same generic job, as scripts/demo does: the emulator tests.fakes declares
for the target gives the job's environment (--env) and secrets (--secret).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from pmcp_action.action_image import GENERATED_DIR
from tests.act.helpers import RunAct
from tests.fakes.artifacts import stand_in_bootstrap
from tests.fakes.aws_lambda import MotoProxy
from tests.fakes.emulators import demo_emulators
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.pmcp_run import DEFAULT_CLIENT_SECRET, FakePmcpRun
from tests.support.demo import EVENT, JOB, WORKFLOW, act_env
from tests.support.repository import dockerfile_base_image

pytestmark = [pytest.mark.act, pytest.mark.docker, pytest.mark.timeout(1500)]


@pytest.fixture
def stand_in_artifact(act_repository: Path) -> Iterator[Path]:
    path = act_repository / "examples/hello-mcp/target/lambda/bootstrap/bootstrap"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stand_in_bootstrap(b"act"))
    path.chmod(0o755)
    yield path
    path.unlink()


def test_pmcp_run_deploy_job(
    act_run: RunAct, act_repository: Path, stand_in_artifact: Path
) -> None:
    emulator = demo_emulators()["pmcp-run"]
    with emulator.start() as running:
        url = running.urls["pmcp-run"]
        fake: FakePmcpRun = running.fakes["pmcp-run"]
        run = act_run(
            job=JOB,
            workflow=WORKFLOW,
            event=EVENT,
            env=act_env(emulator, running),
            secrets=running.secrets,
        )
    assert run.exit_code == 0, run.describe()
    assert run.step_result("deploy") == "success", run.describe()
    outputs = run.outputs("deploy")
    assert outputs["status"] == "success" and outputs["verified"] == "true", outputs
    assert outputs["url"].startswith(str(url)), outputs
    checked = run.step_stdout("check")
    assert "e2e-check: status=success verified=true server=hello-mcp tools=3" in checked, checked
    assert "e2e-check: ok" in checked
    assert DEFAULT_CLIENT_SECRET not in run.text
    assert fake.requests_to("/graphql", "POST")
    # A successful run removed the inner action it wrote into the workspace.
    assert not (act_repository / GENERATED_DIR).exists()


def test_aws_lambda_deploy_job_with_oidc(act_run: RunAct, stand_in_artifact: Path) -> None:
    emulator = demo_emulators()["aws-lambda"]
    with emulator.start() as running:
        proxy: MotoProxy = running.fakes["proxy"]
        issuer: FakeOidcIssuer = running.fakes["oidc"]
        run = act_run(
            job=JOB,
            workflow=WORKFLOW,
            event=EVENT,
            env=act_env(emulator, running),
            secrets=running.secrets,
        )
    assert run.exit_code == 0, run.describe()
    outputs = run.outputs("deploy")
    assert outputs["status"] == "success", run.describe()
    assert outputs["version"] == "1" and outputs["log-group"] == "/aws/lambda/hello-mcp"
    assert run.step_result("check") == "success", run.describe()
    [exchange] = proxy.requests_for("AssumeRoleWithWebIdentity")
    token = parse_qs(exchange.body.decode())["WebIdentityToken"][0]
    assert issuer.verify(token, "sts.amazonaws.com")["iss"] == issuer.issuer
    assert token not in run.text


def test_cloudflare_workers_deploy_job(act_run: RunAct, act_repository: Path) -> None:
    from tests.fakes.cloudflare_workers import TOKEN, FakeCloudflare

    emulator = demo_emulators()["cloudflare-workers"]
    assert emulator.stand_in is not None
    emulator.stand_in(act_repository / "examples/hello-mcp")
    with emulator.start() as running:
        fake: FakeCloudflare = running.fakes["cloudflare-workers"]
        run = act_run(
            job=JOB,
            workflow=WORKFLOW,
            event=EVENT,
            env=act_env(emulator, running),
            secrets=running.secrets,
        )
        script = fake.script("hello-mcp")
    assert run.exit_code == 0, run.describe()
    outputs = run.outputs("deploy")
    assert outputs["status"] == "success" and outputs["verified"] == "true", outputs
    assert outputs["mcp-server-name"] == "stand-in-worker", outputs
    assert script is not None and outputs["version"] == script.versions[-1].id
    assert run.step_result("check") == "success", run.describe()
    assert TOKEN not in run.text


def _standin_binary(act_repository: Path) -> Path:
    """The Rust MCP stand-in where examples/hello-mcp's release build puts its binary."""
    from tests.fakes.rust_mcp import place_standin, rustc_problem
    from tests.support.machine import unavailable
    from tests.support.registry import registry_problem

    problem = registry_problem() or rustc_problem()
    if problem is not None:
        unavailable(problem)
    return place_standin(
        act_repository / "examples/hello-mcp/target/release/hello-mcp", "hello-mcp"
    )


def test_google_cloud_run_deploy_job_with_an_assembled_image(
    act_run: RunAct, act_repository: Path, tmp_path: Path
) -> None:
    """WIF with impersonation; the Rust MCP stand-in assembled onto the base and pushed to
    docker-registry as oauth2accesstoken, pulled and run as the revision, verified over MCP."""
    from tests.support.google_registry import google_with_registry

    emulator = demo_emulators()["google-cloud-run"]
    binary = _standin_binary(act_repository)
    try:
        with google_with_registry(tmp_path / "google", dockerfile_base_image()) as google:
            run = act_run(
                job=JOB,
                workflow=WORKFLOW,
                event=EVENT,
                env=act_env(emulator, google.running),
                secrets=google.running.secrets,
            )
            pulled = list(google.runner.pulled)
            errors = list(google.runner.errors)
            registry = google.registry
            manifest = (
                google.pulled_manifest(run.outputs("deploy")["image"]) if run.exit_code == 0 else {}
            )
            secrets = google.secrets()
    finally:
        binary.unlink()
    assert run.exit_code == 0, run.describe() + "\n" + "\n".join(errors)
    outputs = run.outputs("deploy")
    assert outputs["status"] == "success" and outputs["verified"] == "true", outputs
    assert outputs["mcp-server-name"] == "rust-standin", outputs
    assert outputs["tool-count"] == "2", outputs  # greet and env_is_set
    image = outputs["image"]
    assert image.startswith(f"{registry}/pmcp-emulator/pmcp/hello-mcp@sha256:"), outputs
    assert pulled == [image], errors
    assert manifest["schemaVersion"] == 2 and len(manifest["layers"]) >= 2, manifest
    assert outputs["project"] == "pmcp-emulator" and outputs["version"] == "hello-mcp-00001-x"
    checked = run.step_stdout("check")
    assert "e2e-check: status=success verified=true server=rust-standin tools=2" in checked
    assert run.step_result("check") == "success", run.describe()
    assert secrets
    for secret in secrets:
        assert secret not in run.text


def test_azure_container_apps_deploy_job_with_an_assembled_image(
    act_run: RunAct, act_repository: Path, tmp_path: Path
) -> None:
    """The Rust MCP stand-in assembled and pushed to ACR (docker-registry), run as the revision."""
    from tests.fakes.azure_container_apps import EMULATOR_SECRET
    from tests.support.azure_acr import azure_with_registry

    base_image = dockerfile_base_image()
    emulator = demo_emulators()["azure-container-apps"]
    binary = _standin_binary(act_repository)
    try:
        with azure_with_registry(tmp_path / "azure", base_image) as azure:
            run = act_run(
                job=JOB,
                workflow=WORKFLOW,
                event=EVENT,
                env=act_env(emulator, azure.running),
                secrets=azure.running.secrets,
            )
            pulled = list(azure.runner.pulled)
            errors = list(azure.runner.errors)
            registry = azure.registry
    finally:
        binary.unlink()
    assert run.exit_code == 0, run.describe() + "\n" + "\n".join(errors)
    outputs = run.outputs("deploy")
    assert outputs["status"] == "success" and outputs["verified"] == "true", outputs
    assert outputs["mcp-server-name"] == "rust-standin", outputs
    assert outputs["image-source"] == "assembled", outputs
    assert outputs["image"].startswith(f"{registry}/hello-mcp@sha256:"), outputs
    assert pulled == [outputs["image"]], errors
    assert run.step_result("check") == "success", run.describe()
    assert EMULATOR_SECRET not in run.text
