"""The contract check for Secret Manager: Google's own client against the fake.

google-cloud-secret-manager's v1 REST transport drives the served fake, so what the fake
accepts is what Google's client sends (``$alt=json;enum-encoding=int``, ``secretId`` as a
query parameter, base64 payloads, ``updateMask``, etags, pages); our client and our
deploy steps go through the same served fake, every body they send parses as Google's
messages, and each client reads what the other wrote. Google's Cloud Run client reads the
variables our steps pinned to secret versions.
"""

from __future__ import annotations

import base64
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

secretmanager = pytest.importorskip(
    "google.cloud.secretmanager_v1", reason="google-cloud-secret-manager (requirements/dev.txt)"
)

from google.api_core import exceptions as core_exceptions  # noqa: E402
from google.api_core.client_options import ClientOptions  # noqa: E402
from google.auth.credentials import AnonymousCredentials  # noqa: E402
from google.cloud import run_v2  # noqa: E402
from google.iam.v1 import iam_policy_pb2  # noqa: E402
from google.protobuf import field_mask_pb2, json_format  # noqa: E402

from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints  # noqa: E402
from pmcp_action.targets.google_cloud_run.secret_manager import SecretManagerApi  # noqa: E402
from pmcp_action.targets.google_cloud_run.secrets import ACCESSOR  # noqa: E402
from tests.fakes.google_cloud_run import FakeCloudRun  # noqa: E402

from .helpers import DEMO, PARENT, steps_for  # noqa: E402

PROJECT = f"projects/{DEMO}"
LABELS = {"managed-by": "pmcp", "pmcp-server": "calc"}
IMAGE = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:" + "a" * 64
VALUE = "multi\nline=value with é"


def _client(url: str, closing: ExitStack) -> Any:
    return closing.enter_context(
        secretmanager.SecretManagerServiceClient(
            credentials=AnonymousCredentials(),
            transport="rest",
            client_options=ClientOptions(api_endpoint=url),
        )
    )


def _ours(url: str, closing: ExitStack) -> SecretManagerApi:
    return SecretManagerApi(
        closing.enter_context(httpx.Client()), GoogleEndpoints(url), token="ya29.t", project=DEMO
    )


def _secret(labels: dict[str, str] | None = None) -> Any:
    return secretmanager.Secret(
        replication=secretmanager.Replication(automatic=secretmanager.Replication.Automatic()),
        labels=labels or LABELS,
    )


