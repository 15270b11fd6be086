"""The contract check: Google's own clients against the Cloud Run contract fake.

The fake is served on 127.0.0.1 and driven by google-auth (identity-pool and service-account
credentials) and google-cloud-run's v2 REST transport, so what the fake accepts is what
Google's clients send: form-encoded STS, ``delegates: null``, enums as numbers with
``$alt=json;enum-encoding=int``, proto3 defaults omitted, output-only fields sent back on a
read-modify-write, update masks, ``validateOnly``, ``allowMissing``, base64 IAM etags. Our
client and deploy steps (``pmcp_action.targets.google_cloud_run``) are checked against the
same served fake, and the two clients are shown to leave the same service behind.
"""

from __future__ import annotations

import base64
import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.api_core import exceptions as core_exceptions
from google.api_core.client_options import ClientOptions
from google.auth import exceptions as auth_exceptions
from google.auth import identity_pool
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import run_v2
from google.iam.v1 import iam_policy_pb2, options_pb2, policy_pb2
from google.protobuf import field_mask_pb2, json_format

from pmcp_action.deadline import Deadline
from pmcp_action.targets.google_cloud_run import service as desired
from pmcp_action.targets.google_cloud_run.credentials import (
    CLOUD_PLATFORM,
    from_credentials_json,
    from_oidc,
)
from pmcp_action.targets.google_cloud_run.deploying import Steps
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.invoker import INVOKER, PUBLIC, set_public
from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import DEMO, DEPLOYER, PARENT, PROVIDER, run_api_at, settings_of, steps_for

IMAGE = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "a" * 64


NEXT_IMAGE = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "c" * 64


IAM_SCOPE = "https://www.googleapis.com/auth/iam"


TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _ci_token(repository: str = "o/r") -> str:
    """An OIDC token as the fake STS reads it (it checks claims, not the CI's signature)."""
    claims = {"iss": "https://token.actions.githubusercontent.com", "sub": f"repo:{repository}"}
    claims["repository"] = repository
    return f"{_b64(b'{}')}.{_b64(json.dumps(claims).encode())}.c2ln"


def _external_account(
    url: str, token_file: Path, *, impersonate: bool = True, repository: str = "o/r"
) -> identity_pool.Credentials:
    token_file.write_text(_ci_token(repository))
    info: dict[str, Any] = {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{PROVIDER}",
        "subject_token_type": JWT_TYPE,
        "token_url": f"{url}/v1/token",
        "credential_source": {"file": str(token_file), "format": {"type": "text"}},
    }
    if impersonate:
        info["service_account_impersonation_url"] = (
            f"{url}/v1/projects/-/serviceAccounts/{DEPLOYER}:generateAccessToken"
        )
    credentials = identity_pool.Credentials.from_info(info, scopes=[CLOUD_PLATFORM])
    assert isinstance(credentials, identity_pool.Credentials)
    return credentials


def _form(body: bytes) -> dict[str, str]:
    return dict(httpx.QueryParams(body.decode()))


def _key_info(url: str, fake: FakeCloudRun, *, registered: bool = True) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    if registered:
        fake.keys[DEPLOYER] = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return {
        "type": "service_account",
        "project_id": DEMO,
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": DEPLOYER,
        "client_id": "1",
        "token_uri": f"{url}/token",
    }


def _clients(
    url: str, closing: ExitStack, credentials: Credentials | None = None
) -> tuple[run_v2.ServicesClient, run_v2.RevisionsClient]:
    """Both v2 clients over REST at the fake; the http:// endpoint is kept as given."""
    options = ClientOptions(api_endpoint=url)
    creds = credentials or AnonymousCredentials()
    return (
        closing.enter_context(
            run_v2.ServicesClient(credentials=creds, transport="rest", client_options=options)
        ),
        closing.enter_context(
            run_v2.RevisionsClient(credentials=creds, transport="rest", client_options=options)
        ),
    )


