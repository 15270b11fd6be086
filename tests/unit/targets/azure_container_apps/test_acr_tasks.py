"""scheduleRun is sent once: a lost, unreadable, refused or accepted answer is read back from
the registry's runs before anything is sent again; two new runs are reported, not guessed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.errors import (
    DeployError,
)
from pmcp_action.targets.azure_container_apps.failures import ArmError

from .helpers import REGISTRY_ID, build_world, expected_reference


@pytest.mark.parametrize("retrying", [False, True], ids=["no-client-retries", "retrying-client"])
@pytest.mark.parametrize("fault", ["drop", "503"])
def test_a_lost_schedule_answer_is_read_back_not_sent_twice(
    tmp_path: Path, retrying: bool, fault: str
) -> None:
    world = build_world(tmp_path, retrying=retrying)
    schedule = f"{REGISTRY_ID}/scheduleRun"
    if fault == "drop":
        world.fake.faults.drop(after_handling=True, method="POST", path=schedule)
    else:
        world.fake.faults.status(503, after_handling=True, method="POST", path=schedule)

    reference = world.build()

    assert len(world.runs()) == 1  # the run the lost answer created, followed
    assert len(world.requests("scheduleRun")) == 1
    assert "but run ca1 was created; following it" in world.output
    assert reference == expected_reference(world.fake.tasks.uploaded()[0])


def test_an_accepted_schedule_without_the_run_finds_it_in_the_list(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    world.fake.tasks.accept_async = True
    reference = world.build()
    assert len(world.runs()) == 1 and len(world.requests("scheduleRun")) == 1
    assert reference == expected_reference(world.fake.tasks.uploaded()[0])


@pytest.mark.parametrize("appears_at", [0.0, 2.2, 7.7, 61.3])
def test_an_accepted_run_is_found_within_3_s_of_appearing(
    tmp_path: Path, appears_at: float
) -> None:
    """The run shows in the registry's list ``appears_at`` s after the 202."""
    world = build_world(tmp_path)
    world.fake.tasks.accept_async = True
    accepted: list[float] = []
    found: list[float] = []

    def gate(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/scheduleRun"):
            accepted.append(world.clock.now)
        elif request.method == "GET" and request.url.path.endswith("/runs") and accepted:
            if world.clock.now < accepted[0] + appears_at:
                return httpx.Response(200, json={"value": []})  # not listed yet
            found.extend([] if found else [world.clock.now])
        return None

    world.before.append(gate)
    world.build()
    assert found and 0.0 <= found[0] - (accepted[0] + appears_at) <= 3.0


def test_a_lost_answer_with_two_new_runs_is_reported_not_guessed(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    world.fake.tasks.concurrent_builds = 1
    world.fake.faults.drop(after_handling=True, method="POST", path=f"{REGISTRY_ID}/scheduleRun")
    with pytest.raises(DeployError) as caught:
        world.build()
    assert caught.value.message == (
        "scheduling the ACR Tasks build of calc:v1: the answer was lost, and 2 new builds "
        "started meanwhile (ca1, ca2); which one is this run's cannot be told."
    )
    assert len(world.requests("scheduleRun")) == 1


def test_a_concurrent_build_does_not_confuse_a_clean_answer(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    world.fake.tasks.concurrent_builds = 1
    reference = world.build()
    assert reference == expected_reference(world.fake.tasks.uploaded()[0])
    assert "run ca1 builds calc:v1" in world.output


@pytest.mark.parametrize("garbage", ["json", "truncated-json", "content-type"])
def test_an_unreadable_schedule_answer_is_read_back_then_sent_again(
    tmp_path: Path, garbage: Any
) -> None:
    world = build_world(tmp_path)
    world.fake.faults.garbage(garbage, method="POST", path=f"{REGISTRY_ID}/scheduleRun")
    reference = world.build()
    assert len(world.requests("scheduleRun")) == 2  # the garbled one did not start a run
    assert len(world.runs()) == 1
    assert "no run was created, sending it again" in world.output
    assert reference == expected_reference(world.fake.tasks.uploaded()[0])


def test_a_schedule_refused_before_it_ran_is_sent_again_after_a_read(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    world.fake.faults.status(429, retry_after=2, method="POST", path=f"{REGISTRY_ID}/scheduleRun")
    world.build()
    assert len(world.requests("scheduleRun")) == 2
    assert len(world.runs()) == 1
    assert "HTTP 429; no run was created, sending it again" in world.output


def test_a_forbidden_registry_names_the_role_and_is_not_retried(tmp_path: Path) -> None:
    world = build_world(tmp_path)
    world.fake.forbidden.append(REGISTRY_ID.lower())
    with pytest.raises(ArmError) as caught:
        world.build()
    assert caught.value.status == 403
    assert "Contributor" in caught.value.remediation and "calc-rg" in caught.value.remediation
    assert len(world.requests("listBuildSourceUploadUrl")) == 1