def test_a_secrets_life_through_googles_client(fake: FakeCloudRun, url, closing):
    client = _client(url, closing)
    number = fake.project_number(DEMO)
    created = client.create_secret(parent=PROJECT, secret_id="calc-API_KEY", secret=_secret())
    assert created.name == f"projects/{number}/secrets/calc-API_KEY"
    (create,) = fake.requests_to(f"/v1/{PROJECT}/secrets", "POST")
    assert create.params["secretId"] == "calc-API_KEY"
    assert create.params["$alt"] == "json;enum-encoding=int"
    assert create.json() == {"replication": {"automatic": {}}, "labels": LABELS}

    added = client.add_secret_version(
        parent=created.name, payload=secretmanager.SecretPayload(data=VALUE.encode())
    )
    assert added.name.endswith("/versions/1")
    assert added.state == secretmanager.SecretVersion.State.ENABLED  # answered as a number
    (add,) = fake.requests_to(f"/v1/{created.name}:addVersion", "POST")
    assert base64.b64decode(add.json()["payload"]["data"]) == VALUE.encode()
    latest = client.get_secret_version(name=f"{created.name}/versions/latest")
    assert latest.name == added.name
    accessed = client.access_secret_version(name=added.name)
    assert accessed.payload.data == VALUE.encode()

    patched = client.update_secret(
        secret=secretmanager.Secret(
            name=created.name, annotations={"pmcp-version": "1"}, etag=created.etag
        ),
        update_mask=field_mask_pb2.FieldMask(paths=["annotations"]),
    )
    patch = fake.requests_to(f"/v1/{created.name}", "PATCH")[-1]
    assert patch.params["updateMask"] == "annotations" and patch.json()["etag"] == created.etag
    assert dict(patched.annotations) == {"pmcp-version": "1"}
    assert dict(patched.labels) == LABELS
    with pytest.raises(core_exceptions.Conflict, match="etag mismatch"):
        client.update_secret(
            secret=secretmanager.Secret(name=created.name, annotations={}, etag=created.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["annotations"]),
        )

    policy = client.get_iam_policy(
        request=iam_policy_pb2.GetIamPolicyRequest(resource=created.name)
    )
    policy.bindings.add(role=ACCESSOR, members=["serviceAccount:run@demo.iam.gserviceaccount.com"])
    client.set_iam_policy(
        request=iam_policy_pb2.SetIamPolicyRequest(resource=created.name, policy=policy)
    )
    sent = fake.requests_to(f"/v1/{created.name}:setIamPolicy", "POST")[-1]
    assert sent.json()["policy"]["etag"] == "ACAB"
    with pytest.raises(core_exceptions.Conflict, match="concurrent policy changes"):
        client.set_iam_policy(
            request=iam_policy_pb2.SetIamPolicyRequest(resource=created.name, policy=policy)
        )

    client.add_secret_version(
        parent=created.name, payload=secretmanager.SecretPayload(data=b"second")
    )
    versions = list(client.list_secret_versions(parent=created.name))
    assert [v.name.rsplit("/", 1)[1] for v in versions] == ["2", "1"]
    client.disable_secret_version(name=added.name)
    with pytest.raises(core_exceptions.BadRequest, match="DISABLED"):
        client.access_secret_version(name=added.name)

    stale = secretmanager.DeleteSecretRequest(name=created.name, etag='"x"')
    with pytest.raises(core_exceptions.Conflict, match="etag mismatch"):
        client.delete_secret(request=stale)
    assert fake.requests_to(f"/v1/{created.name}", "DELETE")[-1].params["etag"] == '"x"'
    assert client.get_secret(name=created.name).name == created.name  # a stale etag: kept
    client.delete_secret(
        request=secretmanager.DeleteSecretRequest(name=created.name, etag=patched.etag)
    )
    with pytest.raises(core_exceptions.NotFound):
        client.get_secret(name=created.name)
    assert fake.errors == []


def test_googles_list_follows_the_pages_under_a_label_filter(fake, url, closing):
    client = _client(url, closing)
    fake.secrets_page_size = 2
    for sid in ("calc-A", "calc-B", "calc-C"):
        client.create_secret(parent=PROJECT, secret_id=sid, secret=_secret())
    client.create_secret(parent=PROJECT, secret_id="other-A", secret=_secret({"team": "x"}))
    wanted = "labels.managed-by=pmcp AND labels.pmcp-server=calc"
    listed = client.list_secrets(request={"parent": PROJECT, "filter": wanted})
    assert [s.name.rsplit("/", 1)[1] for s in listed] == ["calc-A", "calc-B", "calc-C"]
    pages = fake.requests_to(f"/v1/{PROJECT}/secrets", "GET")
    assert [p.params.get("pageToken", "") for p in pages] == ["", "2"]
    assert {p.params["filter"] for p in pages} == {wanted}
    # Ours reads the same pages.
    ours = _ours(url, closing).list_secrets(wanted)
    assert [s["name"].rsplit("/", 1)[1] for s in ours] == ["calc-A", "calc-B", "calc-C"]


def test_access_is_retried_on_503_but_add_version_is_not(fake, url, closing, sleeps):
    client = _client(url, closing)
    name = client.create_secret(parent=PROJECT, secret_id="calc-A", secret=_secret()).name
    version = client.add_secret_version(
        parent=name, payload=secretmanager.SecretPayload(data=b"v1")
    ).name
    fake.faults.status(503, path=f"/v1/{version}:access")
    assert client.access_secret_version(name=version).payload.data == b"v1"
    assert len(sleeps) == 1
    fake.faults.status(503, path=f"/v1/{name}:addVersion", after_handling=True)
    with pytest.raises(core_exceptions.ServiceUnavailable):
        client.add_secret_version(parent=name, payload=secretmanager.SecretPayload(data=b"v2"))
    # Sent once and it happened: as ours does, a caller must read before sending it again.
    assert len(fake.requests_to(f"/v1/{name}:addVersion")) == 2
    assert client.get_secret_version(name=f"{name}/versions/latest").name.endswith("/2")


