"""The google-cloud-run target through the action image, as a GitHub Docker step runs it.

The emulator (STS, iamcredentials, Cloud Run v2, Artifact Registry, the OIDC token endpoint
and one MCP server behind every run.app URL) and Artifact Registry's Docker registry run in
this process on 127.0.0.1; the container (``--network host``) reaches them through
``PMCP_GOOGLE_API_URL``, ``PMCP_GOOGLE_REGISTRY_HOST`` and ``ACTIONS_ID_TOKEN_REQUEST_URL``.
The Linux binary in the workspace is laid onto a base image and pushed as
``oauth2accesstoken``; a second binary becomes a revision verified at its candidate URL.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.container.helpers import RunActionContainer
from tests.fakes.google_cloud_run import EMULATOR, FakeArtifactRegistryDocker, FakeGoogleCloud
from tests.fakes.mcp_servers import unused_port
from tests.fakes.server import LoopbackServer
from tests.unit.artifact.oci_image.helpers import seed_base

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

SERVICE = "projects/pmcp-emulator/locations/us-central1/services/calc"


@pytest.fixture
def google() -> Iterator[tuple[Any, FakeArtifactRegistryDocker, str]]:
    with EMULATOR.start() as running:
        fake = running.fakes["google-cloud-run"]
        assert isinstance(fake, FakeGoogleCloud)
        port = unused_port()
        host = f"127.0.0.1:{port}"
        registry = FakeArtifactRegistryDocker(fake, host=host)
        with LoopbackServer(registry, port=port):
            yield running, registry, host


def _workspace(root: Path, binary: str) -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text(
        '[target]\ntype = "google-cloud-run"\n\n[server]\nname = "calc"\n\n'
        '[environment]\nGREETING = "hello"\n'
    )
    target = root / "target" / "release"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(shutil.which(binary) or f"/bin/{binary}", target / "calc")
    return root


def test_assembled_image_deployed_then_a_candidate_verified_redeploy(
    run_action_container: RunActionContainer,
    tmp_path: Path,
    google: tuple[Any, FakeArtifactRegistryDocker, str],
) -> None:
    running, registry, host = google
    fake: FakeGoogleCloud = running.fakes["google-cloud-run"]
    base = seed_base(registry).replace("127.0.0.1:5000", host)
    env: dict[str, str | None] = {
        **running.env,
        "PMCP_IMAGE": None,
        "PMCP_GOOGLE_REGISTRY_HOST": host,
        "PMCP_BASE_IMAGE": base,
    }
    inputs = {"verify-timeout-seconds": "30"}
    workspace = _workspace(tmp_path / "workspace", "true")

    first = run_action_container(inputs=inputs, env=env, workspace=workspace)
    assert first.exit_code == 0, first.describe()
    image = first.outputs["image"]
    assert image.startswith(f"{host}/pmcp-emulator/pmcp/calc@sha256:"), first.describe()
    assert first.outputs["verified"] == "true", first.describe()
    assert first.outputs["project"] == "pmcp-emulator"
    assert first.outputs["url"].endswith("/calc-abc123-uc.a.run.app/mcp")
    assert fake.services[SERVICE].body["template"]["containers"][0]["env"] == [
        {"name": "GREETING", "value": "hello"}
    ]
    assert "pmcp-emulator/pmcp/calc" in registry.manifests

    _workspace(workspace, "false")
    second = run_action_container(inputs=inputs, env=env, workspace=workspace)
    assert second.exit_code == 0, second.describe()
    assert second.outputs["previous-version"] == first.outputs["version"]
    assert second.outputs["image"] != image and second.outputs["verified"] == "true"
    assert any(r.path.startswith("/candidate---calc-") for r in fake.requests)
    assert fake.services[SERVICE].traffic == [
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": second.outputs["version"],
            "percent": 100,
        }
    ]

    secrets = [*fake.tokens, *(t.token for t in running.fakes["oidc"].issued)]
    assert secrets
    for run in (first, second):
        printed = "\n".join(
            line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
        )
        for secret in secrets:
            assert secret not in printed and secret not in str(run.report())
            assert secret not in run.summary
