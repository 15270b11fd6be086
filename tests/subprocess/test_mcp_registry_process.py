"""publish-registry as a separate process over real loopback sockets: the entrypoint, the
OIDC fake reached through ACTIONS_ID_TOKEN_REQUEST_URL (the ``id`` library's own request),
the pmcp.run fake and a private registry fake (the endpoint is plain http on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.artifacts import example_project
from tests.fakes.emulators import Running
from tests.fakes.mcp_registry import FakeMcpRegistry, emulate
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_fake
from tests.fakes.server import serve

NAME = "io.github.octo-org/hello-mcp"


@pytest.fixture
def world() -> Iterator[tuple[str, Running]]:
    with serve(create_fake()) as url, emulate(official=False) as registry:
        yield str(url), registry


def test_publish_through_real_sockets(run_entrypoint, tmp_path: Path, world) -> None:
    api_url, running = world
    registry: FakeMcpRegistry = running.fakes["mcp-registry"]
    issuer: FakeOidcIssuer = running.fakes["oidc"]
    workspace = example_project(tmp_path / "workspace", b"subprocess")

    run = run_entrypoint(
        {
            "TARGET": "pmcp-run",
            "PMCP-API-URL": api_url,
            "PMCP-CLIENT-ID": DEFAULT_CLIENT_ID,
            "PMCP-CLIENT-SECRET": DEFAULT_CLIENT_SECRET,
            "PUBLISH-REGISTRY": "true",
        },
        {**running.env, "GITHUB_REPOSITORY_OWNER": "octo-org"},
        cwd=workspace,
    )

    assert run.exit_code == 0, run.describe()
    assert run.outputs["registry-name"] == NAME
    assert run.outputs["registry-version"] == "0.3.1"
    entry = registry.entry(NAME, "0.3.1")
    assert entry is not None
    assert entry["remotes"] == [{"type": "streamable-http", "url": run.outputs["url"]}]
    [issued] = issuer.issued
    assert issued.audience == running.env["PMCP_REGISTRY_URL"]
    # Each secret only in the ::add-mask:: command that hides it from the runner's log.
    masked = {
        line.removeprefix("::add-mask::")
        for line in run.stdout.splitlines()
        if line.startswith("::add-mask::")
    }
    assert {issued.token, *registry.tokens} <= masked
    printed = "\n".join(
        line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
    )
    for secret in (DEFAULT_CLIENT_SECRET, issued.token, *registry.tokens):
        assert secret not in printed
