"""Real deploys through `uses: ./` under act, against the emulators (deploy-local.yml)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.act.helpers import RunAct
from tests.fakes.artifacts import stand_in_bootstrap
from tests.fakes.mcp_servers import serve_mcp
from tests.fakes.moto_server import MotoProxy, MotoServer
from tests.fakes.oidc_issuer import DEFAULT_REQUEST_TOKEN, FakeOidcIssuer
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_fake
from tests.fakes.server import serve
from tests.support.aws import DEPLOYER_ROLE

pytestmark = [pytest.mark.act, pytest.mark.docker, pytest.mark.timeout(1500)]


@pytest.fixture
def stand_in_artifact(act_repository: Path) -> Iterator[Path]:
    path = act_repository / "examples/hello-mcp/target/lambda/bootstrap/bootstrap"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stand_in_bootstrap(b"act"))
    path.chmod(0o755)
    yield path
    path.unlink()


def test_pmcp_run_deploy_job(act_run: RunAct, stand_in_artifact: Path) -> None:
    fake = create_fake()
    with serve(fake) as url:
        run = act_run(
            job="pmcp-run",
            workflow="deploy-local.yml",
            event="workflow_dispatch",
            env={"PMCP_API_URL": str(url), "PMCP_CLIENT_ID": DEFAULT_CLIENT_ID},
            secrets={"PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET},
        )
    assert run.exit_code == 0, run.describe()
    assert run.step_result("deploy") == "success", run.describe()
    outputs = run.outputs("deploy")
    assert outputs["status"] == "success" and outputs["verified"] == "true", outputs
    assert outputs["url"].startswith(str(url)), outputs
    checked = run.step_stdout("check")
    assert "e2e-check: status=success verified=true server=hello-mcp tools=2" in checked, checked
    assert "e2e-check: ok" in checked
    assert DEFAULT_CLIENT_SECRET not in run.text
    assert fake.requests_to("/graphql", "POST")


def test_aws_lambda_deploy_job_with_oidc(act_run: RunAct, stand_in_artifact: Path) -> None:
    moto = MotoServer().start()
    moto.reset()
    proxy = MotoProxy(moto.url)
    issuer = FakeOidcIssuer()
    try:
        with serve(proxy) as aws_url, serve(issuer) as issuer_url, serve_mcp() as mcp:
            run = act_run(
                job="aws-lambda",
                workflow="deploy-local.yml",
                event="workflow_dispatch",
                env={
                    "AWS_ENDPOINT_URL": str(aws_url),
                    "AWS_ROLE_TO_ASSUME": DEPLOYER_ROLE,
                    "ACTIONS_ID_TOKEN_REQUEST_URL": f"{issuer_url}/token?api-version=2.0",
                    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DEFAULT_REQUEST_TOKEN,
                    "PMCP_VERIFY_URL": mcp.url,
                },
            )
    finally:
        proxy.close()
        moto.stop()
    assert run.exit_code == 0, run.describe()
    outputs = run.outputs("deploy")
    assert outputs["status"] == "success", run.describe()
    assert outputs["version"] == "1" and outputs["log-group"] == "/aws/lambda/hello-mcp"
    assert run.step_result("check") == "success", run.describe()
    [exchange] = proxy.requests_for("AssumeRoleWithWebIdentity")
    token = parse_qs(exchange.body.decode())["WebIdentityToken"][0]
    assert issuer.verify(token, "sts.amazonaws.com")["iss"] == issuer.issuer
    assert token not in run.text