def _google_service(image: str = IMAGE) -> run_v2.Service:
    return run_v2.Service(
        labels={"managed-by": "pmcp", "pmcp-server": "calc"},
        ingress=run_v2.IngressTraffic.INGRESS_TRAFFIC_ALL,
        template=run_v2.RevisionTemplate(
            labels={"managed-by": "pmcp", "pmcp-server": "calc"},
            containers=[
                run_v2.Container(
                    image=image,
                    ports=[run_v2.ContainerPort(container_port=8080)],
                    resources=run_v2.ResourceRequirements(limits={"cpu": "1", "memory": "512Mi"}),
                )
            ],
            scaling=run_v2.RevisionScaling(min_instance_count=0, max_instance_count=10),
        ),
    )


def _our_steps(root: Path, image: str, url: str, closing: ExitStack, **inputs: Any) -> Steps:
    """Our deploy steps for calc in demo-project at the served fake (closed after the test)."""
    steps = steps_for(root, image, base=url, **inputs)
    closing.callback(steps.conn.client.close)
    return steps


def test_identity_pool_without_impersonation_gets_the_federated_token(
    fake, url, tmp_path, auth_request
):
    credentials = _external_account(url, tmp_path / "oidc", impersonate=False)
    credentials.refresh(auth_request)

    assert fake.tokens[credentials.token] == f"principal://{PROVIDER}/subject/repo:o/r"
    (sts,) = fake.requests
    assert (sts.method, sts.path) == ("POST", "/v1/token")
    assert sts.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in sts.headers  # workload pools send no client auth
    assert _form(sts.body) == {
        "grant_type": TOKEN_EXCHANGE,
        "audience": f"//iam.googleapis.com/{PROVIDER}",
        "scope": CLOUD_PLATFORM,
        "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "subject_token": _ci_token(),
        "subject_token_type": JWT_TYPE,
    }


def test_identity_pool_with_impersonation_gets_the_service_accounts_token(
    fake, url, tmp_path, auth_request
):
    credentials = _external_account(url, tmp_path / "oidc")
    credentials.refresh(auth_request)

    assert fake.tokens[credentials.token] == DEPLOYER
    assert credentials.expiry is not None and credentials.expiry.year == 2030
    sts, generate = fake.requests
    # google-auth asks STS for the iam scope only; the DEPLOYER's token gets the scopes asked for.
    assert _form(sts.body)["scope"] == IAM_SCOPE
    federated = generate.headers["authorization"].removeprefix("Bearer ")
    assert fake.tokens[federated].startswith(f"principal://{PROVIDER}/")
    assert generate.path == f"/v1/projects/-/serviceAccounts/{DEPLOYER}:generateAccessToken"
    assert generate.json() == {"delegates": None, "scope": [CLOUD_PLATFORM], "lifetime": "3600s"}


def test_identity_pool_refusals_surface_as_google_auth_errors(fake, url, tmp_path, auth_request):
    other_repo = _external_account(url, tmp_path / "oidc", repository="someone/else")
    # STS speaks OAuth errors; google-auth raises OAuthError (not a RefreshError) for them.
    with pytest.raises(
        auth_exceptions.OAuthError, match="Error code unauthorized_client: The given"
    ):
        other_repo.refresh(auth_request)

    del fake.service_accounts[DEPLOYER]
    unbound = _external_account(url, tmp_path / "oidc2")
    with pytest.raises(auth_exceptions.RefreshError, match="getAccessToken"):
        unbound.refresh(auth_request)


def test_our_sts_json_and_google_auths_form_get_the_same_identity(fake, url):
    with httpx.Client() as http:
        ours = from_oidc(
            http,
            GoogleEndpoints(url),
            provider=PROVIDER,
            id_token=_ci_token(),
            service_account=DEPLOYER,
            mask=lambda _s: None,
        )
    sts, _generate = fake.requests
    assert sts.headers["content-type"] == "application/json"
    assert json.loads(sts.body)["grantType"] == TOKEN_EXCHANGE
    assert fake.tokens[ours.access_token] == DEPLOYER


