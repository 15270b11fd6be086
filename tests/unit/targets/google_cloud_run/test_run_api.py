"""The Cloud Run v2 client against the contract fake: LROs, revisions, traffic, IAM, faults."""

from __future__ import annotations

import httpx
import pytest

from pmcp_action.errors import DeployError, RemoteApiError, TimeoutExceededError
from pmcp_action.polling import OPERATION_POLL
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.failures import GoogleApiError
from pmcp_action.targets.google_cloud_run.run_api import RunApi
from tests.fakes.google_cloud_run import FakeCloudRun
from tests.support.sim_clock import FINISHING_TIMES, SimClock

from .helpers import DEMO, DEPLOYER, ENDPOINT, PARENT, run_api_over, service_body

IMAGE = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "a" * 64


BAD = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "b" * 64


def test_create_awaits_the_operation_and_serves_the_revision():
    fake = FakeCloudRun()
    api = run_api_over(fake)
    assert api.get_service("calc") is None
    service = api.wait(api.create_service("calc", service_body(IMAGE)), "creating calc")
    assert service["latestReadyRevision"].endswith("/revisions/calc-00001-x")
    assert service["uri"].startswith("https://calc-")
    assert fake.requests_to(f"/v2/{PARENT}/operations/", "GET")


def test_tagged_revision_without_traffic_then_promotion():
    fake = FakeCloudRun()
    api = run_api_over(fake)
    first = api.wait(api.create_service("calc", service_body(IMAGE)), "create")
    previous = first["latestReadyRevision"].rsplit("/", 1)[1]
    staged = service_body("x@sha256:" + "c" * 64, revision="calc-cand1")
    staged["etag"] = first["etag"]
    staged["traffic"] = [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": previous, "percent": 100},
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": "calc-cand1",
            "tag": "candidate",
        },
    ]
    after = api.wait(api.update_service("calc", staged), "stage")
    tagged = [s for s in after["trafficStatuses"] if s.get("tag") == "candidate"]
    assert tagged and tagged[0]["uri"].startswith("https://candidate---calc-")
    serving = [s for s in after["trafficStatuses"] if s.get("percent")]
    assert serving == [{**staged["traffic"][0]}]
    promote = {k: v for k, v in after.items() if k in ("labels", "ingress", "template")}
    promote["traffic"] = [
        {
            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
            "revision": "calc-cand1",
            "percent": 100,
        }
    ]
    done = api.wait(api.update_service("calc", promote), "promote")
    assert len(fake.services[next(iter(fake.services))].revisions) == 2  # no third revision
    assert done["trafficStatuses"][0]["revision"] == "calc-cand1"
    names = [r["name"].rsplit("/", 1)[1] for r in api.list_revisions("calc")]
    assert names == ["calc-cand1", previous]


def test_a_revision_never_ready_fails_with_the_condition_and_keeps_traffic():
    fake = FakeCloudRun()
    api = run_api_over(fake)
    first = api.wait(api.create_service("calc", service_body(IMAGE)), "create")
    fake.never_ready.add(BAD)
    body = service_body(BAD)
    with pytest.raises(DeployError, match="failed to start and listen on the port"):
        api.wait(api.update_service("calc", body), "updating calc")
    current = api.get_service("calc")
    assert current is not None
    assert current["latestReadyRevision"] == first["latestReadyRevision"]


def test_strict_shapes_unknown_fields_and_port_are_refused():
    api = run_api_over(FakeCloudRun())
    body = service_body(IMAGE)
    body["template"]["containers"][0]["cpu"] = "1"
    with pytest.raises(RemoteApiError, match="Unknown name"):
        api.create_service("calc", body)
    body = service_body(IMAGE)
    body["template"]["containers"][0]["env"].append({"name": "PORT", "value": "1"})
    with pytest.raises(RemoteApiError, match="PORT"):
        api.create_service("calc", body)


def test_stale_etag_is_aborted():
    api = run_api_over(FakeCloudRun())
    api.wait(api.create_service("calc", service_body(IMAGE)), "create")
    body = service_body("x@sha256:" + "d" * 64)
    body["etag"] = '"stale"'
    with pytest.raises(RemoteApiError) as caught:
        api.update_service("calc", body)
    assert caught.value.status == 409


def test_iam_policy_etag_and_org_policy():
    fake = FakeCloudRun()
    api = run_api_over(fake)
    api.wait(api.create_service("calc", service_body(IMAGE)), "create")
    policy = api.get_iam_policy("calc")
    grant = {**policy, "bindings": [{"role": "roles/run.invoker", "members": ["allUsers"]}]}
    with pytest.raises(GoogleApiError) as stale:
        api.set_iam_policy("calc", {**grant, "etag": "old"})
    assert stale.value.status == 409 and stale.value.google.status == "ABORTED"
    fake.org_policy_blocks_all_users = True
    with pytest.raises(GoogleApiError) as refused:
        api.set_iam_policy("calc", grant)
    assert refused.value.google.status == "FAILED_PRECONDITION"
    assert "permitted customer" in refused.value.message
    fake.org_policy_blocks_all_users = False
    assert api.set_iam_policy("calc", grant)["bindings"][0]["members"] == ["allUsers"]
    assert api.get_iam_policy("calc")["bindings"][0]["members"] == ["allUsers"]


def test_a_dropped_poll_is_tolerated_and_delete_is_awaited():
    fake = FakeCloudRun()
    api = run_api_over(fake)
    api.wait(api.create_service("calc", service_body(IMAGE)), "create")
    operation = api.delete_service("calc")
    fake.faults.drop(path=f"/v2/{PARENT}/operations/")
    assert api.wait(operation, "deleting calc")["name"].endswith("/services/calc")
    assert fake.faults.pending == 0
    assert api.get_service("calc") is None


# --- the wait for an operation: noticed within 3 s of its end; the deadline names it ------


def _timed_run_api(fake: FakeCloudRun, clock: SimClock, seconds: float = 900) -> RunApi:
    """Cloud Run whose operations read as not done until ``clock.ends_at``."""
    fake.tokens.setdefault("tok", DEPLOYER)

    def route(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and "/operations/" in request.url.path:
            if not clock.finished():
                name = request.url.path.removeprefix("/v2/")
                return httpx.Response(200, json={"name": name, "done": False})
        return fake(request)

    return RunApi(
        httpx.Client(transport=httpx.MockTransport(route)),
        GoogleEndpoints(ENDPOINT),
        token="tok",
        project=DEMO,
        region="us-central1",
        deadline=clock.deadline(seconds),
        sleep=clock.sleep,
    )


@pytest.mark.parametrize("ends_at", FINISHING_TIMES)
def test_an_operation_that_ends_is_noticed_within_3_s(ends_at: float) -> None:
    clock = SimClock(ends_at=ends_at)
    api = _timed_run_api(FakeCloudRun(), clock)
    service = api.wait(api.create_service("calc", service_body(IMAGE)), "creating calc")
    assert service["latestReadyRevision"].endswith("/revisions/calc-00001-x")
    assert 0.0 <= clock.lag <= OPERATION_POLL.worst_lag == 3.0
    assert max(clock.sleeps, default=0.0) <= 3.0


def test_an_operation_that_never_ends_stops_at_the_deadline() -> None:
    clock = SimClock()
    api = _timed_run_api(FakeCloudRun(), clock, seconds=60)
    with pytest.raises(TimeoutExceededError) as caught:
        api.wait(api.create_service("calc", service_body(IMAGE)), "creating calc")
    assert caught.value.message == (
        "Gave up waiting for creating calc: the deadline of 60 s passed."
    )
    assert clock.now == pytest.approx(60.0)