def test_each_client_reads_what_the_other_wrote(fake, url, closing):
    client = _client(url, closing)
    ours = _ours(url, closing)
    mine = ours.create_secret("calc-OURS", LABELS, {"pmcp-version": "1"})
    ours.add_version("calc-OURS", VALUE)
    theirs = client.create_secret(parent=PROJECT, secret_id="calc-THEIRS", secret=_secret())
    client.add_secret_version(
        parent=theirs.name, payload=secretmanager.SecretPayload(data=VALUE.encode())
    )
    stored = {s.short: s.snapshot() for s in fake.secrets.values()}
    for key in ("replication", "labels", "versions"):
        assert stored["calc-OURS"][key] == stored["calc-THEIRS"][key], key
    assert fake.value(DEMO, "calc-OURS") == fake.value(DEMO, "calc-THEIRS") == VALUE

    read = client.get_secret(name=str(mine["name"]))
    assert dict(read.labels) == LABELS and dict(read.annotations) == {"pmcp-version": "1"}
    assert client.access_secret_version(name=f"{mine['name']}/versions/1").payload.data == (
        VALUE.encode()
    )
    found = ours.get_secret("calc-THEIRS")
    assert found is not None and found["labels"] == LABELS
    latest = ours.get_version("calc-THEIRS", "latest")
    assert latest is not None and latest["state"] == "ENABLED"


def test_every_body_our_steps_send_parses_as_googles_messages(fake, url, tmp_path, closing):
    """Independent of the fake's field lists: Google's protos, unknown fields not ignored."""
    secrets = {"API_KEY": VALUE, "DB_URL": "postgres://u:p@db/x"}
    first = steps_for(tmp_path, IMAGE, base=url, secrets=secrets)
    closing.callback(first.conn.client.close)
    first.first_deploy(first.survey(None), None)
    changed = steps_for(tmp_path, IMAGE, base=url, secrets={**secrets, "API_KEY": "another"})
    closing.callback(changed.conn.client.close)
    changed.promote(changed.stage(changed.survey(None), None))

    messages = {
        ("POST", "secrets"): secretmanager.Secret,
        ("POST", "addVersion"): secretmanager.AddSecretVersionRequest,
        ("PATCH", "secret"): secretmanager.Secret,
    }
    seen = set()
    for sent in fake.requests_to(f"/v1/{PROJECT}/secrets"):
        if sent.method == "GET":
            continue
        tail = sent.path.rsplit("/", 1)[1]
        if tail.endswith(":setIamPolicy"):
            request = json_format.ParseDict(sent.json(), iam_policy_pb2.SetIamPolicyRequest())
            assert [b.role for b in request.policy.bindings] == [ACCESSOR]
            seen.add("setIamPolicy")
            continue
        kind = "secrets" if tail == "secrets" else tail.partition(":")[2] or "secret"
        message = messages[(sent.method, kind)]
        json_format.ParseDict(sent.json(), message.pb(message()))
        seen.add(kind)
    assert seen == {"secrets", "addVersion", "secret", "setIamPolicy"}
    for sent in fake.requests_to(f"/v2/{PARENT}/services"):
        if sent.method in ("POST", "PATCH") and not sent.path.endswith(":setIamPolicy"):
            json_format.ParseDict(sent.json(), run_v2.Service.pb(run_v2.Service()))

    # Google's Cloud Run client reads the variables pinned to versions.
    services = closing.enter_context(
        run_v2.ServicesClient(
            credentials=AnonymousCredentials(),
            transport="rest",
            client_options=ClientOptions(api_endpoint=url),
        )
    )
    env = services.get_service(name=f"{PARENT}/services/calc").template.containers[0].env
    pinned = {e.name: (e.value_source.secret_key_ref.secret, e.value_source.secret_key_ref.version)
              for e in env}  # fmt: skip
    assert pinned == {"API_KEY": ("calc-API_KEY", "2"), "DB_URL": ("calc-DB_URL", "1")}
    assert fake.errors == []