def test_service_account_key_jwt_grant_is_checked_and_answered(fake, url, auth_request):
    from google.oauth2 import service_account

    credentials = service_account.Credentials.from_service_account_info(
        _key_info(url, fake), scopes=[CLOUD_PLATFORM]
    )
    credentials.refresh(auth_request)

    assert fake.tokens[credentials.token] == DEPLOYER
    (grant,) = fake.requests
    form = _form(grant.body)
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    head, claims, _signature = form["assertion"].split(".")
    assert _decode(head) == {"alg": "RS256", "typ": "JWT", "kid": "k1"}
    decoded = _decode(claims)
    assert decoded["iss"] == DEPLOYER and decoded["scope"] == CLOUD_PLATFORM
    # Google's canonical token endpoint, whatever token_uri is posted to (ours sends the same).
    assert decoded["aud"] == "https://oauth2.googleapis.com/token"
    assert decoded["exp"] - decoded["iat"] == 3600


def test_service_account_key_with_the_wrong_key_is_refused(fake, url, auth_request):
    from google.oauth2 import service_account

    info = _key_info(url, fake)
    _key_info(url, fake)  # the fake now knows another key for the same account
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=[CLOUD_PLATFORM]
    )
    with pytest.raises(auth_exceptions.RefreshError, match="Invalid JWT Signature"):
        credentials.refresh(auth_request)


def test_authorized_user_refresh_is_what_google_auth_sends_and_ours_sends_the_same(
    fake, url, auth_request
):
    """gcloud auth application-default login's file, refreshed by google-auth and by us."""
    from google.oauth2 import credentials as user_credentials

    info = fake.add_user("dev@example.com")
    # google-auth posts to Google's token endpoint whatever the file says: pointed here.
    theirs = user_credentials.Credentials.from_authorized_user_info(info)
    theirs = theirs.with_token_uri(f"{url}/token")
    theirs.refresh(auth_request)
    assert fake.tokens[theirs.token] == "dev@example.com"

    with httpx.Client(timeout=10) as http:
        ours = from_credentials_json(
            http, GoogleEndpoints(override=url), json.dumps(info), mask=lambda _s: None
        )
    assert fake.tokens[ours.access_token] == "dev@example.com" and ours.mode == "authorized-user"
    google_form, our_form = (_form(r.body) for r in fake.requests_to("/token"))
    assert set(our_form) <= set(google_form)  # google-auth may add scopes; nothing else differs
    assert {k: google_form[k] for k in our_form} == our_form

    fake.revoke(info["refresh_token"])
    with pytest.raises(auth_exceptions.RefreshError, match="expired or revoked"):
        user_credentials.Credentials.from_authorized_user_info(info).with_token_uri(
            f"{url}/token"
        ).refresh(auth_request)


