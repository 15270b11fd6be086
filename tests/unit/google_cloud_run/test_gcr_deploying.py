"""The deploy steps against the fake: first deploy, unchanged, stage/promote/discard,
rollback, remove; traffic moves are conditional writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.errors import DeployError, RemoteApiError
from pmcp_action.result import TargetResult
from pmcp_action.targets.google_cloud_run.service import (
    PREVIOUS_ANNOTATION,
    previous_revision,
    serving_revision,
)
from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import steps_for

REPO = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:"
SERVICE = "projects/demo-project/locations/us-central1/services/calc"
SERVICE_PATH = f"/v2/{SERVICE}"


def _image(letter: str) -> str:
    return REPO + letter * 64


def _first(root: Path, fake: FakeCloudRun, letter: str = "a") -> TargetResult:
    steps = steps_for(root, _image(letter), fake=fake)
    return steps.first_deploy(steps.survey(None), None)


def _stage(root: Path, fake: FakeCloudRun, letter: str) -> TargetResult:
    steps = steps_for(root, _image(letter), fake=fake)
    return steps.stage(steps.survey(None), None)


def _promote(root: Path, fake: FakeCloudRun, staged: TargetResult) -> TargetResult:
    return steps_for(root, _image("f"), fake=fake).promote(staged)


def _rollback(root: Path, fake: FakeCloudRun, wanted: str = "") -> TargetResult:
    steps = steps_for(root, _image("f"), fake=fake)
    survey = steps.survey(None)
    version = steps.rollback_version(survey, wanted)
    if version == survey.serving:
        return steps.already_serving(survey)
    return steps.move_traffic(survey, version)


def _serving(fake: FakeCloudRun) -> str:
    return serving_revision(fake.services[SERVICE].to_api())


def test_first_deploy_then_unchanged_makes_no_revision(tmp_path):
    fake = FakeCloudRun()
    first = _first(tmp_path, fake)
    assert first.version == "calc-00001-x" and first.outputs["image"] == _image("a")
    assert first.access_settling  # allUsers was granted just now
    steps = steps_for(tmp_path, _image("a"), fake=fake)
    again = steps.unchanged(steps.survey(None), None)
    assert again is not None and again.unchanged and again.version == "calc-00001-x"
    assert len(fake.services[SERVICE].revisions) == 1


def test_stage_keeps_traffic_then_promote_moves_it(tmp_path):
    fake = FakeCloudRun()
    _first(tmp_path, fake)
    staged = _stage(tmp_path, fake, "b")
    assert staged.previous_version == "calc-00001-x"
    assert staged.version.startswith("calc-bbbbbbb-")
    assert staged.candidate_url.startswith("https://candidate---calc-")
    assert _serving(fake) == "calc-00001-x"
    assert staged.changes[0].detail.startswith("image ")
    promoted = _promote(tmp_path, fake, staged)
    assert promoted.version == staged.version == _serving(fake)
    assert promoted.changes[-1].detail == f"calc-00001-x → {staged.version} at 100 %"


def test_discard_drops_the_tag_and_the_previous_revision_serves(tmp_path):
    fake = FakeCloudRun()
    _first(tmp_path, fake)
    staged = _stage(tmp_path, fake, "b")
    steps_for(tmp_path, _image("b"), fake=fake).discard(staged)
    after = fake.services[SERVICE].to_api()
    assert serving_revision(after) == "calc-00001-x"
    assert not any(s.get("tag") for s in after["trafficStatuses"])


def test_a_revision_never_ready_on_first_deploy_fails_loudly(tmp_path):
    fake = FakeCloudRun()
    fake.never_ready.add(_image("a"))
    with pytest.raises(DeployError, match="is not ready"):
        _first(tmp_path, fake)


def test_rollback_to_previous_and_to_a_named_revision(tmp_path):
    fake = FakeCloudRun()
    _first(tmp_path, fake)
    newer = _promote(tmp_path, fake, _stage(tmp_path, fake, "b")).version
    back = _rollback(tmp_path, fake)
    assert back.version == "calc-00001-x" and back.previous_version == newer
    assert _serving(fake) == "calc-00001-x"
    _rollback(tmp_path, fake, newer)
    assert _serving(fake) == newer
    assert _rollback(tmp_path, fake, newer).unchanged
    with pytest.raises(DeployError, match="not a ready revision") as unknown:
        _rollback(tmp_path, fake, "calc-nope")
    assert newer in unknown.value.remediation and "calc-00001-x" in unknown.value.remediation


def test_rollback_without_an_older_revision_fails(tmp_path):
    fake = FakeCloudRun()
    _first(tmp_path, fake)
    with pytest.raises(DeployError, match="no ready revision that served before"):
        _rollback(tmp_path, fake)


def test_rollback_returns_to_what_served_before_never_to_a_discarded_candidate(tmp_path):
    fake = FakeCloudRun()
    _first(tmp_path, fake)  # calc-00001-x
    newer = _promote(tmp_path, fake, _stage(tmp_path, fake, "b")).version  # a before it
    failed = _stage(tmp_path, fake, "c")
    # c failed its verification: ready, newest, never served.
    steps_for(tmp_path, _image("c"), fake=fake).discard(failed)
    annotations = fake.services[SERVICE].to_api()["annotations"]
    assert annotations[PREVIOUS_ANNOTATION] == "calc-00001-x"
    back = _rollback(tmp_path, fake)
    assert back.version == "calc-00001-x" and back.previous_version == newer
    # The move recorded what it left: a second rollback goes forward again, as a toggle.
    assert _rollback(tmp_path, fake).version == newer


def test_previous_without_a_record_is_the_newest_ready_revision_older_than_the_serving():
    service = {"trafficStatuses": [{"revision": "s-2", "percent": 100}]}
    ready = {"conditions": [{"type": "Ready", "state": "CONDITION_SUCCEEDED"}]}
    revisions = [{"name": f"x/revisions/s-{n}", **ready} for n in (3, 2, 1)]
    assert previous_revision(service, revisions) == "s-1"  # s-3 is newer than what serves
    recorded = {**service, "annotations": {PREVIOUS_ANNOTATION: "s-3"}}
    assert previous_revision(recorded, revisions) == "s-3"  # a rollback from s-3 recorded it
    assert previous_revision(service, revisions[:2]) == ""


def test_the_survey_sees_the_mark_and_remove_deletes_the_service(tmp_path):
    fake = FakeCloudRun()
    _first(tmp_path, fake)
    steps = steps_for(tmp_path, _image("a"), fake=fake)
    survey = steps.survey(None)
    assert survey.deployed.managed and survey.deployed.serving == "calc-00001-x"
    removed = steps.remove(survey)
    assert [(c.action, c.resource) for c in removed.changes] == [
        ("delete", "Cloud Run service calc")
    ]
    assert SERVICE not in fake.services
    assert not steps.survey(None).deployed.exists
    _first(tmp_path, fake)
    fake.services[SERVICE].body["labels"] = {}
    assert not steps.survey(None).deployed.managed


_ABORTED = (
    '{"error": {"code": 409, "status": "ABORTED", "message": "etag mismatch: the service '
    'was modified"}}'
)


def test_a_traffic_write_refused_on_the_etag_is_read_again_and_written(tmp_path):
    fake = FakeCloudRun()
    _first(tmp_path, fake)
    staged = _stage(tmp_path, fake, "b")
    fake.requests.clear()
    fake.faults.status(409, method="PATCH", path=SERVICE_PATH, body=_ABORTED)
    promoted = _promote(tmp_path, fake, staged)
    assert promoted.version == _serving(fake) == staged.version
    assert len(fake.requests_to(SERVICE_PATH, "PATCH")) == 2  # refused, written again
    reads = [r for r in fake.requests_to(SERVICE_PATH, "GET") if r.path == SERVICE_PATH]
    assert len(reads) == 2  # before the refused write, after it


def test_a_traffic_write_refused_every_time_gives_up(tmp_path):
    fake = FakeCloudRun()
    _first(tmp_path, fake)
    staged = _stage(tmp_path, fake, "b")
    fake.faults.status(409, times=3, method="PATCH", path=SERVICE_PATH, body=_ABORTED)
    with pytest.raises(RemoteApiError) as refused:
        steps_for(tmp_path, _image("b"), fake=fake).discard(staged)
    assert refused.value.status == 409 and "ABORTED" in refused.value.message


def test_a_lost_answer_to_the_create_is_read_back_not_sent_again(tmp_path):
    fake = FakeCloudRun()
    services = "/v2/projects/demo-project/locations/us-central1/services"
    fake.faults.status(503, method="POST", path=services, after_handling=True)
    first = _first(tmp_path, fake)
    assert first.version == "calc-00001-x"
    creates = [r for r in fake.requests_to(services, "POST") if r.path == services]
    assert [r.fault for r in creates] == ["status 503"]  # sent once, then read
