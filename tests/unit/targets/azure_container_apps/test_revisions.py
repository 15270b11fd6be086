"""A revision that does not provision, cannot pull or does not run: Azure's reason and
state, and the previous revision keeps its traffic."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pmcp_action.errors import DeployError
from pmcp_action.flow import TrafficMovedError
from pmcp_action.polling import OPERATION_POLL
from pmcp_action.result import TargetResult
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


# --- traffic steps: revision weights by a PATCH with If-Match ---------------------------


def _staged(world: World) -> tuple[Any, str, TargetResult]:
    world.arm.app_etags = True  # ARM's convention, which the If-Match path is for
    first = world.target().deploy().version
    target = world.target(image=IMAGE_2)
    return target, first, target.stage()


def _patches(world: World) -> list[Any]:
    return [r for r in world.arm.requests if r.method == "PATCH" and "containerApps" in r.path]


def test_a_step_refused_by_a_changed_etag_reads_again_and_writes(world: World) -> None:
    target, first, staged = _staged(world)
    # A write of the app that left the weights alone lands between the read and the PATCH.
    world.arm.faults.status(412, method="PATCH")
    target.shift_traffic(staged, 10, current=0)
    assert world.traffic() == [
        {"revisionName": first, "weight": 90},
        {"revisionName": staged.version, "weight": 10},
    ]
    patches = _patches(world)
    assert len(patches) == 2 and all(r.headers.get("If-Match") for r in patches)


def test_a_step_whose_answer_was_lost_is_done_not_taken_for_another_run(world: World) -> None:
    target, first, staged = _staged(world)
    world.arm.faults.status(503, method="PATCH", after_handling=True)
    target.shift_traffic(staged, 10, current=0)
    assert world.traffic() == [
        {"revisionName": first, "weight": 90},
        {"revisionName": staged.version, "weight": 10},
    ]
    # The PATCH was sent again with the etag it had read: refused (412), the weights read
    # again are the ones wanted, so the step is done.
    patches = _patches(world)
    assert [r.fault is not None for r in patches] == [True, False]
    assert patches[0].headers["If-Match"] == patches[1].headers["If-Match"]


def test_a_step_that_finds_other_weights_changes_nothing(world: World) -> None:
    target, first, staged = _staged(world)
    world.arm.app_etags = False  # as Container Apps is: the read alone is the check
    target.shift_traffic(staged, 10, current=0)
    with pytest.raises(TrafficMovedError) as moved:
        target.shift_traffic(staged, 60, current=50)  # the run left 10 %, not 50 %
    assert moved.value.serving == first
    assert "no longer split as this run left it" in moved.value.message
    assert len(_patches(world)) == 1
    assert world.traffic()[1] == {"revisionName": staged.version, "weight": 10}


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
