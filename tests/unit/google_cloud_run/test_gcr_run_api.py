"""The Cloud Run v2 client against the contract fake: LROs, revisions, traffic, IAM, faults."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pmcp_action.deadline import Deadline
from pmcp_action.errors import DeployError, RemoteApiError
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.run_api import RunApi
from tests.fakes.google_cloud_run import FakeCloudRun

IMAGE = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "a" * 64
BAD = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "b" * 64


def _api(fake: FakeCloudRun) -> RunApi:
    return RunApi(
        httpx.Client(transport=httpx.MockTransport(fake)),
        GoogleEndpoints("http://127.0.0.1:9"),
        token="tok",
        project="demo",
        region="us-central1",
        deadline=Deadline(30),
        sleep=lambda _s: None,
    )


def _body(image: str = IMAGE, revision: str = "") -> dict[str, Any]:
    template: dict[str, Any] = {
        "containers": [
            {
                "image": image,
                "ports": [{"containerPort": 8080}],
                "resources": {"limits": {"cpu": "1", "memory": "512Mi"}},
                "env": [{"name": "RUST_LOG", "value": "info"}],
            }
        ],
        "scaling": {"minInstanceCount": 0, "maxInstanceCount": 10},
    }
    if revision:
        template["revision"] = revision
    return {
        "labels": {"managed-by": "pmcp", "pmcp-server": "calc"},
        "ingress": "INGRESS_TRAFFIC_ALL",
        "template": template,
    }


def test_create_awaits_the_operation_and_serves_the_revision():
    fake = FakeCloudRun()
    api = _api(fake)
    assert api.get_service("calc") is None
    service = api.wait(api.create_service("calc", _body()), "creating calc")
    assert service["latestReadyRevision"].endswith("/revisions/calc-00001-x")
    assert service["uri"].startswith("https://calc-")
    assert fake.requests_to("/v2/projects/demo/locations/us-central1/operations/", "GET")


def test_tagged_revision_without_traffic_then_promotion():
    fake = FakeCloudRun()
    api = _api(fake)
    first = api.wait(api.create_service("calc", _body()), "create")
    previous = first["latestReadyRevision"].rsplit("/", 1)[1]
    staged = _body("x@sha256:" + "c" * 64, revision="calc-cand1")
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
    api = _api(fake)
    first = api.wait(api.create_service("calc", _body()), "create")
    fake.never_ready.add(BAD)
    body = _body(BAD)
    with pytest.raises(DeployError, match="failed to start and listen on the port"):
        api.wait(api.update_service("calc", body), "updating calc")
    current = api.get_service("calc")
    assert current is not None
    assert current["latestReadyRevision"] == first["latestReadyRevision"]


def test_strict_shapes_unknown_fields_and_port_are_refused():
    api = _api(FakeCloudRun())
    body = _body()
    body["template"]["containers"][0]["cpu"] = "1"
    with pytest.raises(RemoteApiError, match="Unknown name"):
        api.create_service("calc", body)
    body = _body()
    body["template"]["containers"][0]["env"].append({"name": "PORT", "value": "1"})
    with pytest.raises(RemoteApiError, match="PORT"):
        api.create_service("calc", body)


def test_stale_etag_is_aborted():
    api = _api(FakeCloudRun())
    api.wait(api.create_service("calc", _body()), "create")
    body = _body("x@sha256:" + "d" * 64)
    body["etag"] = '"stale"'
    with pytest.raises(RemoteApiError) as caught:
        api.update_service("calc", body)
    assert caught.value.status == 409


def test_iam_policy_etag_and_org_policy():
    fake = FakeCloudRun()
    api = _api(fake)
    api.wait(api.create_service("calc", _body()), "create")
    policy = api.get_iam_policy("calc")
    grant = {**policy, "bindings": [{"role": "roles/run.invoker", "members": ["allUsers"]}]}
    assert api.set_iam_policy("calc", {**grant, "etag": "old"}).status_code == 409
    fake.org_policy_blocks_all_users = True
    refused = api.set_iam_policy("calc", grant)
    assert refused.status_code == 400 and "permitted customer" in refused.text
    fake.org_policy_blocks_all_users = False
    assert api.set_iam_policy("calc", grant).status_code == 200
    assert api.get_iam_policy("calc")["bindings"][0]["members"] == ["allUsers"]


def test_a_dropped_poll_is_tolerated_and_delete_is_awaited():
    fake = FakeCloudRun()
    api = _api(fake)
    api.wait(api.create_service("calc", _body()), "create")
    operation = api.delete_service("calc")
    fake.faults.drop(path="/v2/projects/demo/locations/us-central1/operations/")
    assert api.wait(operation, "deleting calc")["name"].endswith("/services/calc")
    assert fake.faults.pending == 0
    assert api.get_service("calc") is None
