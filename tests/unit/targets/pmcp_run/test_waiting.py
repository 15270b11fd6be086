"""Waiting within the deadline: the deployment's statuses, failures, timeouts; destroys."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.errors import (
    DeployError,
    TimeoutExceededError,
)
from pmcp_action.polling import OPERATION_POLL

from .helpers import make_harness


def test_deploy_polls_every_stage_quickly_then_every_3_s(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    h.target.deploy()

    statuses = [line.split(": ")[-1] for line in h.output.splitlines() if ": " in line]
    for stage in ("pending", "validating", "deploying", "success"):
        assert stage in statuses
    assert h.fake.graphql_operations().count("getDeployment") == 4
    # Quick at first, then capped at 3 s (the end is noticed within 3 s of the backend's).
    schedule = OPERATION_POLL.intervals[: len(h.clock.sleeps)]
    pairs = zip(h.clock.sleeps, schedule, strict=True)
    assert all(0.8 * want <= got <= want for got, want in pairs)
    assert h.clock.sleeps[0] <= 0.5
    assert max(h.clock.sleeps) <= 3
    assert sum(h.clock.sleeps) <= 2.5  # P6: the emulator's deploy waits 2.5 s at most


def test_destroy_waits_for_the_operation_to_finish(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    deployed = h.target.deploy()

    result = h.target.destroy()

    assert result.deployment_id == deployed.deployment_id
    assert h.fake.deployments == {}
    assert h.graphql_variables("destroyDeployment") == [{"id": deployed.deployment_id}]
    assert h.fake.graphql_operations().count("getDeploymentOperationStatus") >= 2
    assert h.fake.operations[deployed.deployment_id].status == "deleted"


def test_destroy_finished_synchronously_does_not_poll(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.target.deploy()
    h.fake.destroy_outcomes.append("sync")

    h.target.destroy()

    assert "getDeploymentOperationStatus" not in h.fake.graphql_operations()
    assert h.fake.deployments == {}


@pytest.mark.parametrize("outcome", ["failed", "failed-now"])
def test_destroy_failure_is_an_error_with_the_message(tmp_path: Path, outcome: str) -> None:
    h = make_harness(tmp_path)
    h.target.deploy()
    h.fake.destroy_outcomes.append(outcome)

    with pytest.raises(DeployError) as caught:
        h.target.destroy()

    assert "LogGroup could not be deleted" in caught.value.message or (
        "UPDATE_IN_PROGRESS" in caught.value.message
    )


def test_failed_deployment_shows_the_error_message(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.deployment_outcomes.append("failed")

    with pytest.raises(DeployError) as caught:
        h.target.deploy()

    assert caught.value.message == f"Deployment failed: {h.fake.failure_message}"
    assert "dep_" in caught.value.details
    assert not (tmp_path / ".pmcp" / "deployment.toml").exists()


def test_template_the_platform_rejects_fails_during_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmcp_action.targets.pmcp_run import rendering

    monkeypatch.setattr(rendering, "template_bytes", lambda template: b"not json at all")
    h = make_harness(tmp_path)

    with pytest.raises(DeployError, match="Template format error: not valid JSON"):
        h.target.deploy()


def test_unknown_status_is_an_error_naming_it(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.deployment_outcomes.append("status:paused")

    with pytest.raises(DeployError, match="Unknown deployment status: 'paused'"):
        h.target.deploy()


def test_deployment_that_never_finishes_times_out_within_the_deadline(tmp_path: Path) -> None:
    h = make_harness(tmp_path, deadline_seconds=120)
    h.fake.deployment_outcomes.append("never")
    start = h.clock()

    with pytest.raises(TimeoutExceededError) as caught:
        h.target.deploy()

    assert "did not finish in time (last status: deploying)" in caught.value.message
    assert "pmcp.run dashboard" in caught.value.remediation
    assert h.clock() - start <= 120
    assert max(h.clock.sleeps) <= 10
    assert h.fake.graphql_operations().count("getDeployment") > 10


def test_a_status_poll_that_times_out_once_does_not_end_the_deploy(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    # The first getDeployment poll's answer is lost three times: more than the client retries.
    h.fake.faults.drop(times=5, path="/graphql", contains="getDeployment")

    result = h.target.deploy()

    assert result.deployment_id
    assert "pmcp.run deployment" in h.output and "trying again" in h.output
