"""google-cloud-run through the action image, as a GitHub Docker step runs it: the Rust MCP
stand-in assembled onto the base image and pushed to a real registry (Debian's
docker-registry, token auth whose realm is the Google fake's Artifact Registry login) as
``oauth2accesstoken`` with the access token WIF and impersonation gave; each ready revision
pulls its image and the Docker engine runs it, so the action verifies the deployed image
over MCP at its run.app URL. A second binary becomes a revision verified at its candidate
URL (its own container, beside the serving one), then promoted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container.helpers import RunActionContainer
from tests.fakes.google_cloud_run import EMULATOR_SERVICE_ACCOUNT
from tests.fakes.rust_mcp import place_standin, rustc_problem
from tests.support.github import ContainerRun
from tests.support.google_registry import SERVICE_AGENT, GoogleWithRegistry, google_with_registry
from tests.support.machine import unavailable
from tests.support.registry import registry_problem

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

NAME = "calc"
SERVICE = f"projects/pmcp-emulator/locations/us-central1/services/{NAME}"


@pytest.fixture
def google(docker_engine: None, base_image: str, tmp_path: Path) -> Iterator[GoogleWithRegistry]:
    problem = registry_problem() or rustc_problem()
    if problem is not None:
        unavailable(problem)
    with google_with_registry(tmp_path / "google", base_image) as world:
        yield world


def _workspace(root: Path, trailer: bytes = b"") -> Path:
    """The project, its binary the stand-in (``trailer`` appended: another image, same server)."""
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text(
        f'[target]\ntype = "google-cloud-run"\n\n[server]\nname = "{NAME}"\n\n'
        '[environment]\nGREETING = "hello"\n'
    )
    place_standin(root / "target" / "release" / NAME, NAME, trailer)
    return root


def _describe(run: ContainerRun, google: GoogleWithRegistry) -> str:
    return run.describe() + "\n" + "\n".join(google.runner.errors)


def test_assembled_image_pushed_run_and_verified_then_a_candidate_verified_redeploy(
    run_action_container: RunActionContainer, google: GoogleWithRegistry, tmp_path: Path
) -> None:
    fake = google.fake
    env = dict(google.running.env)
    inputs = {"verify-timeout-seconds": "90"}
    workspace = _workspace(tmp_path / "workspace")

    first = run_action_container(inputs=inputs, env=env, workspace=workspace, timeout=600)
    assert first.exit_code == 0, _describe(first, google)
    outputs = first.outputs
    image = outputs["image"]
    assert image.startswith(f"{google.registry}/pmcp-emulator/pmcp/{NAME}@sha256:"), outputs
    assert outputs["verified"] == "true", first.describe()
    assert outputs["mcp-server-name"] == "rust-standin", outputs
    assert outputs["tool-count"] == "2", outputs  # the stand-in's tools: greet, env_is_set
    assert outputs["project"] == "pmcp-emulator"
    assert outputs["url"].endswith(f"/{NAME}-abc123-uc.a.run.app/mcp"), outputs
    assert google.runner.pulled == [image], google.runner.errors
    assert fake.services[SERVICE].body["template"]["containers"][0]["env"] == [
        {"name": "GREETING", "value": "hello"}
    ]

    # Pushed with the oauth2accesstoken login: skopeo reads it by the digest in the output.
    manifest = google.pulled_manifest(image)
    assert manifest["schemaVersion"] == 2 and len(manifest["layers"]) >= 2, manifest
    assert fake.registry_signer is not None
    wanted = f"repository:pmcp-emulator/pmcp/{NAME}:pull,push"
    assert any(wanted in scopes for scopes in fake.registry_signer.granted), (
        fake.registry_signer.granted
    )

    _workspace(workspace, b"\0second build")
    second = run_action_container(inputs=inputs, env=env, workspace=workspace, timeout=600)
    assert second.exit_code == 0, _describe(second, google)
    assert second.outputs["previous-version"] == outputs["version"]
    candidate = second.outputs["image"]
    assert candidate != image and second.outputs["verified"] == "true", second.outputs
    assert google.runner.pulled == [image, candidate], google.runner.errors
    assert google.pulled_manifest(candidate)["layers"] != manifest["layers"]
    assert any(r.path.startswith(f"/candidate---{NAME}-") for r in fake.requests)
    assert fake.services[SERVICE].traffic == [
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": second.outputs["version"],
            "percent": 100,
        }
    ]
    served = fake.served_revision(f"{NAME}-abc123-uc.a.run.app")
    assert served is not None and served[1].template["containers"][0]["image"] == candidate

    # The deployer's impersonated token logged in to push; the service agent's to pull.
    assert EMULATOR_SERVICE_ACCOUNT in fake.registry_logins, fake.registry_logins
    assert SERVICE_AGENT in fake.registry_logins, fake.registry_logins
    secrets = google.secrets()
    for run in (first, second):
        printed = "\n".join(
            line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
        )
        for secret in secrets:
            assert secret not in printed and secret not in str(run.report())
            assert secret not in run.summary
