"""ARM: providers, groups, long-running operations (both headers), dropped long-polls,
refusals that name the role and scope, throttling and a running operation waited out."""

from __future__ import annotations

import httpx
import pytest

from pmcp_action.deadline import Deadline
from pmcp_action.errors import TimeoutExceededError
from pmcp_action.polling import OPERATION_POLL
from pmcp_action.targets.azure_container_apps.arm import Arm
from pmcp_action.targets.azure_container_apps.failures import ArmError
from tests.fakes.azure_container_apps import FakeArm, FakeEntra
from tests.fakes.server import Fault
from tests.support.sim_clock import FINISHING_TIMES, SimClock

from .helpers import CLIENT, IMAGE_2, SUBSCRIPTION, TENANT, World, client


def _arm(*, token: str | None = None) -> tuple[FakeArm, Arm, list[str]]:
    entra = FakeEntra()
    entra.add_app(CLIENT, TENANT, secret="s")
    issued = "tok-" + CLIENT
    entra.issued[issued] = CLIENT
    fake = FakeArm(entra, SUBSCRIPTION)
    fake.base = "https://arm.azure.test"
    waits: list[str] = []
    # No client retries: what ARM's own polling tolerates is what is tested.
    arm = Arm(
        client(httpx.MockTransport(fake), retries=False),
        fake.base,
        token or issued,
        SUBSCRIPTION,
        deadline=Deadline(60),
        sleep=lambda _s: None,
        client_id=CLIENT,
        on_wait=waits.append,
    )
    return fake, arm, waits


def test_a_cold_subscription_registers_the_provider_and_waits() -> None:
    fake, arm, _ = _arm()
    fake.cold()
    assert arm.provider_state("Microsoft.App") == "NotRegistered"
    arm.register_provider("Microsoft.App")
    assert fake.providers["Microsoft.App"] == "Registered"


def test_group_environment_and_app_with_both_operation_headers() -> None:
    fake, arm, _ = _arm()
    arm.create_resource_group("calc-rg", "eastus", {"managed-by": "pmcp"})
    env_path = arm.app_resource("calc-rg", "managedEnvironments", "calc-env")
    env = arm.put(env_path, {"location": "eastus", "properties": {}}, "creating env")
    assert env["properties"]["provisioningState"] == "Succeeded"  # Azure-AsyncOperation
    app_path = arm.app_resource("calc-rg", "containerApps", "calc")
    body = {
        "location": "eastus",
        "properties": {
            "managedEnvironmentId": env["id"],
            "configuration": {"activeRevisionsMode": "Multiple"},
            "template": {"revisionSuffix": "a1", "containers": [{"name": "c", "image": "x@1"}]},
        },
    }
    app = arm.put(app_path, body, "creating app")
    assert app["properties"]["latestRevisionName"] == "calc--a1"
    patched = arm.patch(  # Location
        app_path,
        {
            "properties": {
                "template": {"revisionSuffix": "b2", "containers": [{"name": "c", "image": "x@2"}]}
            }
        },
        "patching app",
    )
    assert patched["properties"]["latestRevisionName"] == "calc--b2"
    assert [r["name"] for r in arm.revisions("calc-rg", "calc")] == ["calc--a1", "calc--b2"]


def test_a_dropped_long_poll_is_checked_again_not_a_failure() -> None:
    fake, arm, waits = _arm()
    arm.create_resource_group("calc-rg", "eastus", {})
    fake.faults.add(Fault("drop"), method="GET", path="/__ops__/")
    env = arm.put(
        arm.app_resource("calc-rg", "managedEnvironments", "calc-env"),
        {"location": "eastus", "properties": {}},
        "creating env",
    )
    assert env["properties"]["provisioningState"] == "Succeeded"
    assert any("dropped" in w for w in waits)


def test_forbidden_names_the_role_and_scope() -> None:
    fake, arm, _ = _arm()
    fake.forbidden.append(f"/subscriptions/{SUBSCRIPTION}/resourcegroups/calc-rg".lower())
    with pytest.raises(ArmError) as caught:
        arm.create_resource_group("calc-rg", "eastus", {})
    assert caught.value.status == 403
    assert "Contributor" in caught.value.remediation
    assert f"/subscriptions/{SUBSCRIPTION}" in caught.value.remediation


def test_a_wrong_token_is_401_with_what_to_check() -> None:
    _, arm, _ = _arm(token="forged")
    with pytest.raises(ArmError) as caught:
        arm.resource_group("calc-rg")
    assert caught.value.status == 401 and "azure-cloud" in caught.value.remediation


def test_throttling_and_a_running_operation_are_waited_out(world: World) -> None:

    world.target().deploy()
    app = next(k for k, r in world.arm.resources.items() if "containerApps" in r["type"])
    world.arm.busy.add(app)  # an operation someone else started

    def finish_the_other_operation(_s: float) -> None:
        world.arm.busy.discard(app)

    staged = world.sleeping_target(finish_the_other_operation, {"image": IMAGE_2}).stage()
    assert staged.candidate_url
    assert "another operation is running" in world.log.getvalue()


def test_a_throttled_write_is_sent_again_after_retry_after(world: World) -> None:
    from tests.fakes.server import Fault

    world.arm.faults.add(Fault("status", status=429, retry_after=1), method="PUT")
    assert world.target().deploy().version
    assert any(r.fault for r in world.arm.requests)


