"""google-cloud-run through the action image, as a GitHub Docker step runs it: the Rust MCP
stand-in assembled onto the base image and pushed to a real registry (Debian's
docker-registry, token auth whose realm is the Google fake's Artifact Registry login) as
``oauth2accesstoken`` with the access token WIF and impersonation gave; each ready revision
pulls its image and the Docker engine runs it, so the action verifies the deployed image
over MCP at its run.app URL. A second binary becomes a revision verified at its candidate
URL (its own container, beside the serving one), then promoted. A secret given to the
deploy is stored in the fake's Secret Manager, pinned by the revision and handed to its
container as the variable: the server itself says over MCP that it is set."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.container.helpers import RunActionContainer
from tests.fakes.emulators import demo_emulators
from tests.fakes.google_cloud_run import EMULATOR_SERVICE_ACCOUNT
from tests.fakes.rust_mcp import place_standin, rustc_problem
from tests.support.github import HOST_WORKSPACE, ContainerRun
from tests.support.google_registry import SERVICE_AGENT, GoogleWithRegistry, google_with_registry
from tests.support.machine import unavailable
from tests.support.registry import registry_problem

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

NAME = "calc"
SERVICE = f"projects/pmcp-emulator/locations/us-central1/services/{NAME}"
#: The server's secret, given to the deploy as the secrets input.
API_KEY = "sk-container-0123456789abcdef"


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


def _env_is_set(url: str, variable: str) -> str:
    """What the deployed server's tool env_is_set answers (over MCP, at its run.app URL)."""
    headers = {"Accept": "application/json, text/event-stream"}
    initialize: dict[str, Any] = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "container-test", "version": "1"},
        },
    }
    with httpx.Client(timeout=30) as client:
        session = client.post(url, json=initialize, headers=headers)
        session.raise_for_status()
        headers["Mcp-Session-Id"] = session.headers.get("Mcp-Session-Id", "")
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "env_is_set", "arguments": {"variable": variable}},
        }
        answer = client.post(url, json=call, headers=headers)
    answer.raise_for_status()
    assert API_KEY not in answer.text
    return str(answer.json()["result"]["content"][0]["text"])


def test_assembled_image_pushed_run_and_verified_then_a_candidate_verified_redeploy(
    run_action_container: RunActionContainer, google: GoogleWithRegistry, tmp_path: Path
) -> None:
    fake = google.fake
    env = dict(google.running.env)
    inputs = {"verify-timeout-seconds": "90", "secrets": f"API_KEY={API_KEY}\n"}
    workspace = _workspace(tmp_path / "workspace")

    first = run_action_container(inputs=inputs, env=env, workspace=workspace, timeout=600)
    assert first.exit_code == 0, _describe(first, google)
    outputs = first.outputs
    image = outputs["image"]
    assert image.startswith(f"{google.registry}/pmcp-emulator/pmcp/{NAME}@sha256:"), outputs
    assert outputs["verified"] == "true", first.describe()
    assert outputs["mcp-server-name"] == "rust-standin", outputs
    assert outputs["tool-count"] == "2", outputs  # the stand-in's greet and env_is_set
    assert outputs["project"] == "pmcp-emulator"
    assert outputs["url"].endswith(f"/{NAME}-abc123-uc.a.run.app/mcp"), outputs
    assert google.runner.pulled == [image], google.runner.errors
    assert fake.services[SERVICE].body["template"]["containers"][0]["env"] == [
        {
            "name": "API_KEY",
            "valueSource": {"secretKeyRef": {"secret": f"{NAME}-API_KEY", "version": "1"}},
        },
        {"name": "GREETING", "value": "hello"},
    ]
    assert outputs["secrets"] == '{"API_KEY":"set"}', outputs
    # The server process itself sees the secret as its variable (and says no more).
    assert _env_is_set(outputs["url"], "API_KEY") == "API_KEY is set"
    assert _env_is_set(outputs["url"], "NOT_A_SECRET") == "NOT_A_SECRET is not set"

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
    secrets = [*google.secrets(), API_KEY, base64.b64encode(API_KEY.encode()).decode()]
    assert second.outputs["secrets"] == '{"API_KEY":"unchanged"}', second.outputs
    for run in (first, second):
        printed = "\n".join(
            line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
        )
        for secret in secrets:
            assert secret not in printed and secret not in str(run.report())
            assert secret not in run.summary


def test_ambient_credentials_google_github_actions_auth_wrote_into_the_workspace(
    run_action_container: RunActionContainer, docker_engine: None, tmp_path: Path
) -> None:
    """google-github-actions/auth writes an external_account file into the workspace and sets
    GOOGLE_APPLICATION_CREDENTIALS to the runner's path of it; in the action's container the
    workspace is /github/workspace, and auth: ambient reads the file there."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    with demo_emulators()["google-cloud-run"].start() as running:
        env: dict[str, str | None] = dict(running.env)
        provider = str(env.pop("GCP_WORKLOAD_IDENTITY_PROVIDER"))
        account = str(env.pop("GCP_SERVICE_ACCOUNT"))
        audience = f"https://iam.googleapis.com/{provider}"
        # The file as that action writes it: the token comes from the runner's request URL.
        credentials = {
            "type": "external_account",
            "audience": f"//iam.googleapis.com/{provider}",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "https://sts.googleapis.com/v1/token",
            "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/"
            f"projects/-/serviceAccounts/{account}:generateAccessToken",
            "credential_source": {
                "url": f"{env['ACTIONS_ID_TOKEN_REQUEST_URL']}&audience={quote(audience)}",
                "headers": {"Authorization": f"Bearer {env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"},
                "format": {"type": "json", "subject_token_field_name": "value"},
            },
        }
        (workspace / "gha-creds-0123abcd.json").write_text(json.dumps(credentials))
        creds_path = f"{HOST_WORKSPACE}/gha-creds-0123abcd.json"
        env["GOOGLE_APPLICATION_CREDENTIALS"] = creds_path
        run = run_action_container(
            inputs={"target": "google-cloud-run", "server-name": NAME, "auth": "ambient"},
            env=env,
            workspace=workspace,
            timeout=300,
        )
    assert run.exit_code == 0, run.describe()
    assert run.outputs["status"] == "success" and run.outputs["verified"] == "true", run.outputs
    # The sign-in names the file it read (the path GOOGLE_APPLICATION_CREDENTIALS gave).
    assert f"Application Default Credentials ({creds_path}): {account}" in run.everything, (
        run.describe()
    )