def test_full_lifecycle_through_googles_client(fake, url, tmp_path, closing):
    credentials = _external_account(url, tmp_path / "oidc")
    services, revisions = _clients(url, closing, credentials)
    name = f"{PARENT}/services/calc"

    created = services.create_service(
        parent=PARENT, service=_google_service(), service_id="calc"
    ).result(timeout=10)
    assert created.latest_ready_revision == f"{name}/revisions/calc-00001-x"
    assert created.ingress == run_v2.IngressTraffic.INGRESS_TRAFFIC_ALL

    # What the client sent: enums as numbers, defaults omitted, the bearer from the fake's STS.
    (create,) = fake.requests_to(f"/v2/{PARENT}/services", "POST")
    assert create.params["$alt"] == "json;enum-encoding=int"
    assert create.params["serviceId"] == "calc"
    assert create.headers["x-goog-request-params"] == "location=us-central1"
    assert fake.tokens[create.headers["authorization"].removeprefix("Bearer ")] == DEPLOYER
    sent = create.json()
    assert sent["ingress"] == 1
    assert sent["template"]["scaling"] == {"maxInstanceCount": 10}  # minInstanceCount: 0 omitted
    assert fake.requests_to(f"/v2/{PARENT}/operations/", "GET")

    got = services.get_service(name=name)
    assert got.etag == created.etag and got.generation == 1

    # Stage: a named revision tagged "candidate" at 0 %, 100 % pinned to the first one.
    staged = run_v2.Service(got)
    staged.template.revision = "calc-cand1"
    staged.template.containers[0].image = NEXT_IMAGE
    staged.traffic = [
        run_v2.TrafficTarget(
            type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION,
            revision="calc-00001-x",
            percent=100,
        ),
        run_v2.TrafficTarget(
            type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION,
            revision="calc-cand1",
            tag="candidate",
        ),
    ]
    after = services.update_service(service=staged).result(timeout=10)
    patch = fake.requests_to(f"/v2/{name}", "PATCH")[-1]
    assert patch.json()["traffic"][1] == {"type": 2, "revision": "calc-cand1", "tag": "candidate"}
    assert "uri" in patch.json() and "trafficStatuses" in patch.json()  # output-only, sent back
    tagged = [s for s in after.traffic_statuses if s.tag == "candidate"]
    assert tagged and tagged[0].uri.startswith("https://candidate---calc-")
    assert after.latest_ready_revision == f"{name}/revisions/calc-cand1"  # ready, not serving
    serving = after.traffic_statuses[0]
    assert (serving.revision, serving.percent) == ("calc-00001-x", 100)

    listed = list(revisions.list_revisions(parent=name))
    assert [r.name.rsplit("/", 1)[1] for r in listed] == ["calc-cand1", "calc-00001-x"]
    one = revisions.get_revision(name=f"{name}/revisions/calc-cand1")
    assert one.containers[0].image == NEXT_IMAGE
    assert one.conditions[0].state == run_v2.Condition.State.CONDITION_SUCCEEDED
    with pytest.raises(core_exceptions.NotFound):
        revisions.get_revision(name=f"{name}/revisions/calc-nope")

    deleted = services.delete_service(name=name).result(timeout=10)
    assert deleted.name == name
    with pytest.raises(core_exceptions.NotFound):
        services.get_service(name=name)
    assert fake.errors == []


def test_iam_policy_read_modify_write_with_the_etag(fake, url, closing):
    services, _ = _clients(url, closing)
    name = f"{PARENT}/services/calc"
    services.create_service(parent=PARENT, service=_google_service(), service_id="calc").result()

    policy = services.get_iam_policy(
        request=iam_policy_pb2.GetIamPolicyRequest(
            resource=name, options=options_pb2.GetPolicyOptions(requested_policy_version=3)
        )
    )
    (read,) = fake.requests_to(f"/v2/{name}:getIamPolicy", "GET")
    assert read.params["options.requestedPolicyVersion"] == "3"
    assert policy.etag == base64.b64decode("ACAB") and not policy.bindings
    policy.bindings.add(role=INVOKER, members=[PUBLIC])
    stored = services.set_iam_policy(
        request=iam_policy_pb2.SetIamPolicyRequest(resource=name, policy=policy)
    )
    (sent,) = fake.requests_to(f"/v2/{name}:setIamPolicy", "POST")
    assert sent.json()["policy"]["etag"] == "ACAB"  # bytes go out base64-encoded
    assert list(stored.bindings[0].members) == [PUBLIC] and stored.etag != policy.etag

    stale = policy_pb2.Policy(etag=policy.etag)
    with pytest.raises(core_exceptions.Conflict, match="concurrent policy changes"):
        services.set_iam_policy(
            request=iam_policy_pb2.SetIamPolicyRequest(resource=name, policy=stale)
        )

    # Our client reads the policy Google's client wrote, and withdraws allUsers with its etag.
    assert set_public(run_api_at(url, closing), "calc", False) is True
    after = services.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=name))
    assert not any(PUBLIC in b.members for b in after.bindings)


