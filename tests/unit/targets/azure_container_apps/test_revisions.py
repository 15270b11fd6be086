"""A revision that does not provision, cannot pull or does not run: Azure's reason and
state, and the previous revision keeps its traffic."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pmcp_action.errors import DeployError
from pmcp_action.polling import OPERATION_POLL
from pmcp_action.targets.azure_container_apps.arm import Arm
from pmcp_action.targets.azure_container_apps.revisions import wait_revision
from tests.support.sim_clock import FINISHING_TIMES, SimClock

from .helpers import ARM, CLIENT, IMAGE_2, SUBSCRIPTION, RegistryWorld, World, client


def test_a_revision_that_fails_to_provision_reports_azures_reason(world: World) -> None:
    first = world.target().deploy()
    world.arm.failing_images[IMAGE_2] = "Container 'calc' crashed: exit code 1"
    with pytest.raises(DeployError, match="exit code 1"):
        world.target(image=IMAGE_2).deploy()
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]


def test_an_image_that_cannot_be_pulled_fails_with_azures_reason(registries: RegistryWorld) -> None:
    first = registries.target().deploy()
    server = registries.registry()["properties"]["loginServer"]
    missing = f"{server}/calc@sha256:" + "7" * 64
    with pytest.raises(DeployError) as error:
        registries.target(image=missing).deploy()
    assert "failed to provision: Failed to pull image" in error.value.message
    assert "manifest unknown" in error.value.message
    assert "running Failed" in error.value.message and "registry access" in error.value.remediation
    assert registries.app()["properties"]["configuration"]["ingress"]["traffic"] == [
        {"revisionName": first.version, "weight": 100}
    ]


def test_a_revision_that_does_not_run_shows_its_state(registries: RegistryWorld) -> None:
    image = "ghcr.io/acme/calc@sha256:" + "3" * 64
    registries.arm.revision_states[image] = {
        "runningState": "Failed",
        "healthState": "Unhealthy",
        "runningStateDetails": "Container crashed: exit code 101",
    }
    with pytest.raises(DeployError) as error:
        registries.target(image=image).deploy()
    assert "failed to run: Container crashed: exit code 101" in error.value.message
    assert "health Unhealthy" in error.value.message

    stuck = "ghcr.io/acme/calc@sha256:" + "4" * 64
    registries.arm.revision_states[stuck] = {"provisioningState": "Provisioning"}
    with pytest.raises(DeployError) as error:
        registries.target(image=stuck).deploy()
    assert "did not become ready in time" in error.value.message
    assert "provisioning Provisioning" in error.value.message


# --- readiness: noticed within 3 s of the revision running, the deadline names it ---------


def _timed_wait(world: World, clock: SimClock, seconds: float = 900) -> tuple[str, Any]:
    """A deployed revision that reads as provisioning until ``clock.ends_at``; the wait."""
    target = world.target()
    revision = target.deploy().version
    world.entra.issued["tok"] = CLIENT

    def route(request: httpx.Request) -> httpx.Response:
        response = world.transport().handle_request(request)
        if request.method == "GET" and request.url.path.endswith(f"/revisions/{revision}"):
            if not clock.finished():
                found = response.json()
                found["properties"].update(provisioningState="Provisioning", runningState=None)
                return httpx.Response(200, json=found)
        return response

    arm = Arm(
        client(httpx.MockTransport(route), retries=False),
        ARM,
        "tok",
        SUBSCRIPTION,
        deadline=clock.deadline(seconds),
        sleep=clock.sleep,
    )
    return revision, lambda: wait_revision(
        arm, target.config, revision, deadline=arm.deadline, sleep=clock.sleep
    )


@pytest.mark.parametrize("ends_at", FINISHING_TIMES)
def test_a_revision_that_becomes_ready_is_noticed_within_3_s(world: World, ends_at: float) -> None:
    clock = SimClock(ends_at=ends_at)
    revision, wait = _timed_wait(world, clock)
    ready = wait()
    assert ready["name"] == revision and ready["properties"]["provisioningState"] == "Provisioned"
    assert 0.0 <= clock.lag <= OPERATION_POLL.worst_lag == 3.0
    assert max(clock.sleeps, default=0.0) <= 3.0


def test_a_revision_never_ready_ends_at_the_deadline_with_its_state(world: World) -> None:
    clock = SimClock()
    revision, wait = _timed_wait(world, clock, seconds=90)
    with pytest.raises(DeployError) as error:
        wait()
    assert f"Revision {revision} did not become ready in time" in error.value.message
    assert "provisioning Provisioning" in error.value.message
    assert clock.now == pytest.approx(90.0)
