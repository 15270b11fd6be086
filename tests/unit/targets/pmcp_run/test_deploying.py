"""The steps over the fake: a redeploy, plan (reads only), outputs and destroy of the
project's deployment, and the flow's messages when nothing is deployed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pmcp_action.flow import NothingDeployedError

from .helpers import make_harness, named_toml


def test_redeploy_replaces_the_previous_deployment(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    first = h.target.deploy()

    second = h.target.deploy()

    assert second.deployment_id != first.deployment_id
    assert h.fake.live_deployment("weather").id == second.deployment_id  # type: ignore[union-attr]
    assert h.target.outputs().deployment_id == second.deployment_id


def test_plan_reads_but_mutates_nothing(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.target.deploy()
    before = h.fake.snapshot()
    before.pop("tokens_issued")
    (tmp_path / ".pmcp" / "deployment.toml").unlink()
    operations_before = len(h.fake.graphql_calls)
    uploads_before = len(h.fake.requests_to("/uploads/"))

    result = h.target.plan()

    after = h.fake.snapshot()
    after.pop("tokens_issued")
    assert after == before
    # Reads only: the deployments, and the server's secrets to tell what would change.
    assert h.fake.graphql_operations()[operations_before:] == [
        "listDeployments",
        "listServerSecrets",
        "getServerSecret",
    ]
    assert len(h.fake.requests_to("/uploads/")) == uploads_before
    assert not (tmp_path / ".pmcp" / "deployment.toml").exists()
    actions = [(c.action, c.resource) for c in result.changes]
    assert actions[0] == ("update", "pmcp.run deployment weather")
    assert ("create", "bootstrap upload") in actions
    artifact_sha = hashlib.sha256(h.artifact.read_bytes()).hexdigest()
    assert any(artifact_sha[:12] in c.detail for c in result.changes)
    assert result.url == h.fake.live_deployment("weather").url  # type: ignore[union-attr]


def test_plan_of_a_new_project_says_create(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    result = h.target.plan()

    assert result.changes[0].action == "create"
    assert h.fake.deployments == {}
    assert h.fake.uploads == {}


def test_outputs_finds_the_deployment_by_project_name(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    deployed = h.target.deploy()

    result = h.target.outputs()

    assert result.url == deployed.url
    assert result.deployment_id == deployed.deployment_id
    assert result.health_url == deployed.health_url


def test_outputs_without_a_deployment_is_an_error(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    with pytest.raises(NothingDeployedError) as caught:
        h.target.outputs()

    assert caught.value.message == (
        "No outputs: there is no pmcp.run deployment of project weather on https://pmcp.test."
    )
    assert "check server-name ([server].name), pmcp-api-url" in caught.value.remediation


def test_destroy_with_nothing_deployed_fails_and_destroys_nothing(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    other = make_harness(tmp_path / "other", h.fake, deploy_toml=named_toml("another-server"))
    other.target.deploy()

    with pytest.raises(NothingDeployedError, match="Nothing to destroy: there is no pmcp.run "):
        h.target.destroy()

    assert "destroyDeployment" not in h.fake.graphql_operations()
    assert other.target.outputs().url


def test_destroy_does_not_need_a_local_deploy_folder(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.target.deploy()
    assert not (tmp_path / "deploy").exists()

    h.target.destroy()

    assert h.fake.deployments == {}
