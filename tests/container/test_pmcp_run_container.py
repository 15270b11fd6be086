"""The pmcp-run target through the action image, against the pmcp.run fake on loopback."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container.helpers import RunActionContainer
from tests.fakes.artifacts import example_project
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakePmcpRun, create_fake
from tests.fakes.server import serve
from tests.support.mcp_tool import call_tool

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]


@pytest.fixture
def pmcp_run() -> Iterator[tuple[FakePmcpRun, str]]:
    fake = create_fake()
    with serve(fake) as url:
        yield fake, str(url)


def test_deploy_and_verify_through_the_image(
    run_action_container: RunActionContainer, tmp_path: Path, pmcp_run: tuple[FakePmcpRun, str]
) -> None:
    fake, url = pmcp_run
    workspace = example_project(tmp_path / "workspace", b"container")

    run = run_action_container(
        inputs={
            "target": "pmcp-run",
            "pmcp-api-url": url,
            "pmcp-client-id": DEFAULT_CLIENT_ID,
            "pmcp-client-secret": DEFAULT_CLIENT_SECRET,
        },
        workspace=workspace,
    )

    assert run.exit_code == 0, run.describe()
    outputs = run.outputs
    assert outputs["status"] == "success"
    assert outputs["url"].startswith(url) and outputs["url"].endswith("/mcp")
    assert outputs["verified"] == "true" and outputs["mcp-server-name"] == "hello-mcp"
    assert outputs["version"] == "0.3.1"
    assert outputs["deployment-id"]
    assert "✅ Deployed" in run.summary
    deployment_file = (workspace / ".pmcp" / "deployment.toml").read_text()
    assert f'endpoint = "{outputs["url"]}"' in deployment_file
    # The client secret and every minted token appear only in ::add-mask:: commands.
    masked = [
        line.removeprefix("::add-mask::")
        for line in run.stdout.splitlines()
        if line.startswith("::add-mask::")
    ]
    assert DEFAULT_CLIENT_SECRET in masked
    printed = "\n".join(
        line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
    )
    for secret in masked:
        assert secret not in printed
    assert str(run.report()["status"]) == "success"
    assert fake.requests_to("/graphql")


def test_gitlab_style_run_of_the_same_image(
    run_action_container: RunActionContainer, tmp_path: Path, pmcp_run: tuple[FakePmcpRun, str]
) -> None:
    """GitLab: `image:` with `entrypoint: [""]`, the CLI from the script, a dotenv report."""
    _, url = pmcp_run
    workspace = example_project(tmp_path / "workspace", b"gitlab")
    gitlab_env: dict[str, str | None] = {
        name: None
        for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE")
    }
    gitlab_env.update(
        {
            "GITLAB_CI": "true",
            "CI_PROJECT_DIR": "/github/workspace",
            "PMCP_CLIENT_ID": DEFAULT_CLIENT_ID,
            "PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        }
    )
    run = run_action_container(
        env=gitlab_env,
        workspace=workspace,
        entrypoint="",
        args=["sh", "-c", f"pmcp-action deploy --target pmcp-run --pmcp-api-url {url}"],
    )
    assert run.exit_code == 0, run.describe()
    values = dict(
        line.split("=", 1) for line in (workspace / "pmcp-deploy.env").read_text().splitlines()
    )
    assert values["PMCP_OUT_STATUS"] == "success" and values["PMCP_OUT_VERIFIED"] == "true"
    assert values["PMCP_OUT_URL"].startswith(url)
    assert (workspace / "pmcp-deploy-report.json").is_file()
    assert DEFAULT_CLIENT_SECRET not in run.stdout + run.stderr


def test_a_secret_given_to_the_image_reaches_the_deployed_server(
    run_action_container: RunActionContainer, tmp_path: Path, pmcp_run: tuple[FakePmcpRun, str]
) -> None:
    """The secrets input through the image: stored on pmcp.run before the deployment, seen
    by the deployed server as API_KEY (has_env over MCP), printed nowhere."""
    fake, url = pmcp_run
    workspace = example_project(tmp_path / "workspace", b"container-secrets")
    secret = "sk-container-0123456789abcdef"

    run = run_action_container(
        inputs={
            "target": "pmcp-run",
            "pmcp-api-url": url,
            "pmcp-client-id": DEFAULT_CLIENT_ID,
            "pmcp-client-secret": DEFAULT_CLIENT_SECRET,
            "secrets": f"API_KEY={secret}",
        },
        workspace=workspace,
    )

    assert run.exit_code == 0, run.describe()
    assert json.loads(run.outputs["secrets"]) == {"API_KEY": "set"}
    assert fake.secrets_of("hello-mcp")["API_KEY"] == secret
    assert call_tool(run.outputs["url"], "has_env", {"name": "API_KEY"}) == "true"
    printed = "\n".join(
        line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
    )
    for value in (secret, base64.b64encode(secret.encode()).decode(), DEFAULT_CLIENT_SECRET):
        assert value not in printed
        assert value not in json.dumps(run.report())
