"""The cloudflare-workers target through the action image, against the Workers API fake on
loopback; the fake runs every served version on workerd, so verification is real MCP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container.helpers import RunActionContainer
from tests.fakes.cloudflare_workers import ACCOUNT_ID, SUBDOMAIN, TOKEN, FakeCloudflare
from tests.fakes.cloudflare_workers.stand_in import write_bundle
from tests.fakes.npm_tools import NpmToolsUnavailable, npm_tools
from tests.fakes.server import serve
from tests.support.machine import unavailable

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

SECRET = "container-worker-secret-4e1d"
NAME = "weather"


@pytest.fixture
def cloudflare() -> Iterator[tuple[FakeCloudflare, str]]:
    try:
        tools = npm_tools()
    except NpmToolsUnavailable as exc:
        unavailable(f"the npm peers (workerd) are unavailable: {exc}")
        raise
    fake = FakeCloudflare(workerd=tools.workerd)
    with serve(fake) as url:
        yield fake, str(url)
    fake.close()


def _project(root: Path, version: str) -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text(
        f'[target]\ntype = "cloudflare-workers"\n\n[server]\nname = "{NAME}"\n'
        'mcp_path = "/mcp"\n\n[environment]\nGREETING = "hello"\n'
    )
    (root / "Cargo.toml").write_text(f'[package]\nname = "{NAME}"\nversion = "{version}"\n')
    write_bundle(root / "deploy" / "cloudflare" / "build", version=version)
    return root


def test_deploy_then_a_preview_verified_redeploy_through_the_image(
    run_action_container: RunActionContainer,
    tmp_path: Path,
    cloudflare: tuple[FakeCloudflare, str],
) -> None:
    fake, url = cloudflare
    workspace = _project(tmp_path / "workspace", "1.0.0")
    inputs = {
        "cloudflare-api-token": TOKEN,
        "cloudflare-api-base-url": f"{url}/client/v4",
        "worker-secrets": f"API_KEY={SECRET}",
        "verify-timeout-seconds": "30",
    }
    env: dict[str, str | None] = {
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
        "PMCP_WORKERS_DEV_ORIGIN": url,
    }

    first = run_action_container(inputs=inputs, env=env, workspace=workspace)
    assert first.exit_code == 0, first.describe()
    assert first.outputs["url"] == f"{url}/{NAME}.{SUBDOMAIN}.workers.dev/mcp"
    assert first.outputs["verified"] == "true", first.describe()
    assert first.outputs["mcp-server-name"] == "stand-in-worker"
    assert first.outputs["account-id"] == ACCOUNT_ID and first.outputs["script-name"] == NAME

    _project(workspace, "2.0.0")
    second = run_action_container(inputs=inputs, env=env, workspace=workspace)
    assert second.exit_code == 0, second.describe()
    script = fake.script(NAME)
    assert script is not None and len(script.versions) == 2
    assert second.outputs["version"] == script.versions[-1].id
    assert second.outputs["previous-version"] == first.outputs["version"]
    assert second.outputs["version-preview-url"].startswith(f"{url}/{script.versions[-1].id[:8]}-")
    assert second.outputs["mcp-server-version"] == "2.0.0"
    assert "✅" in second.summary
    for run in (first, second):
        printed = "\n".join(
            line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
        )
        assert SECRET not in printed
        assert SECRET not in str(run.report())
