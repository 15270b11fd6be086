"""The deployment: cargo-pmcp's variables with this project's settings, and
createDeploymentFromS3 sent once, again only after a read proves it did not happen."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pmcp_action.errors import (
    RemoteApiError,
)

from .helpers import Harness, make_harness, uploaded


def test_deploy_sends_cargo_pmcp_variables_with_config_memory_and_timeout(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    result = h.target.deploy()

    (upload_vars,) = h.graphql_variables("getUploadUrls")
    (create_vars,) = h.graphql_variables("createDeploymentFromS3")
    (template,) = uploaded(h.fake, "template")
    (bootstrap,) = uploaded(h.fake, "bootstrap")
    assert upload_vars == {
        "projectName": "weather",
        "templateSize": template.size,
        "bootstrapSize": h.artifact.stat().st_size,
    }
    assert create_vars == {
        "templateS3Key": template.key,
        "bootstrapS3Key": bootstrap.key,
        "projectName": "weather",
        "runtime": "provided.al2023",
        "memorySize": 1024,  # [server].memory_mb, not cargo-pmcp's hard-coded 512
        "timeout": 60,  # [server].timeout_seconds, not 30
        "serverVersion": "1.2.3",
        "tier": "domain",
        "allowComposition": False,
        "internalOnly": True,
        "compositionDescription": "Weather lookups",
    }
    # The bytes that arrived are the artifact's, with cargo-pmcp's content types.
    assert bootstrap.sha256 == hashlib.sha256(h.artifact.read_bytes()).hexdigest()
    assert bootstrap.content_type == "application/octet-stream"
    assert template.content_type == "application/json"
    deployment = h.fake.live_deployment("weather")
    assert deployment is not None
    assert result.deployment_id == deployment.id
    assert result.url == f"https://pmcp.test/{deployment.id}/mcp"
    assert result.health_url == f"https://pmcp.test/{deployment.id}/health"
    assert result.version == "1.2.3"
    assert result.identity == "client pmcp-fake-ci-client"
    assert dict(result.outputs) == {"oauth-enabled": "false", "oauth-discovery-url": ""}
    assert result.can_roll_back is False


def test_server_version_is_null_when_the_crate_version_is_unknown(tmp_path: Path) -> None:
    h = make_harness(tmp_path, version="")

    result = h.target.deploy()

    (create_vars,) = h.graphql_variables("createDeploymentFromS3")
    assert create_vars["serverVersion"] is None
    assert result.version == ""


def _created(h: Harness) -> list[tuple[str, ...]]:
    """The createDeploymentFromS3 calls pmcp.run carried out."""
    return [names for names, _ in h.fake.graphql_calls if "createDeploymentFromS3" in names]


def _sent(h: Harness) -> list[str | None]:
    """Each createDeploymentFromS3 request that arrived, by the fault it met (None: none)."""
    return [r.fault for r in h.fake.requests_to("/graphql") if b"createDeploymentFromS3" in r.body]


@pytest.mark.parametrize("status", [429, 503])
def test_a_create_that_pmcp_run_processed_but_answered_an_error_is_not_sent_again(
    tmp_path: Path, status: int
) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(
        status, path="/graphql", contains="createDeploymentFromS3", after_handling=True
    )

    result = h.target.deploy()

    assert len(h.fake.deployments) == 1
    assert result.deployment_id == next(iter(h.fake.deployments))
    assert len(_created(h)) == 1
    assert _sent(h) == [f"status {status}"]  # the HTTP client did not send it again
    assert (
        f"warning: pmcp.run answer lost: createDeploymentFromS3 failed (HTTP {status}), but "
        f"pmcp.run had created deployment {result.deployment_id} of weather: using it, not "
        "creating another." in h.output
    )


def test_a_create_whose_answer_was_lost_on_the_wire_is_found_not_repeated(
    tmp_path: Path,
) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.drop(path="/graphql", contains="createDeploymentFromS3", after_handling=True)

    result = h.target.deploy()

    assert len(h.fake.deployments) == 1 and len(_created(h)) == 1
    assert "createDeploymentFromS3 failed (RemoteProtocolError talking to pmcp.test)" in h.output
    assert result.deployment_id in h.output


@pytest.mark.parametrize("status", [429, 503])
def test_a_create_that_did_nothing_is_sent_again_after_the_check(
    tmp_path: Path, status: int
) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(status, path="/graphql", contains="createDeploymentFromS3")

    result = h.target.deploy()

    assert len(h.fake.deployments) == 1 and len(_created(h)) == 1
    assert _sent(h) == [f"status {status}", None]
    # The survey, the list before the create, and the read that proved it did not happen.
    assert h.fake.graphql_operations().count("listDeployments") == 3
    assert (
        f"Retrying createDeploymentFromS3 for weather in 2 s (HTTP {status}; a read shows it "
        "did not happen)." in h.output
    )
    assert result.deployment_id


def test_a_create_that_keeps_failing_says_what_was_checked(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(503, times=3, path="/graphql", contains="createDeploymentFromS3")

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert h.fake.deployments == {}
    assert caught.value.message == (
        "Creating the pmcp.run deployment of weather failed 3 times; it may or may not have "
        "been created — checked: listDeployments shows no new deployment after each failure."
    )
    assert caught.value.details.splitlines() == [
        f"attempt {n}: HTTP 503; no new deployment listed" for n in (1, 2, 3)
    ]