def test_update_mask_changes_only_the_named_fields(fake, url, closing):
    services, _ = _clients(url, closing)
    name = f"{PARENT}/services/calc"
    services.create_service(parent=PARENT, service=_google_service(), service_id="calc").result()
    before = services.get_service(name=name)

    latest = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
    only_traffic = run_v2.Service(
        name=name, traffic=[run_v2.TrafficTarget(type_=latest, percent=100, tag="main")]
    )
    after = services.update_service(
        service=only_traffic, update_mask=field_mask_pb2.FieldMask(paths=["traffic"])
    ).result()

    patch = fake.requests_to(f"/v2/{name}", "PATCH")[-1]
    assert patch.params["updateMask"] == "traffic"
    assert after.template == before.template  # the body had no template; the mask kept it
    assert after.labels == before.labels
    assert [t.tag for t in after.traffic] == ["main"]
    assert len(fake.services[name].revisions) == 1  # a traffic-only change makes no revision

    with pytest.raises(core_exceptions.BadRequest, match="Invalid field mask path"):
        services.update_service(
            service=only_traffic, update_mask=field_mask_pb2.FieldMask(paths=["uri"])
        )


def test_validate_only_persists_nothing_and_allow_missing_creates(fake, url, closing):
    services, _ = _clients(url, closing)
    name = f"{PARENT}/services/calc"
    dry = services.create_service(
        request=run_v2.CreateServiceRequest(
            parent=PARENT, service=_google_service(), service_id="calc", validate_only=True
        )
    ).result()
    assert dry.name == name and fake.services == {}
    assert fake.requests_to(f"/v2/{PARENT}/services", "POST")[0].params["validateOnly"] == "true"

    upserted = services.update_service(
        request=run_v2.UpdateServiceRequest(
            service=run_v2.Service(_google_service(), name=name), allow_missing=True
        )
    ).result()
    assert upserted.latest_ready_revision == f"{name}/revisions/calc-00001-x"
    assert list(fake.services) == [name]

    services.delete_service(
        request=run_v2.DeleteServiceRequest(name=name, validate_only=True)
    ).result()
    assert list(fake.services) == [name]
    with pytest.raises(core_exceptions.Conflict, match="etag mismatch"):
        services.delete_service(request=run_v2.DeleteServiceRequest(name=name, etag='"stale"'))
    services.delete_service(
        request=run_v2.DeleteServiceRequest(name=name, etag=upserted.etag)
    ).result()
    assert fake.services == {}


def test_our_body_and_googles_body_leave_the_same_service(fake, url, closing):
    api = run_api_at(url, closing)
    services, _ = _clients(url, closing)
    api.wait(api.create_service("ours", desired.desired_body(settings_of(IMAGE))), "create")
    services.create_service(parent=PARENT, service=_google_service(), service_id="theirs").result()

    # Numbers vs names and an explicit minInstanceCount 0 vs none: the same Service to the API.
    ours, theirs = (fake.services[f"{PARENT}/services/{s}"] for s in ("ours", "theirs"))
    assert ours.body == theirs.body
    assert ours.traffic == theirs.traffic

    # Each client reads the other's service as its own.
    assert desired.changes(api.get_service("theirs") or {}, settings_of(IMAGE)) == []
    read_ours = services.get_service(name=f"{PARENT}/services/ours")
    read_theirs = services.get_service(name=f"{PARENT}/services/theirs")
    for field_name in ("labels", "ingress", "template", "traffic"):
        assert getattr(read_ours, field_name) == getattr(read_theirs, field_name), field_name


