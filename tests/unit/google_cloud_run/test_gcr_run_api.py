"""The Cloud Run v2 client against the contract fake: LROs, revisions, traffic, IAM, faults;
and the Google fake's hooks for runs against a real registry (tests/support/google_registry):
a ready revision hands its image on (``on_revision``), its run.app URLs forward to that
image's own container (``origin_for``), ``/v2/token`` is Artifact Registry's token service
(``registry_signer``)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pmcp_action.deadline import Deadline
from pmcp_action.errors import DeployError, RemoteApiError
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.failures import GoogleApiError
from pmcp_action.targets.google_cloud_run.run_api import RunApi
from tests.fakes.google_cloud_run import FakeCloudRun, FakeGoogleCloud
from tests.fakes.registry_token import FakeRegistryTokenServer
from tests.support.registry import free_port

IMAGE = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "a" * 64
BAD = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "b" * 64
NEW = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "c" * 64
REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"


def _api(fake: FakeCloudRun) -> RunApi:
    fake.tokens.setdefault("tok", "deployer@demo.iam.gserviceaccount.com")
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
    api = _api(fake)
    api.wait(api.create_service("calc", _body()), "create")
    operation = api.delete_service("calc")
    fake.faults.drop(path="/v2/projects/demo/locations/us-central1/operations/")
    assert api.wait(operation, "deleting calc")["name"].endswith("/services/calc")
    assert fake.faults.pending == 0
    assert api.get_service("calc") is None


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_each_ready_revision_hands_its_image_on_once():
    fake = FakeGoogleCloud()
    pulled: list[str] = []
    fake.on_revision = pulled.append
    api = _api(fake)
    first = api.wait(api.create_service("calc", _body()), "create")
    assert pulled == [IMAGE]
    staged = _body(NEW, revision="calc-cand1")
    previous = first["latestReadyRevision"].rsplit("/", 1)[1]
    staged["traffic"] = [
        {"type": REVISION, "revision": previous, "percent": 100},
        {"type": REVISION, "revision": "calc-cand1", "tag": "candidate"},
    ]
    after = api.wait(api.update_service("calc", staged), "stage")
    assert pulled == [IMAGE, NEW]
    promote = {k: v for k, v in after.items() if k in ("labels", "ingress", "template")}
    promote["traffic"] = [{"type": REVISION, "revision": "calc-cand1", "percent": 100}]
    api.wait(api.update_service("calc", promote), "promote")
    assert pulled == [IMAGE, NEW]  # a traffic move makes no revision: nothing pulled
    fake.never_ready.add(BAD)
    with pytest.raises(DeployError, match="not ready"):
        api.wait(api.update_service("calc", _body(BAD)), "broken")
    assert pulled == [IMAGE, NEW]  # a revision that never becomes ready pulls nothing


def test_run_app_forwards_to_the_served_revisions_own_container():
    fake = FakeGoogleCloud()
    asked: list[str] = []
    origins: dict[str, str] = {}

    def origin_for(image: str) -> str | None:
        asked.append(image)
        return origins.get(image)

    fake.origin_for = origin_for
    api = _api(fake)
    api.wait(api.create_service("calc", _body()), "create")
    policy = api.get_iam_policy("calc")
    grant = {**policy, "bindings": [{"role": "roles/run.invoker", "members": ["allUsers"]}]}
    api.set_iam_policy("calc", grant)
    client = httpx.Client(transport=httpx.MockTransport(fake))
    url = "http://127.0.0.1:1/calc-abc123-uc.a.run.app/mcp"

    starting = client.post(url, json={})
    assert starting.status_code == 503 and "is starting" in starting.text
    origins[IMAGE] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    refused = client.post(url, json={})
    assert refused.status_code == 502 and "calc-00001-x's container" in refused.text
    assert asked == [IMAGE, IMAGE]


def test_v2_token_is_artifact_registrys_login_for_a_minted_access_token():
    fake = FakeGoogleCloud()
    signer = FakeRegistryTokenServer(service="127.0.0.1:5000")
    fake.registry_signer = signer
    client = httpx.Client(transport=httpx.MockTransport(fake))
    url = "http://127.0.0.1:1/v2/token"
    params = {"service": "127.0.0.1:5000", "scope": "repository:demo/pmcp/calc:pull,push"}
    token = fake.issue_token("deployer@demo.iam.gserviceaccount.com")

    for refused in (_basic("oauth2accesstoken", "ya29.never-minted"), _basic("me", token), {}):
        assert client.get(url, params=params, headers=refused).status_code == 401, refused
    answer = client.get(url, params=params, headers=_basic("oauth2accesstoken", token))
    assert answer.status_code == 200, answer.text
    issued = answer.json()["token"]
    assert fake.registry_tokens == [issued]
    assert fake.registry_logins == ["deployer@demo.iam.gserviceaccount.com"]
    key = signer.certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    claims = jwt.decode(
        issued,
        key,
        algorithms=["RS256"],
        audience="127.0.0.1:5000",
    )
    assert claims["sub"] == "oauth2accesstoken"
    assert claims["access"] == [
        {"type": "repository", "name": "demo/pmcp/calc", "actions": ["pull", "push"]}
    ]


def test_without_a_signer_v2_token_is_not_served():
    fake = FakeGoogleCloud()
    token = fake.issue_token("deployer@demo.iam.gserviceaccount.com")
    client = httpx.Client(transport=httpx.MockTransport(fake))
    answer = client.get("http://127.0.0.1:1/v2/token", headers=_basic("oauth2accesstoken", token))
    assert answer.status_code == 404 and fake.registry_tokens == []


def test_the_emulator_refuses_a_token_it_did_not_issue():
    fake = FakeGoogleCloud()
    api = _api(fake)
    api.wait(api.create_service("calc", _body()), "create")
    stolen = RunApi(
        httpx.Client(transport=httpx.MockTransport(fake)),
        GoogleEndpoints("http://127.0.0.1:9"),
        token="ya29.not-from-google",
        project="demo",
        region="us-central1",
        deadline=Deadline(30),
        sleep=lambda _s: None,
    )
    with pytest.raises(RemoteApiError, match="HTTP 401 UNAUTHENTICATED"):
        stolen.get_service("calc")
