"""azure-container-apps through the action image: the Rust MCP stand-in assembled onto the
base image, pushed to a real registry (Debian's docker-registry) with the ACR refresh token
the fake's ``/oauth2/exchange`` gave, pulled by the revision (its identity holding AcrPull)
and run by the Docker engine; the action verifies the deployed revision over MCP. A secret
given to the action is an app secret the revision's process reads as its variable: the
stand-in's ``env_is_set`` tool says so over MCP (never the value)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.container.helpers import RunActionContainer
from tests.fakes.azure_container_apps import EMULATOR_SECRET
from tests.fakes.rust_mcp import place_standin, rustc_problem
from tests.support.azure_acr import AzureWithRegistry, azure_with_registry
from tests.support.machine import unavailable
from tests.support.registry import registry_problem

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

NAME = "calc"


@pytest.fixture
def azure(docker_engine: None, base_image: str, tmp_path: Path) -> Iterator[AzureWithRegistry]:
    problem = registry_problem() or rustc_problem()
    if problem is not None:
        unavailable(problem)
    with azure_with_registry(tmp_path / "azure", base_image) as world:
        yield world


def _project(root: Path) -> Path:
    (root / ".pmcp").mkdir(parents=True, exist_ok=True)
    (root / ".pmcp" / "deploy.toml").write_text(
        f'[target]\ntype = "azure-container-apps"\n\n[server]\nname = "{NAME}"\n'
        'mcp_path = "/mcp"\n\n[environment]\nGREETING = "hello"\n'
    )
    place_standin(root / "target" / "release" / NAME, NAME)
    return root


def test_an_assembled_image_is_pushed_to_acr_and_the_revision_verified_over_mcp(
    run_action_container: RunActionContainer, azure: AzureWithRegistry, tmp_path: Path
) -> None:
    workspace = _project(tmp_path / "workspace")
    inputs = {
        "azure-client-secret": EMULATOR_SECRET,
        "verify-timeout-seconds": "90",
    }
    run = run_action_container(
        inputs=inputs, env=dict(azure.running.env), workspace=workspace, timeout=600
    )
    assert run.exit_code == 0, run.describe() + "\n" + "\n".join(azure.runner.errors)
    outputs = run.outputs
    assert outputs["verified"] == "true", run.describe()
    assert outputs["mcp-server-name"] == "rust-standin", outputs
    assert outputs["image-source"] == "assembled"
    assert outputs["registry-access"] == "managed-identity"
    image = outputs["image"]
    assert image.startswith(f"{azure.registry}/{NAME}@sha256:"), outputs
    assert azure.runner.pulled == [image], azure.runner.errors

    # Pushed with the exchanged token: skopeo reads it; the tag is the commit.
    manifest = azure.pulled_manifest(image)
    assert manifest["schemaVersion"] == 2 and len(manifest["layers"]) >= 2
    tagged = azure.pulled_manifest(f"{azure.registry}/{NAME}:{'0' * 40}")
    assert tagged == manifest
    [exchange] = azure.fake.arm.acr.exchanges
    assert exchange["service"] == azure.registry and exchange["grant_type"] == "access_token"

    registry = next(
        r for r in azure.fake.arm.resources.values() if r["type"].endswith("/registries")
    )
    assert registry["tags"] == {"managed-by": "pmcp"} and registry["sku"]["name"] == "Basic"
    assert "Image source" in run.summary and "assembled" in run.summary
    printed = "\n".join(
        line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
    )
    assert EMULATOR_SECRET not in printed
    assert EMULATOR_SECRET not in str(run.report())


API_KEY = "aca-container-secret-5d2f8e1a"


def _env_is_set(origin: str, variable: str) -> str:
    """What the deployed stand-in says of ``variable`` over MCP ("NAME is set" or "NAME is
    not set")."""
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "env_is_set", "arguments": {"variable": variable}},
    }
    answer = httpx.post(f"{origin}/mcp", json=body, timeout=30)
    assert API_KEY not in answer.text
    return str(answer.json()["result"]["content"][0]["text"])


def test_the_deployed_revision_reads_the_secret_as_its_variable(
    run_action_container: RunActionContainer, azure: AzureWithRegistry, tmp_path: Path
) -> None:
    workspace = _project(tmp_path / "workspace")
    inputs = {
        "azure-client-secret": EMULATOR_SECRET,
        "verify-timeout-seconds": "90",
        "secrets": f"API_KEY={API_KEY}",
    }
    run = run_action_container(
        inputs=inputs, env=dict(azure.running.env), workspace=workspace, timeout=600
    )
    assert run.exit_code == 0, run.describe() + "\n" + "\n".join(azure.runner.errors)
    assert run.outputs["verified"] == "true", run.describe()
    assert json.loads(run.outputs["secrets"]) == {"API_KEY": "set"}
    origin = azure.running.env["PMCP_AZURE_APPS_ORIGIN"]
    assert _env_is_set(origin, "API_KEY") == "API_KEY is set"
    assert _env_is_set(origin, "GREETING") == "GREETING is set"  # a plain variable, beside it
    assert _env_is_set(origin, "NOT_GIVEN") == "NOT_GIVEN is not set"
    printed = "\n".join(
        line for line in run.everything.splitlines() if not line.startswith("::add-mask::")
    )
    said = printed + run.summary + json.dumps(run.report()) + json.dumps(run.outputs)
    for form in (API_KEY, base64.b64encode(API_KEY.encode()).decode()):
        assert form not in said