def test_googles_read_modify_write_of_our_service_makes_no_revision(fake, url, closing):
    api = run_api_at(url, closing)
    services, _ = _clients(url, closing)
    name = api.service_name("calc")
    created = api.wait(
        api.create_service("calc", desired.desired_body(settings_of(IMAGE))), "create"
    )

    # Google's client sends back what it read: output-only fields, numbers, defaults omitted.
    got = services.get_service(name=name)
    rewritten = services.update_service(service=got).result()
    assert rewritten.generation == 2
    assert len(fake.services[name].revisions) == 1

    # Our client sees no difference to deploy, and stages the next image as a tagged revision.
    current = api.get_service("calc") or {}
    assert desired.changes(current, settings_of(IMAGE)) == []
    staged = desired.desired_body(
        settings_of(NEXT_IMAGE),
        current=current,
        revision="calc-cand1",
        traffic=desired.staged_traffic(current, "calc-cand1"),
    )
    api.wait(api.update_service("calc", staged), "stage")
    seen = services.get_service(name=name)
    tags = {s.tag: s.revision for s in seen.traffic_statuses if s.tag}
    assert tags == {"candidate": "calc-cand1"}
    assert desired.serving_revision(api.get_service("calc") or {}) == "calc-00001-x"

    # What our wait() returned is a Service body the API takes back as it is.
    assert "@type" not in created
    api.wait(api.update_service("calc", {**created, "etag": seen.etag}), "write back")
    assert fake.errors == []


def test_our_deploy_steps_on_a_service_googles_client_made(fake, url, closing, tmp_path):
    services, revisions = _clients(url, closing)
    name = f"{PARENT}/services/calc"
    services.create_service(parent=PARENT, service=_google_service(), service_id="calc").result()

    steps = _our_steps(tmp_path, NEXT_IMAGE, url, closing)
    survey = steps.survey(None)
    assert survey.current["ingress"] == "INGRESS_TRAFFIC_ALL"  # stored by name, whatever was sent
    staged = steps.stage(survey, None)
    assert staged.previous_version == "calc-00001-x" and staged.candidate_url
    steps.promote(staged)

    after = services.get_service(name=name)
    assert [(t.revision, t.percent) for t in after.traffic] == [(staged.version, 100)]
    newest = next(iter(revisions.list_revisions(parent=name)))
    assert newest.containers[0].image == NEXT_IMAGE
    survey = steps.survey(None)
    rolled = steps.move_traffic(survey, steps.rollback_version(survey, ""))
    assert rolled.version == "calc-00001-x"
    assert services.get_service(name=name).traffic[0].revision == "calc-00001-x"


def test_get_service_retries_503_by_default_but_not_429(fake, url, closing, sleeps):
    services, _ = _clients(url, closing)
    name = f"{PARENT}/services/calc"
    services.create_service(parent=PARENT, service=_google_service(), service_id="calc").result()

    fake.faults.status(503, path=f"/v2/{name}", method="GET")
    assert services.get_service(name=name).name == name
    assert [r.fault for r in fake.requests_to(f"/v2/{name}", "GET")] == ["status 503", None]
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 1.0  # initial 1 s, with jitter

    fake.faults.status(429, path=f"/v2/{name}", method="GET")
    with pytest.raises(core_exceptions.TooManyRequests):
        services.get_service(name=name)
    assert len(fake.requests_to(f"/v2/{name}", "GET")) == 3  # the 429 was not retried


def test_create_is_not_retried_and_a_lost_answer_leaves_the_service(fake, url, closing, sleeps):
    services, _ = _clients(url, closing)
    fake.faults.status(503, path=f"/v2/{PARENT}/services", method="POST", after_handling=True)
    with pytest.raises(core_exceptions.ServiceUnavailable):
        services.create_service(parent=PARENT, service=_google_service(), service_id="calc")
    assert len(fake.requests_to(f"/v2/{PARENT}/services", "POST")) == 1 and sleeps == []
    # The API acted: trying again is a conflict, which a caller must read as "it exists".
    with pytest.raises(core_exceptions.Conflict, match="already exists"):
        services.create_service(parent=PARENT, service=_google_service(), service_id="calc")


def test_operation_poll_503_is_polled_again(fake, url, closing, sleeps):
    services, _ = _clients(url, closing)
    fake.faults.status(503, path=f"/v2/{PARENT}/operations/")
    created = services.create_service(
        parent=PARENT, service=_google_service(), service_id="calc"
    ).result(timeout=10)
    assert created.name == f"{PARENT}/services/calc"
    polls = fake.requests_to(f"/v2/{PARENT}/operations/", "GET")
    assert [p.fault for p in polls] == ["status 503", None]
    assert sleeps


