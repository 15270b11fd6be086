"""publish-registry through the action image: a pmcp-run deploy, verified, then published to the
MCP Registry fake with the job's OIDC token from the OIDC fake, as on a GitHub runner.

The registry is a private one (``registry-url``, the schema's rules only): the deployed
endpoint is the pmcp.run fake's, on loopback over plain http, which the official registry
would refuse. A second deploy of the same version gets a new pmcp.run endpoint, and the
registry, which lists the version with the first, fails it clearly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container.helpers import RunActionContainer
from tests.fakes.artifacts import example_project
from tests.fakes.emulators import Running
from tests.fakes.mcp_registry import FakeMcpRegistry, emulate
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakePmcpRun, create_fake
from tests.fakes.server import serve

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

OWNER = "octo-org"  # the OIDC fake's repository owner
NAME = f"io.github.{OWNER}/hello-mcp"


@pytest.fixture
def world() -> Iterator[tuple[FakePmcpRun, str, Running]]:
    fake = create_fake()
    with serve(fake) as url, emulate(official=False) as registry:
        yield fake, str(url), registry


def test_a_verified_deploy_is_published_and_a_differing_remote_fails(
    run_action_container: RunActionContainer,
    tmp_path: Path,
    world: tuple[FakePmcpRun, str, Running],
) -> None:
    pmcp, api_url, running = world
    registry: FakeMcpRegistry = running.fakes["mcp-registry"]
    issuer: FakeOidcIssuer = running.fakes["oidc"]
    workspace = example_project(tmp_path / "workspace", b"registry")
    inputs = {
        "target": "pmcp-run",
        "pmcp-api-url": api_url,
        "pmcp-client-id": DEFAULT_CLIENT_ID,
        "pmcp-client-secret": DEFAULT_CLIENT_SECRET,
        "publish-registry": "true",
    }
    env = {**running.env, "GITHUB_REPOSITORY_OWNER": OWNER}

    first = run_action_container(inputs=inputs, env=env, workspace=workspace)

    assert first.exit_code == 0, first.describe()
    outputs = first.outputs
    assert outputs["verified"] == "true"
    assert outputs["registry-name"] == NAME and outputs["registry-version"] == "0.3.1"
    entry = registry.entry(NAME, "0.3.1")
    assert entry is not None
    assert entry["remotes"] == [{"type": "streamable-http", "url": outputs["url"]}]
    assert entry["description"].startswith("A tiny MCP server")
    assert [issued.audience for issued in issuer.issued] == [running.env["PMCP_REGISTRY_URL"]]
    assert f"{NAME} 0.3.1 (published)" in first.summary
    published = first.report()["registry"]
    assert isinstance(published, dict) and published["published"] is True

    second = run_action_container(inputs=inputs, env=env, workspace=workspace)

    assert second.exit_code == 1, second.describe()
    assert second.outputs["status"] == "failure" and second.outputs["verified"] == "true"
    assert second.outputs["url"] != outputs["url"]
    [error] = second.errors
    assert error.properties["title"] == "MCP Registry publish failed"
    assert f"{NAME} version 0.3.1 is already in the MCP Registry with {outputs['url']}" in (
        error.message
    )
    assert registry.versions(NAME) == ["0.3.1"]
    assert len(registry.requests_to("/v0/publish")) == 1
    assert pmcp.requests_to("/graphql")

    secrets = [
        DEFAULT_CLIENT_SECRET,
        *(issued.token for issued in issuer.issued),
        *registry.tokens,
    ]
    # Each secret only in the ::add-mask:: command that hides it from the runner's log.
    for run in (first, second):
        text = run.everything + json.dumps(run.report())
        printed = "\n".join(
            line for line in text.splitlines() if not line.startswith("::add-mask::")
        )
        for secret in secrets:
            assert secret not in printed
