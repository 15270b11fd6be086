"""The server's secrets in Secret Manager against the fake: one labelled secret per name, a
version only for a new value (its fingerprint in the annotations, never the value), the
runtime service account granted access to exactly those secrets, the env pinned to the
version (a new value is a new revision, staged like a code change), kept, pruned once the
new revision serves, destroyed with the service; lost answers read back, never sent twice."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.errors import DeployError, ValidationError
from pmcp_action.result import TargetResult
from pmcp_action.targets.google_cloud_run.secrets import ACCESSOR
from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import SERVICE, World, image_of, serving, steps_for

SECRETS = {"API_KEY": "key-one-value", "DB_URL": "postgres://u:p@db/x?a=b"}
IMAGE = image_of("a")
V1 = "/v1/projects/demo-project/secrets"


def _number(fake: FakeCloudRun) -> str:
    return fake.project_number("demo-project")


def _secret(fake: FakeCloudRun, sid: str) -> Any:
    return fake.secret("demo-project", sid)


def _env(fake: FakeCloudRun) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = fake.services[SERVICE].body["template"]["containers"][0]["env"]
    return env


def _statuses(result: TargetResult) -> dict[str, str]:
    return {s.name: s.status.value for s in result.secrets}


def _deploy(root: Path, fake: FakeCloudRun, letter: str = "a", **kw: Any) -> TargetResult:
    """One deploy through the steps as the flow runs them: survey, then first deploy, or
    unchanged, or stage and promote."""
    steps = steps_for(root, image_of(letter), fake=fake, **kw)
    survey = steps.survey(None)
    if not survey.deployed.exists:
        return steps.first_deploy(survey, None)
    same = steps.unchanged(survey, None)
    if same is not None:
        return same
    staged = steps.stage(survey, None)
    return steps_for(root, image_of(letter), fake=fake, **kw).promote(staged)


def _writes(fake: FakeCloudRun) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in fake.requests
        if r.method != "GET" and r.path.startswith(("/v1/projects/demo-project/secrets", "/v2/"))
    ]


def test_first_deploy_stores_one_labelled_secret_per_name_and_pins_version_one(tmp_path):
    fake = FakeCloudRun()
    result = _deploy(tmp_path, fake, secrets=SECRETS)
    assert _statuses(result) == {"API_KEY": "set", "DB_URL": "set"}
    number = _number(fake)
    for name, value in SECRETS.items():
        secret = _secret(fake, f"calc-{name}")
        assert secret.name == f"projects/{number}/secrets/calc-{name}"
        assert secret.labels == {"managed-by": "pmcp", "pmcp-server": "calc"}
        assert fake.value("demo-project", f"calc-{name}", "1") == value
        # The fingerprint and its version in the annotations; never the value.
        assert set(secret.annotations) == {"pmcp-fingerprint", "pmcp-version"}
        assert secret.annotations["pmcp-version"] == "1"
        assert secret.annotations["pmcp-fingerprint"].startswith("s1:")
        assert value not in json.dumps(secret.snapshot())
        assert base64.b64encode(value.encode()).decode() not in json.dumps(fake.snapshot())
    assert _env(fake) == [
        {"name": n, "valueSource": {"secretKeyRef": {"secret": f"calc-{n}", "version": "1"}}}
        for n in ("API_KEY", "DB_URL")
    ]
    revision = fake.services[SERVICE].revisions[-1]
    assert revision.ready  # the runtime service account may read both
    assert fake.environment_of(revision, "demo-project") == SECRETS
    assert [c.detail for c in result.changes if c.resource.startswith("secret ")] == [
        "Secret Manager: version 1 of calc-API_KEY (a new secret)",
        "Secret Manager: version 1 of calc-DB_URL (a new secret)",
    ]


def test_the_default_compute_account_is_granted_exactly_those_secrets(tmp_path):
    fake = FakeCloudRun()
    steps = steps_for(tmp_path, IMAGE, fake=fake)
    other = steps.conn.secrets.create_secret("unrelated", {"team": "data"}, {})
    _deploy(tmp_path, fake, secrets=SECRETS)
    account = f"serviceAccount:{_number(fake)}-compute@developer.gserviceaccount.com"
    for name in SECRETS:
        assert _secret(fake, f"calc-{name}").policy["bindings"] == [
            {"role": ACCESSOR, "members": [account]}
        ]
    assert "bindings" not in fake.secrets[str(other["name"])].policy
    assert not any(r.path.endswith("/calc:setIamPolicy") and "secretAccessor" in r.body.decode()
                   for r in fake.requests)  # fmt: skip


def test_a_service_account_of_its_own_is_the_one_granted(tmp_path):
    fake = FakeCloudRun()
    _deploy(tmp_path, fake)
    own = "runner@demo-project.iam.gserviceaccount.com"
    fake.services[SERVICE].body["template"]["serviceAccount"] = own
    result = _deploy(tmp_path, fake, secrets={"API_KEY": "key-one-value"})
    assert _statuses(result) == {"API_KEY": "set"}
    assert _secret(fake, "calc-API_KEY").policy["bindings"] == [
        {"role": ACCESSOR, "members": [f"serviceAccount:{own}"]}
    ]
    assert fake.services[SERVICE].body["template"]["serviceAccount"] == own  # kept
    assert serving(fake) == result.version


def test_the_same_values_again_write_nothing_and_make_no_revision(tmp_path):
    fake = FakeCloudRun()
    _deploy(tmp_path, fake, secrets=SECRETS)
    fake.requests.clear()
    again = _deploy(tmp_path, fake, secrets=SECRETS)
    assert again.unchanged is True and again.changes == ()
    assert _statuses(again) == {"API_KEY": "unchanged", "DB_URL": "unchanged"}
    assert len(fake.services[SERVICE].revisions) == 1
    assert [v.number for v in _secret(fake, "calc-API_KEY").versions] == [1]
    assert _writes(fake) == []  # not a version, not an annotation, not a policy


def test_a_changed_value_is_a_new_version_and_a_staged_revision(tmp_path):
    fake = FakeCloudRun()
    first = _deploy(tmp_path, fake, secrets=SECRETS)
    steps = steps_for(tmp_path, IMAGE, fake=fake, secrets={**SECRETS, "API_KEY": "key-two-value"})
    survey = steps.survey(None)
    assert steps.unchanged(survey, None) is None  # the same image: still not unchanged
    staged = steps.stage(survey, None)
    assert _statuses(staged) == {"API_KEY": "set", "DB_URL": "unchanged"}
    assert staged.candidate_url and serving(fake) == first.version  # not yet
    assert [v.number for v in _secret(fake, "calc-API_KEY").versions] == [1, 2]
    assert [v.number for v in _secret(fake, "calc-DB_URL").versions] == [1]
    candidate = fake.services[SERVICE].revisions[-1]
    assert fake.environment_of(candidate, "demo-project")["API_KEY"] == "key-two-value"
    served = fake.services[SERVICE].revisions[0]
    assert fake.environment_of(served, "demo-project")["API_KEY"] == "key-one-value"
    assert "update" in {c.action for c in staged.changes}
    assert any(c.detail == "secrets (API_KEY)" for c in staged.changes)
    promoted = steps_for(tmp_path, IMAGE, fake=fake).promote(staged)
    assert serving(fake) == promoted.version == staged.version
    assert _statuses(promoted) == {"API_KEY": "set", "DB_URL": "unchanged"}
    # The access granted at first is not asked for again.
    assert len(fake.requests_to(f"{V1}/calc-API_KEY:setIamPolicy")) == 1


def test_a_secret_not_given_is_kept_at_its_version(tmp_path):
    fake = FakeCloudRun()
    _deploy(tmp_path, fake, secrets=SECRETS)
    result = _deploy(tmp_path, fake, "b", secrets={"API_KEY": "key-one-value"})
    assert _statuses(result) == {"API_KEY": "unchanged", "DB_URL": "kept"}
    refs = {e["name"]: e["valueSource"]["secretKeyRef"]["version"] for e in _env(fake)}
    assert refs == {"API_KEY": "1", "DB_URL": "1"}
    # A run that gives no secret reads no Secret Manager: the template's references stay.
    fake.requests.clear()
    code_only = _deploy(tmp_path, fake, "c")
    assert _statuses(code_only) == {"API_KEY": "kept", "DB_URL": "kept"}
    assert not fake.requests_to(V1)
    assert {e["name"] for e in _env(fake)} == {"API_KEY", "DB_URL"}


def test_prune_deletes_a_secret_once_the_new_revision_serves(tmp_path):
    fake = FakeCloudRun()
    first = _deploy(tmp_path, fake, secrets=SECRETS)
    given = {"API_KEY": "key-one-value"}
    steps = steps_for(tmp_path, IMAGE, fake=fake, secrets=given, prune=True)
    staged = steps.stage(steps.survey(None), None)
    # Still read by the serving revision: kept until the candidate takes the traffic.
    assert _statuses(staged) == {"API_KEY": "unchanged", "DB_URL": "kept"}
    assert _secret(fake, "calc-DB_URL") is not None and serving(fake) == first.version
    assert {e["name"] for e in _env(fake)} == {"API_KEY"}
    promoted = steps_for(tmp_path, IMAGE, fake=fake, secrets=given, prune=True).promote(staged)
    assert _statuses(promoted) == {"API_KEY": "unchanged", "DB_URL": "removed"}
    assert _secret(fake, "calc-DB_URL") is None and _secret(fake, "calc-API_KEY") is not None
    assert ("delete", "Secret Manager secret calc-DB_URL") in {
        (c.action, c.resource) for c in promoted.changes
    }


def test_prune_never_removes_a_required_secret_nor_one_discarded(tmp_path):
    fake = FakeCloudRun()
    first = _deploy(tmp_path, fake, secrets=SECRETS)
    steps = steps_for(tmp_path, IMAGE, fake=fake, secrets={}, required=["DB_URL"], prune=True)
    staged = steps.stage(steps.survey(None), None)
    assert _statuses(staged) == {"API_KEY": "kept", "DB_URL": "kept"}
    steps.discard(staged)  # failed its verification: nothing is deleted
    assert _secret(fake, "calc-API_KEY") is not None and serving(fake) == first.version
    promoted = _deploy(tmp_path, fake, secrets={}, required=["DB_URL"], prune=True)
    assert _statuses(promoted) == {"API_KEY": "removed", "DB_URL": "kept"}


def test_a_lost_answer_to_add_version_is_read_back_not_sent_twice(tmp_path):
    fake = FakeCloudRun()
    _deploy(tmp_path, fake, secrets=SECRETS)
    add = f"{V1}/calc-API_KEY:addVersion"
    fake.faults.drop(path=add, after_handling=True)
    result = _deploy(tmp_path, fake, secrets={**SECRETS, "API_KEY": "key-two-value"})
    assert [r.fault for r in fake.requests_to(add)] == [None, "drop"]  # first deploy, then ours
    assert [v.number for v in _secret(fake, "calc-API_KEY").versions] == [1, 2]
    assert _secret(fake, "calc-API_KEY").annotations["pmcp-version"] == "2"
    assert _statuses(result)["API_KEY"] == "set"


def test_an_add_version_that_did_not_happen_is_sent_again_after_the_read(tmp_path):
    fake = FakeCloudRun()
    add = f"{V1}/calc-API_KEY:addVersion"
    fake.faults.status(503, path=add)
    _deploy(tmp_path, fake, secrets=SECRETS)
    assert [r.fault for r in fake.requests_to(add)] == ["status 503", None]
    assert fake.requests_to(f"{V1}/calc-API_KEY/versions/latest", "GET")  # read in between
    assert [v.number for v in _secret(fake, "calc-API_KEY").versions] == [1]


def test_a_lost_answer_to_the_create_is_read_back(tmp_path):
    fake = FakeCloudRun()
    fake.faults.status(503, method="POST", path=V1, after_handling=True)
    result = _deploy(tmp_path, fake, secrets={"API_KEY": "key-one-value"})
    creates = [r for r in fake.requests_to(V1, "POST") if r.path == V1]
    assert [r.fault for r in creates] == ["status 503"]
    assert _statuses(result) == {"API_KEY": "set"}


def test_annotations_and_policies_changed_meanwhile_are_read_again(tmp_path):
    fake = FakeCloudRun()
    _deploy(tmp_path, fake, secrets={"API_KEY": "key-one-value"})
    secret = _secret(fake, "calc-API_KEY")
    secret.annotations["owner"] = "team-a"  # someone else's, kept
    fake.faults.status(409, method="PATCH", path=f"{V1}/calc-API_KEY")
    _deploy(tmp_path, fake, secrets={"API_KEY": "key-two-value"})
    assert secret.annotations["owner"] == "team-a"
    assert secret.annotations["pmcp-version"] == "2"
    assert len(fake.requests_to(f"{V1}/calc-API_KEY", "PATCH")) == 3  # 1st deploy, 409, again

    fake.faults.status(409, path=f"{V1}/calc-NEW:setIamPolicy")
    result = _deploy(tmp_path, fake, "b", secrets={"API_KEY": "key-two-value", "NEW": "n-val"})
    assert _secret(fake, "calc-NEW").policy["bindings"][0]["role"] == ACCESSOR
    assert serving(fake) == result.version


def test_a_secret_id_another_secret_holds_stops_the_deploy_before_any_change(tmp_path):
    fake = FakeCloudRun()
    _deploy(tmp_path, fake)
    steps = steps_for(tmp_path, IMAGE, fake=fake)
    steps.conn.secrets.create_secret("calc-API_KEY", {"team": "data"}, {})
    fake.requests.clear()
    with pytest.raises(DeployError, match="already holds calc-API_KEY") as refused:
        _deploy(tmp_path, fake, "b", secrets=SECRETS)
    assert "--update-labels managed-by=pmcp,pmcp-server=calc" in refused.value.remediation
    assert _writes(fake) == [] and _secret(fake, "calc-DB_URL") is None


def test_a_kept_secret_whose_version_is_disabled_is_left_out_with_a_warning(tmp_path):
    fake = FakeCloudRun()
    _deploy(tmp_path, fake, secrets=SECRETS)
    _secret(fake, "calc-DB_URL").versions[0].state = "DISABLED"
    _secret(fake, "calc-API_KEY").versions[0].state = "DISABLED"
    # A version the template does not read is checked (one it reads is taken as readable).
    fake.services[SERVICE].body["template"]["containers"][0]["env"] = []
    steps = steps_for(tmp_path, image_of("c"), fake=fake, secrets={"API_KEY": "key-one-value"})
    survey = steps.survey(None)
    assert survey.secrets.unusable == ("DB_URL",)
    assert steps.stored_secrets(survey) == frozenset()
    staged = steps.stage(survey, None)
    # The given one is written again (its recorded version cannot be read); DB_URL left out.
    assert _statuses(staged) == {"API_KEY": "set"}
    log = steps.console.log_stream
    assert isinstance(log, io.StringIO) and "DB_URL is left out of the service" in log.getvalue()


def test_a_required_secret_stored_earlier_is_kept_and_one_never_stored_is_refused(world: World):
    inputs = {"gcp-credentials-json": world.key_json, "image": IMAGE}
    world.target(inputs, secrets={"API_KEY": "key-one-value"}).deploy()
    kept = world.target({**inputs, "image": image_of("b")}, required=["API_KEY"]).deploy()
    assert _statuses(kept) == {"API_KEY": "kept"}
    before = world.google.snapshot()
    with pytest.raises(ValidationError, match="requires the secret DB_URL"):
        world.target({**inputs, "image": image_of("c")}, required=["API_KEY", "DB_URL"]).deploy()
    assert world.google.snapshot() == before
    world.assert_no_secret_logged()
    assert "key-one-value" not in world.log.getvalue()


def test_plan_names_each_secret_and_changes_nothing(world: World):
    inputs = {"gcp-credentials-json": world.key_json, "image": IMAGE}
    world.target(inputs, secrets=SECRETS).deploy()
    before = world.google.snapshot()
    planned = world.target(
        inputs, secrets={"API_KEY": "key-one-value", "NEW": "new-value"}, prune=True
    ).plan()
    assert world.google.snapshot() == before
    assert _statuses(planned) == {"API_KEY": "unchanged", "DB_URL": "removed", "NEW": "set"}
    lines = {(c.action, c.resource, c.detail) for c in planned.changes}
    assert ("set", "secret NEW", "Secret Manager calc-NEW: a new version, a new secret") in lines
    assert ("keep", "secret API_KEY", "unchanged") in lines
    assert ("delete", "secret DB_URL", "Secret Manager calc-DB_URL, once nothing serves it") in (
        lines
    )
    service = next(c for c in planned.changes if c.resource == "Cloud Run service calc")
    assert service.action == "update" and "secrets (DB_URL, NEW)" in service.detail
    same = world.target(inputs, secrets=SECRETS).plan()
    assert same.unchanged is True
    assert _statuses(same) == {"API_KEY": "unchanged", "DB_URL": "unchanged"}
    assert "new-value" not in world.log.getvalue()


def test_destroy_deletes_the_secrets_made_for_the_service_and_nothing_else(world: World):
    inputs = {"gcp-credentials-json": world.key_json, "image": IMAGE}
    world.target(inputs, secrets=SECRETS).deploy()
    google = world.google
    with httpx.Client(transport=world.transport()) as client:
        token = google.issue_token("someone@demo-project.iam.gserviceaccount.com")
        headers = {"Authorization": f"Bearer {token}"}
        for sid, labels in [
            ("calc-OTHER", {"team": "data"}),  # our naming, not our label
            ("calc-x-API_KEY", {"managed-by": "pmcp", "pmcp-server": "calc-x"}),  # another's
            ("shared", {"managed-by": "pmcp", "pmcp-server": "calc"}),  # our label, not name
        ]:
            client.post(
                f"http://127.0.0.1:7001{V1}",
                params={"secretId": sid},
                json={"replication": {"automatic": {}}, "labels": labels},
                headers=headers,
            ).raise_for_status()
    gone = world.target(inputs).destroy()
    assert _statuses(gone) == {"API_KEY": "removed", "DB_URL": "removed"}
    assert [c.resource for c in gone.changes] == [
        "Cloud Run service calc",
        "Secret Manager secret calc-API_KEY",
        "Secret Manager secret calc-DB_URL",
    ]
    left = sorted(name.rsplit("/", 1)[1] for name in google.secrets)
    assert left == ["calc-OTHER", "calc-x-API_KEY", "shared"]
    assert "Deleted Secret Manager secrets calc-API_KEY, calc-DB_URL" in world.log.getvalue()


def test_destroy_without_secret_manager_deletes_the_service_all_the_same(world: World):
    inputs = {"gcp-credentials-json": world.key_json, "image": IMAGE}
    world.target(inputs).deploy()
    disabled = json.dumps(
        {
            "error": {
                "code": 403,
                "status": "PERMISSION_DENIED",
                "message": "Secret Manager API has not been used in project 1 before or it is "
                "disabled.",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "SERVICE_DISABLED",
                        "metadata": {"service": "secretmanager.googleapis.com"},
                    }
                ],
            }
        }
    )
    world.google.faults.status(403, path=V1, body=disabled)
    gone = world.target(inputs).destroy()
    assert gone.secrets == () and SERVICE not in world.google.services

    world.target(inputs).deploy()
    denied = json.dumps({"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "no"}})
    world.google.faults.status(403, path=V1, body=denied)
    world.target(inputs).destroy()
    assert SERVICE not in world.google.services
    assert "Could not list the Secret Manager secrets of calc" in world.log.getvalue()


def test_every_page_of_the_list_is_read(tmp_path):
    fake = FakeCloudRun()
    fake.secrets_page_size = 2
    five = {f"S{i}": f"value-{i}-xxxx" for i in range(5)}
    _deploy(tmp_path, fake, secrets=five)
    fake.requests.clear()
    again = _deploy(tmp_path, fake, secrets=five)
    assert again.unchanged is True and _writes(fake) == []
    assert [r.params.get("pageToken", "") for r in fake.requests_to(V1, "GET")] == ["", "2", "4"]