# --- the wait for an operation: noticed within 3 s, ARM's longer Retry-After honoured ----


def _timed_arm(
    clock: SimClock, retry_after: str, seconds: float = 900, *, status_retry_after: str = ""
) -> tuple[FakeArm, Arm]:
    """ARM whose operations run until ``clock.ends_at``, on the simulated clock
    (``status_retry_after``: the Retry-After of an Azure-AsyncOperation's status too)."""
    entra = FakeEntra()
    entra.add_app(CLIENT, TENANT, secret="s")
    entra.issued["tok"] = CLIENT
    fake = FakeArm(entra, SUBSCRIPTION)
    fake.base = "https://arm.azure.test"
    fake.retry_after = retry_after

    def route(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.startswith("/__ops__/"):
            operation = fake.operations.get(request.url.path.rsplit("/", 1)[1])
            if operation is not None:
                operation.polls = 0 if clock.finished() else 1
            answer = fake(request)
            if status_retry_after and "/__ops__/async/" in request.url.path:
                answer.headers["Retry-After"] = status_retry_after
            return answer
        return fake(request)

    arm = Arm(
        client(httpx.MockTransport(route), retries=False),
        fake.base,
        "tok",
        SUBSCRIPTION,
        deadline=clock.deadline(seconds),
        sleep=clock.sleep,
        client_id=CLIENT,
    )
    return fake, arm


def _start_then_time(fake: FakeArm, arm: Arm, clock: SimClock) -> None:
    """The group exists (its own wait done); the clock starts at the next write."""
    ends_at, clock.ends_at = clock.ends_at, 0.0
    arm.create_resource_group("calc-rg", "eastus", {})
    clock.now, clock.ends_at = 0.0, ends_at
    clock.reads.clear()
    clock.sleeps.clear()


@pytest.mark.parametrize("ends_at", FINISHING_TIMES)
def test_an_async_operation_that_ends_is_noticed_within_3_s(ends_at: float) -> None:
    clock = SimClock(ends_at=ends_at)
    fake, arm = _timed_arm(clock, retry_after="0")
    _start_then_time(fake, arm, clock)
    env = arm.put(
        arm.app_resource("calc-rg", "managedEnvironments", "calc-env"),
        {"location": "eastus", "properties": {}},
        "creating env",
    )
    assert env["properties"]["provisioningState"] == "Succeeded"
    assert clock.reads[-1] >= ends_at
    assert 0.0 <= clock.lag <= OPERATION_POLL.worst_lag == 3.0
    assert max(clock.sleeps, default=0.0) <= 3.0


@pytest.mark.parametrize("ends_at", [0.0, 12.5, 299.9])
def test_a_longer_retry_after_from_arm_is_honoured(ends_at: float) -> None:
    clock = SimClock(ends_at=ends_at)
    fake, arm = _timed_arm(clock, retry_after="10")
    _start_then_time(fake, arm, clock)
    arm.delete_resource_group("calc-rg")  # a Location operation: every 202 asks for 10 s
    assert "calc-rg" not in fake.groups
    assert clock.sleeps and all(s == 10.0 for s in clock.sleeps)  # before each read of it
    assert 0.0 <= clock.lag <= 10.0


def test_a_longer_retry_after_on_an_operations_status_is_honoured() -> None:
    clock = SimClock(ends_at=30.0)
    fake, arm = _timed_arm(clock, retry_after="0", status_retry_after="7")
    _start_then_time(fake, arm, clock)
    arm.put(
        arm.app_resource("calc-rg", "managedEnvironments", "calc-env"),
        {"location": "eastus", "properties": {}},
        "creating env",
    )
    # Read at once (no pause asked first), then every 7 s as each status asks: 0, 7, … 35.
    assert clock.sleeps == [7.0] * 5
    assert clock.reads == [0.0, 7.0, 14.0, 21.0, 28.0, 35.0]
    assert 0.0 <= clock.lag <= 7.0


def test_a_shorter_retry_after_does_not_slow_the_schedule() -> None:
    clock = SimClock(ends_at=9.0)
    fake, arm = _timed_arm(clock, retry_after="1")
    _start_then_time(fake, arm, clock)
    arm.delete_resource_group("calc-rg")
    # 1 s before the first read (asked), then the schedule's 0.5-3 s (1 s is not longer
    # than its later pauses); noticed within 3 s all the same.
    assert clock.sleeps[0] == 1.0 and max(clock.sleeps) <= 3.0
    assert 0.0 <= clock.lag <= 3.0


def test_an_operation_that_never_ends_stops_at_the_deadline_with_what_it_waited_for() -> None:
    clock = SimClock()
    fake, arm = _timed_arm(clock, retry_after="0", seconds=120)
    fake.groups["calc-rg"] = {"id": arm.group_path("calc-rg"), "name": "calc-rg"}
    with pytest.raises(TimeoutExceededError) as caught:
        arm.put(
            arm.app_resource("calc-rg", "managedEnvironments", "calc-env"),
            {"location": "eastus", "properties": {}},
            "creating env",
        )
    assert caught.value.message.startswith("Gave up waiting for creating env: the deadline of 120")
    assert clock.now == pytest.approx(120.0)
