"""The Google fake's hooks for runs against a real registry (tests/support/google_registry):
a ready revision hands its image on (``on_revision``), its run.app URLs forward to that
image's own container (``origin_for``), ``/v2/token`` is Artifact Registry's token service
(``registry_signer``); the emulator takes only the tokens it minted."""

from __future__ import annotations

import base64
from collections.abc import Mapping

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pmcp_action.deadline import Deadline
from pmcp_action.errors import DeployError, RemoteApiError
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.run_api import RunApi
from tests.fakes.google_cloud_run import FakeGoogleCloud
from tests.fakes.registry_token import FakeRegistryTokenServer
from tests.support.registry import free_port

from .helpers import DEMO, ENDPOINT, run_api_over, service_body

IMAGE = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "a" * 64


BAD = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "b" * 64


NEW = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "c" * 64


REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_each_ready_revision_hands_its_image_on_once():
    fake = FakeGoogleCloud()
    pulled: list[str] = []
    seen: list[dict[str, str]] = []

    def started(image: str, env: Mapping[str, str]) -> None:
        pulled.append(image)
        seen.append(dict(env))

    fake.on_revision = started
    api = run_api_over(fake)
    first = api.wait(api.create_service("calc", service_body(IMAGE)), "create")
    assert pulled == [IMAGE] and seen == [{"RUST_LOG": "info"}]
    staged = service_body(NEW, revision="calc-cand1")
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
        api.wait(api.update_service("calc", service_body(BAD)), "broken")
    assert pulled == [IMAGE, NEW]  # a revision that never becomes ready pulls nothing


def test_run_app_forwards_to_the_served_revisions_own_container():
    fake = FakeGoogleCloud()
    asked: list[str] = []
    origins: dict[str, str] = {}

    def origin_for(image: str) -> str | None:
        asked.append(image)
        return origins.get(image)

    fake.origin_for = origin_for
    api = run_api_over(fake)
    api.wait(api.create_service("calc", service_body(IMAGE)), "create")
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
    api = run_api_over(fake)
    api.wait(api.create_service("calc", service_body(IMAGE)), "create")
    stolen = RunApi(
        httpx.Client(transport=httpx.MockTransport(fake)),
        GoogleEndpoints(ENDPOINT),
        token="ya29.not-from-google",
        project=DEMO,
        region="us-central1",
        deadline=Deadline(30),
        sleep=lambda _s: None,
    )
    with pytest.raises(RemoteApiError, match="HTTP 401 UNAUTHENTICATED"):
        stolen.get_service("calc")