def test_a_dropped_connection_is_not_retried_or_wrapped(fake, url, closing, sleeps):
    services, _ = _clients(url, closing)
    name = f"{PARENT}/services/calc"
    services.create_service(parent=PARENT, service=_google_service(), service_id="calc").result()
    fake.faults.drop(path=f"/v2/{name}", method="GET")
    # requests' own error, not a GoogleAPICallError: api-core's default retry never sees it.
    with pytest.raises(requests.exceptions.ConnectionError):
        services.get_service(name=name)
    assert len(fake.requests_to(f"/v2/{name}", "GET")) == 1 and sleeps == []


def test_token_endpoint_faults_through_google_auth(fake, url, tmp_path, auth_request, sleeps):
    from google.oauth2 import service_account

    # STS: google-auth does not retry; a 503 is an OAuthError, a drop a TransportError.
    fake.faults.status(503, path="/v1/token")
    with pytest.raises(auth_exceptions.OAuthError, match="503"):
        _external_account(url, tmp_path / "oidc").refresh(auth_request)
    fake.faults.drop(path="/v1/token")
    with pytest.raises(auth_exceptions.TransportError):
        _external_account(url, tmp_path / "oidc").refresh(auth_request)
    assert len(fake.requests_to("/v1/token")) == 2

    # The oauth2 JWT grant: 503 and 429 are retried with backoff, then the token comes.
    fake.faults.status(503, path="/token").status(429, path="/token")
    credentials = service_account.Credentials.from_service_account_info(
        _key_info(url, fake), scopes=[CLOUD_PLATFORM]
    )
    credentials.refresh(auth_request)
    assert fake.tokens[credentials.token] == DEPLOYER
    assert [r.fault for r in fake.requests_to("/token")] == ["status 503", "status 429", None]
    assert len(sleeps) == 2


def test_our_artifact_registry_requests_are_the_documented_shapes(fake, url, closing):
    from pmcp_action.targets.google_cloud_run.artifact_registry import (
        ArtifactRegistryApi,
        ensure_repository,
    )

    api = ArtifactRegistryApi(
        closing.enter_context(httpx.Client()), GoogleEndpoints(url), token="ya29.t", project=DEMO
    )
    created = ensure_repository(
        api,
        region="us-central1",
        repository="pmcp",
        deadline=Deadline(30),
        sleep=lambda _s: None,
    )
    assert created is True
    read, create, poll = fake.requests
    repositories = f"/v1/{PARENT}/repositories"
    assert (read.method, read.path, read.query) == ("GET", f"{repositories}/pmcp", "")
    assert (create.method, create.path) == ("POST", repositories)
    assert dict(create.params) == {"repositoryId": "pmcp"}
    assert create.headers["content-type"] == "application/json"
    assert create.json() == {
        "format": "DOCKER",
        "description": "MCP server images deployed by pmcp-action",
        "labels": {"managed-by": "pmcp"},
    }
    assert poll.method == "GET" and poll.path.startswith(f"/v1/{PARENT}/operations/")
    assert {r.headers["authorization"] for r in fake.requests} == {"Bearer ya29.t"}


