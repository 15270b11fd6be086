"""The Secret Manager contract fake on its own: strict about shapes, names answered with the
project's number, versions, filters and pages, etags, IAM, and what Cloud Run asks of it
before a revision reads a secret."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import PARENT, SERVICE, run_api_over, service_body

BASE = "http://127.0.0.1:9/v1/projects/demo-project/secrets"
REPLICATION: dict[str, Any] = {"replication": {"automatic": {}}}
LABELS = {"managed-by": "pmcp", "pmcp-server": "calc"}


@pytest.fixture
def fake() -> FakeCloudRun:
    return FakeCloudRun()


@pytest.fixture
def http(fake: FakeCloudRun) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(fake))


def _create(http: httpx.Client, sid: str, **body: Any) -> httpx.Response:
    return http.post(BASE, params={"secretId": sid}, json={**REPLICATION, **body})


def _add(http: httpx.Client, sid: str, value: bytes) -> httpx.Response:
    data = base64.b64encode(value).decode()
    return http.post(f"{BASE}/{sid}:addVersion", json={"payload": {"data": data}})


def _error(answer: httpx.Response) -> tuple[int, str]:
    error = answer.json()["error"]
    return answer.status_code, str(error["status"])


def test_a_secret_is_named_with_the_projects_number_whichever_the_path_gave(fake, http):
    created = _create(http, "calc-API_KEY", labels=LABELS)
    assert created.status_code == 200, created.text
    number = fake.project_number("demo-project")
    assert number.isdigit()
    assert created.json()["name"] == f"projects/{number}/secrets/calc-API_KEY"
    by_number = http.get(f"http://127.0.0.1:9/v1/projects/{number}/secrets/calc-API_KEY")
    assert by_number.json()["labels"] == LABELS
    assert _error(_create(http, "calc-API_KEY")) == (409, "ALREADY_EXISTS")


@pytest.mark.parametrize(
    ("params", "body", "status"),
    [
        ({"secretId": "calc-API_KEY"}, {}, "replication"),  # required
        ({"secretId": "calc-API_KEY"}, {"replication": {"nowhere": {}}}, "nowhere"),
        ({"secretId": "calc API KEY"}, REPLICATION, "secret_id"),
        ({"secretId": "x" * 256}, REPLICATION, "secret_id"),
        ({"secretId": "ok", "other": "1"}, REPLICATION, "Cannot bind query parameter"),
        ({"secretId": "ok"}, {**REPLICATION, "value": "v"}, 'Unknown name "value"'),
        ({"secretId": "ok"}, {**REPLICATION, "labels": {"Managed-By": "pmcp"}}, "labels"),
        ({"secretId": "ok"}, {**REPLICATION, "labels": {"k": "UPPER"}}, "labels"),
        ({"secretId": "ok"}, {**REPLICATION, "annotations": {"a/b": "x"}}, "annotations"),
        ({"secretId": "ok"}, {**REPLICATION, "annotations": {"k": "x" * 16384}}, "16KiB"),
    ],
)
def test_a_create_out_of_shape_is_refused(fake, http, params, body, status):
    answer = http.post(BASE, params=params, json=body)
    assert answer.status_code == 400 and status in answer.json()["error"]["message"]
    assert fake.secrets == {}


def test_versions_count_from_one_and_latest_is_the_newest(fake, http):
    _create(http, "calc-API_KEY")
    first = _add(http, "calc-API_KEY", b"one")
    assert first.json()["name"].endswith("/secrets/calc-API_KEY/versions/1")
    assert first.json()["state"] == "ENABLED"
    _add(http, "calc-API_KEY", b"two\nlines=and equals")
    latest = http.get(f"{BASE}/calc-API_KEY/versions/latest").json()
    assert latest["name"].endswith("/versions/2")
    listed = http.get(f"{BASE}/calc-API_KEY/versions").json()["versions"]
    assert [v["name"].rsplit("/", 1)[1] for v in listed] == ["2", "1"]  # newest first
    accessed = http.get(f"{BASE}/calc-API_KEY/versions/2:access").json()
    assert base64.b64decode(accessed["payload"]["data"]) == b"two\nlines=and equals"
    assert fake.value("demo-project", "calc-API_KEY", "1") == "one"
    assert "data" not in str(fake.snapshot())  # a snapshot never holds a value

    assert http.post(f"{BASE}/calc-API_KEY/versions/1:disable").json()["state"] == "DISABLED"
    assert _error(http.get(f"{BASE}/calc-API_KEY/versions/1:access")) == (
        400,
        "FAILED_PRECONDITION",
    )
    http.post(f"{BASE}/calc-API_KEY/versions/1:destroy")
    assert _error(http.post(f"{BASE}/calc-API_KEY/versions/1:enable"))[0] == 400
    assert _error(http.get(f"{BASE}/calc-API_KEY/versions/9")) == (404, "NOT_FOUND")


def test_a_payload_is_base64_of_at_most_64_kib(fake, http):
    _create(http, "calc-BIG")
    assert _add(http, "calc-BIG", b"x" * 65536).status_code == 200
    assert _error(_add(http, "calc-BIG", b"x" * 65537)) == (400, "INVALID_ARGUMENT")
    url = f"{BASE}/calc-BIG:addVersion"
    assert http.post(url, json={"payload": {"data": "not base64!"}}).status_code == 400
    assert http.post(url, json={"payload": {"data": "eA", "extra": 1}}).status_code == 400
    assert http.post(url, json={"payload": {"data": "eA"}, "x": 1}).status_code == 400
    urlsafe = base64.urlsafe_b64encode(b"\xfb\xff").decode().rstrip("=")
    assert http.post(url, json={"payload": {"data": urlsafe}}).status_code == 200
    wrong = {"payload": {"data": "eA==", "dataCrc32c": "1"}}
    assert _error(http.post(url, json=wrong)) == (400, "INVALID_ARGUMENT")
    right = {"payload": {"data": "eA==", "dataCrc32c": "2839306131"}}  # CRC-32C of b"x"
    assert http.post(url, json=right).status_code == 200
    assert [v.number for v in fake.secrets[next(iter(fake.secrets))].versions] == [1, 2, 3]


def test_the_list_filters_by_labels_and_pages(fake, http):
    fake.secrets_page_size = 2
    for sid, labels in [
        ("calc-A", LABELS),
        ("calc-B", LABELS),
        ("calc-C", LABELS),
        ("calc-D", {"team": "x"}),
        ("other-A", {"managed-by": "pmcp", "pmcp-server": "other"}),
    ]:
        _create(http, sid, labels=labels)
    wanted = "labels.managed-by=pmcp AND labels.pmcp-server=calc"
    first = http.get(BASE, params={"filter": wanted}).json()
    assert [s["name"].rsplit("/", 1)[1] for s in first["secrets"]] == ["calc-A", "calc-B"]
    second = http.get(BASE, params={"filter": wanted, "pageToken": first["nextPageToken"]})
    assert [s["name"].rsplit("/", 1)[1] for s in second.json()["secrets"]] == ["calc-C"]
    assert "nextPageToken" not in second.json()
    named = http.get(BASE, params={"filter": "name:other-"}).json()["secrets"]
    assert [s["name"].rsplit("/", 1)[1] for s in named] == ["other-A"]
    assert _error(http.get(BASE, params={"filter": "labels.x ~ y"})) == (400, "INVALID_ARGUMENT")
    assert _error(http.get(BASE, params={"orderBy": "name"})) == (400, "INVALID_ARGUMENT")


def test_a_patch_needs_its_mask_and_a_stale_etag_is_aborted(fake, http):
    etag = _create(http, "calc-A", labels=LABELS).json()["etag"]
    url = f"{BASE}/calc-A"
    body = {"annotations": {"pmcp-version": "1"}, "etag": etag}
    assert _error(http.patch(url, json=body)) == (400, "INVALID_ARGUMENT")  # no updateMask
    bad = http.patch(url, params={"updateMask": "replication"}, json=body)
    assert _error(bad) == (400, "INVALID_ARGUMENT")
    patched = http.patch(url, params={"updateMask": "annotations"}, json=body).json()
    assert patched["annotations"] == {"pmcp-version": "1"} and patched["labels"] == LABELS
    assert patched["etag"] != etag
    stale = http.patch(url, params={"updateMask": "annotations"}, json=body)
    assert _error(stale) == (409, "ABORTED")
    assert _error(http.delete(url, params={"etag": etag})) == (409, "ABORTED")
    assert http.delete(url, params={"etag": patched["etag"]}).status_code == 200
    assert _error(http.get(url)) == (404, "NOT_FOUND")


def test_iam_policies_take_the_etag_and_known_members(fake, http):
    _create(http, "calc-A")
    policy = http.get(f"{BASE}/calc-A:getIamPolicy").json()
    binding = {
        "role": "roles/secretmanager.secretAccessor",
        "members": ["serviceAccount:run@demo-project.iam.gserviceaccount.com"],
    }
    written = http.post(
        f"{BASE}/calc-A:setIamPolicy", json={"policy": {**policy, "bindings": [binding]}}
    )
    assert written.status_code == 200 and written.json()["etag"] != policy["etag"]
    stale = http.post(f"{BASE}/calc-A:setIamPolicy", json={"policy": policy})
    assert _error(stale) == (409, "ABORTED")
    nobody = {"role": "roles/secretmanager.secretAccessor", "members": ["run@x"]}
    odd = http.post(f"{BASE}/calc-A:setIamPolicy", json={"policy": {"bindings": [nobody]}})
    assert _error(odd) == (400, "INVALID_ARGUMENT")


def test_a_revision_reads_a_secret_only_with_access_to_an_enabled_version(fake, http):
    api = run_api_over(fake)
    _create(http, "calc-API_KEY")
    _add(http, "calc-API_KEY", b"the-value")
    body = service_body("r/calc@sha256:" + "a" * 64)
    ref = {"secretKeyRef": {"secret": "calc-API_KEY", "version": "1"}}
    body["template"]["containers"][0]["env"].append({"name": "API_KEY", "valueSource": ref})
    with pytest.raises(Exception, match="Permission denied on secret.*-compute@developer"):
        api.wait(api.create_service("calc", body), "create")
    assert not fake.services[SERVICE].revisions[0].ready

    number = fake.project_number("demo-project")
    member = f"serviceAccount:{number}-compute@developer.gserviceaccount.com"
    policy = {"bindings": [{"role": "roles/secretmanager.secretAccessor", "members": [member]}]}
    http.post(f"{BASE}/calc-API_KEY:setIamPolicy", json={"policy": policy})
    del fake.services[SERVICE]
    created = api.wait(api.create_service("calc", body), "create")
    revision = fake.services[SERVICE].revisions[0]
    assert revision.ready and created["latestReadyRevision"].endswith(revision.name)
    assert fake.environment_of(revision, "demo-project") == {
        "RUST_LOG": "info",
        "API_KEY": "the-value",
    }
    # A service account of its own is the one that must have access.
    body["template"]["serviceAccount"] = "run@demo-project.iam.gserviceaccount.com"
    with pytest.raises(Exception, match="run@demo-project"):
        api.wait(api.update_service("calc", body), "update")


@pytest.mark.parametrize(
    ("entry", "refused"),
    [
        ({"name": "A", "valueSource": {"secretKeyRef": {"secret": "s", "x": 1}}}, "x"),
        ({"name": "A", "valueSource": {"configMap": {}}}, "configMap"),
        ({"name": "A", "valueSource": {"secretKeyRef": {"version": "1"}}}, "secret is required"),
        ({"name": "A", "value": "v", "valueSource": {"secretKeyRef": {"secret": "s"}}}, "both"),
        ({"name": "K_SERVICE", "value": "v"}, "reserved env names"),
        ({"name": "A", "valueFrom": {}}, "valueFrom"),
    ],
)
def test_an_env_entry_out_of_shape_is_refused(fake, entry, refused):
    api = run_api_over(fake)
    body = service_body("r/calc@sha256:" + "a" * 64)
    body["template"]["containers"][0]["env"] = [entry]
    with pytest.raises(Exception, match=refused):
        api.create_service("calc", body)
    assert fake.services == {} and PARENT
