"""Our Secret Manager client against the fake: the documented request shapes, the calls that
are not idempotent sent once, a missing secret or version as None, and a refusal naming the
permission and the role that grants it."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.failures import GoogleApiError
from pmcp_action.targets.google_cloud_run.secret_manager import SecretManagerApi, version_number
from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import DEMO, ENDPOINT

SECRETS = f"/v1/projects/{DEMO}/secrets"
LABELS = {"managed-by": "pmcp", "pmcp-server": "calc"}


def _api(fake: FakeCloudRun) -> SecretManagerApi:
    client = httpx.Client(transport=httpx.MockTransport(fake))
    return SecretManagerApi(client, GoogleEndpoints(ENDPOINT), token="ya29.t", project=DEMO)


def test_create_add_annotate_and_read_in_the_documented_shapes():
    fake = FakeCloudRun()
    api = _api(fake)
    created = api.create_secret("calc-API_KEY", LABELS, {})
    (create,) = fake.requests
    assert (create.method, create.path, dict(create.params)) == (
        "POST",
        SECRETS,
        {"secretId": "calc-API_KEY"},
    )
    assert create.json() == {"replication": {"automatic": {}}, "labels": LABELS, "annotations": {}}
    assert create.headers["authorization"] == "Bearer ya29.t"

    added = api.add_version("calc-API_KEY", "two\nlines=é")
    assert version_number(str(added["name"])) == "1"
    body = fake.requests[-1].json()
    assert base64.b64decode(body["payload"]["data"]).decode() == "two\nlines=é"
    assert set(body) == {"payload"} and set(body["payload"]) == {"data"}

    annotated = api.update_annotations("calc-API_KEY", {"pmcp-version": "1"}, str(created["etag"]))
    patch = fake.requests[-1]
    assert (patch.method, patch.path, dict(patch.params)) == (
        "PATCH",
        f"{SECRETS}/calc-API_KEY",
        {"updateMask": "annotations"},
    )
    assert patch.json() == {"annotations": {"pmcp-version": "1"}, "etag": created["etag"]}
    assert annotated["annotations"] == {"pmcp-version": "1"}

    latest = api.get_version("calc-API_KEY", "latest")
    assert latest is not None and latest["state"] == "ENABLED"
    assert api.get_version("calc-API_KEY", "7") is None
    assert api.get_secret("calc-NONE") is None
    listed = api.list_secrets("labels.managed-by=pmcp AND labels.pmcp-server=calc")
    assert [s["name"] for s in listed] == [created["name"]]
    assert fake.requests[-1].params["pageSize"] == "250"
    assert api.delete_secret("calc-API_KEY") is True
    assert api.delete_secret("calc-API_KEY") is False  # already gone


def test_a_version_and_a_secret_are_sent_once_whatever_the_answer():
    fake = FakeCloudRun()
    api = _api(fake)
    fake.faults.status(503, method="POST", path=SECRETS)
    with pytest.raises(GoogleApiError, match="HTTP 503"):
        api.create_secret("calc-A", LABELS, {})
    api.create_secret("calc-A", LABELS, {})
    fake.faults.status(503, path=f"{SECRETS}/calc-A:addVersion", after_handling=True)
    with pytest.raises(GoogleApiError, match="HTTP 503"):
        api.add_version("calc-A", "value-1")
    assert len(fake.requests_to(f"{SECRETS}/calc-A:addVersion")) == 1  # no client retry
    latest = api.get_version("calc-A", "latest")
    assert latest is not None and version_number(str(latest["name"])) == "1"  # it happened


def test_a_refusal_names_the_permission_and_a_role_that_grants_it():
    fake = FakeCloudRun()
    api = _api(fake)
    denied = {
        "error": {
            "code": 403,
            "status": "PERMISSION_DENIED",
            "message": "Permission 'secretmanager.secrets.create' denied for resource "
            "'projects/demo-project' (or it may not exist).",
        }
    }
    fake.faults.status(403, path=SECRETS, body=json.dumps(denied))
    with pytest.raises(GoogleApiError) as refused:
        api.create_secret("calc-A", LABELS, {})
    assert "Creating secret calc-A failed: HTTP 403 PERMISSION_DENIED" in refused.value.message
    assert "secretmanager.secrets.create" in refused.value.remediation
    assert "roles/secretmanager.admin" in refused.value.remediation