def test_every_body_our_deploy_steps_send_parses_as_googles_messages(fake, url, tmp_path, closing):
    """Independent of the fake's field lists: Google's protos, unknown fields not ignored."""
    first = _our_steps(tmp_path, IMAGE, url, closing)
    first.first_deploy(first.survey(None), None)
    staging = _our_steps(tmp_path, NEXT_IMAGE, url, closing, allow_unauthenticated=False)
    staged = staging.stage(staging.survey(None), None)
    staging.promote(staged)
    third = "us-central1-docker.pkg.dev/d/p/c@sha256:" + "d" * 64
    again = _our_steps(tmp_path, third, url, closing)
    discarded = again.stage(again.survey(None), None)
    again.discard(discarded)
    survey = again.survey(None)
    again.move_traffic(survey, again.rollback_version(survey, "calc-00001-x"))
    again.remove(again.survey(None))

    writes = [
        r for r in fake.requests if r.method in ("POST", "PATCH") and r.path.startswith("/v2/")
    ]
    methods = [r.method for r in writes]
    # create, grant allUsers, stage, withdraw it, promote, stage, grant it, discard, rollback
    assert methods == ["POST", "POST", "PATCH", "POST", "PATCH", "PATCH", "POST", "PATCH", "PATCH"]
    assert staged.version != discarded.version
    for sent in writes:
        if sent.path.endswith(":setIamPolicy"):
            request = json_format.ParseDict(sent.json(), iam_policy_pb2.SetIamPolicyRequest())
            assert request.policy.etag
        else:
            service = json_format.ParseDict(sent.json(), run_v2.Service.pb(run_v2.Service()))
            assert service.template.containers[0].image
        assert set(sent.params) <= {"serviceId"}


def test_one_external_account_file_through_google_auth_and_ours(fake, url, tmp_path, auth_request):
    from pmcp_action.targets.google_cloud_run.credentials import from_credentials_json

    source = tmp_path / "oidc.json"
    source.write_text(json.dumps({"value": _ci_token()}))
    info = {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{PROVIDER}",
        "subject_token_type": JWT_TYPE,
        "token_url": f"{url}/v1/token",
        "service_account_impersonation_url": (
            f"{url}/v1/projects/-/serviceAccounts/{DEPLOYER}:generateAccessToken"
        ),
        "service_account_impersonation": {"token_lifetime_seconds": 1800},
        "credential_source": {
            "file": str(source),
            "format": {"type": "json", "subject_token_field_name": "value"},
        },
    }
    theirs = identity_pool.Credentials.from_info(info, scopes=[CLOUD_PLATFORM])
    theirs.refresh(auth_request)
    with httpx.Client() as http:
        ours = from_credentials_json(
            http, GoogleEndpoints(), json.dumps(info), mask=lambda _s: None
        )
    assert fake.tokens[theirs.token] == fake.tokens[ours.access_token] == DEPLOYER

    their_sts, their_generate, our_sts, our_generate = fake.requests
    form, body = _form(their_sts.body), our_sts.json()
    for snake, camel in (
        ("grant_type", "grantType"),
        ("audience", "audience"),
        ("subject_token", "subjectToken"),
        ("subject_token_type", "subjectTokenType"),
        ("requested_token_type", "requestedTokenType"),
    ):
        assert form[snake] == body[camel], snake
    assert their_generate.json()["lifetime"] == our_generate.json()["lifetime"] == "1800s"
    assert their_generate.json()["scope"] == our_generate.json()["scope"] == [CLOUD_PLATFORM]


def test_googles_run_client_signs_its_own_jwt_with_a_key(fake, url, closing):
    """With a key, the GAPIC client sends a self-signed JWT and never calls the token endpoint.

    Ours always makes the JWT-bearer grant instead: the login to Artifact Registry
    (``oauth2accesstoken``) takes an OAuth access token, never a self-signed JWT.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from google.oauth2 import service_account

    credentials = service_account.Credentials.from_service_account_info(_key_info(url, fake))
    services, _ = _clients(url, closing, credentials)
    with pytest.raises(core_exceptions.NotFound):
        services.get_service(name=f"{PARENT}/services/calc")

    (sent,) = fake.requests
    assert sent.path.startswith("/v2/")  # no POST /token
    head, claims, signature = sent.headers["authorization"].removeprefix("Bearer ").split(".")
    assert _decode(claims)["aud"] == "https://run.googleapis.com/"
    assert _decode(claims)["iss"] == _decode(claims)["sub"] == DEPLOYER
    public = serialization.load_pem_public_key(fake.keys[DEPLOYER])
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(  # raises InvalidSignature otherwise
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
        f"{head}.{claims}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
