"""The deploy steps against the fake: first deploy, unchanged, stage/promote/discard,
rollback, destroy."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pmcp_action.deadline import Deadline
from pmcp_action.errors import DeployError, RemoteApiError
from pmcp_action.targets.google_cloud_run.deploying import Steps
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.run_api import RunApi
from pmcp_action.targets.google_cloud_run.service import (
    PREVIOUS_ANNOTATION,
    ServiceSettings,
    previous_revision,
    serving_revision,
)
from tests.fakes.google_cloud_run import FakeCloudRun

REPO = "us-central1-docker.pkg.dev/demo/pmcp/calc@sha256:"


def _service(steps: Steps) -> dict[str, Any]:
    """The service ``calc`` as Cloud Run returns it now (it must exist)."""
    current = steps.api.get_service("calc")
    assert current is not None
    return current


def _steps(fake: FakeCloudRun) -> Steps:
    api = RunApi(
        httpx.Client(transport=httpx.MockTransport(fake)),
        GoogleEndpoints("http://127.0.0.1:9"),
        token="t",
        project="demo",
        region="us-central1",
        deadline=Deadline(30),
        sleep=lambda _s: None,
    )
    return Steps(api, "calc")


def _settings(letter: str) -> ServiceSettings:
    return ServiceSettings(server_name="calc", image=REPO + letter * 64)


def test_first_deploy_then_unchanged_makes_no_revision():
    fake = FakeCloudRun()
    steps = _steps(fake)
    first = steps.first_deploy(_settings("a"))
    assert first.revision == "calc-00001-x"
    current = _service(steps)
    again = steps.stage(current, _settings("a"), "2")
    assert again.unchanged and again.revision == "calc-00001-x"
    assert len(next(iter(fake.services.values())).revisions) == 1


def test_stage_keeps_traffic_then_promote_moves_it():
    fake = FakeCloudRun()
    steps = _steps(fake)
    steps.first_deploy(_settings("a"))
    current = _service(steps)
    staged = steps.stage(current, _settings("b"), "2")
    assert staged.previous == "calc-00001-x" and staged.revision == "calc-bbbbbbb-2"
    assert staged.candidate_url.startswith("https://candidate---calc-")
    assert serving_revision(staged.service) == "calc-00001-x"
    assert staged.changes[0].startswith("image ")
    promoted = steps.promote(staged.revision)
    assert serving_revision(promoted) == "calc-bbbbbbb-2"


def test_discard_drops_the_tag_and_the_previous_revision_serves():
    fake = FakeCloudRun()
    steps = _steps(fake)
    steps.first_deploy(_settings("a"))
    current = _service(steps)
    steps.stage(current, _settings("b"), "2")
    after = steps.discard()
    assert serving_revision(after) == "calc-00001-x"
    assert not any(s.get("tag") for s in after["trafficStatuses"])


def test_a_revision_never_ready_on_first_deploy_fails_loudly():
    fake = FakeCloudRun()
    fake.never_ready.add(REPO + "a" * 64)
    with pytest.raises(DeployError, match="is not ready"):
        _steps(fake).first_deploy(_settings("a"))


def test_rollback_to_previous_and_to_a_named_revision():
    fake = FakeCloudRun()
    steps = _steps(fake)
    steps.first_deploy(_settings("a"))
    current = _service(steps)
    steps.promote(steps.stage(current, _settings("b"), "2").revision)
    back = steps.rollback()
    assert back.revision == "calc-00001-x" and back.previous == "calc-bbbbbbb-2"
    assert serving_revision(back.service) == "calc-00001-x"
    forward = steps.rollback("calc-bbbbbbb-2")
    assert serving_revision(forward.service) == "calc-bbbbbbb-2"
    assert steps.rollback("calc-bbbbbbb-2").unchanged
    with pytest.raises(DeployError, match="not a ready revision"):
        steps.rollback("calc-nope")


def test_rollback_without_an_older_revision_fails():
    fake = FakeCloudRun()
    steps = _steps(fake)
    steps.first_deploy(_settings("a"))
    with pytest.raises(DeployError, match="no ready revision that served before"):
        steps.rollback()


def test_rollback_returns_to_what_served_before_never_to_a_discarded_candidate():
    fake = FakeCloudRun()
    steps = _steps(fake)
    steps.first_deploy(_settings("a"))  # calc-00001-x
    current = _service(steps)
    steps.promote(steps.stage(current, _settings("b"), "2").revision)  # b serves, a before it
    current = _service(steps)
    steps.stage(current, _settings("c"), "3")
    steps.discard()  # c failed its verification: ready, newest, never served
    current = _service(steps)
    assert current["annotations"][PREVIOUS_ANNOTATION] == "calc-00001-x"
    back = steps.rollback()
    assert back.revision == "calc-00001-x" and back.previous == "calc-bbbbbbb-2"
    # The move recorded what it left: a second rollback goes forward again, as a toggle.
    again = steps.rollback()
    assert again.revision == "calc-bbbbbbb-2"


def test_previous_without_a_record_is_the_newest_ready_revision_older_than_the_serving():
    service = {"trafficStatuses": [{"revision": "s-2", "percent": 100}]}
    ready = {"conditions": [{"type": "Ready", "state": "CONDITION_SUCCEEDED"}]}
    revisions = [{"name": f"x/revisions/s-{n}", **ready} for n in (3, 2, 1)]
    assert previous_revision(service, revisions) == "s-1"  # s-3 is newer than what serves
    recorded = {**service, "annotations": {PREVIOUS_ANNOTATION: "s-3"}}
    assert previous_revision(recorded, revisions) == "s-3"  # a rollback from s-3 recorded it
    assert previous_revision(service, revisions[:2]) == ""


def test_destroy_only_a_managed_service():
    fake = FakeCloudRun()
    steps = _steps(fake)
    steps.first_deploy(_settings("a"))
    steps.destroy()
    assert steps.api.get_service("calc") is None
    with pytest.raises(DeployError, match="does not exist"):
        steps.destroy()
    steps.first_deploy(_settings("a"))
    service = next(iter(fake.services.values()))
    service.body["labels"] = {}
    with pytest.raises(DeployError, match="not deployed by pmcp-action"):
        steps.destroy()


_ABORTED = (
    '{"error": {"code": 409, "status": "ABORTED", "message": "etag mismatch: the service '
    'was modified"}}'
)


def test_a_traffic_write_refused_on_the_etag_is_read_again_and_written():
    fake = FakeCloudRun()
    steps = _steps(fake)
    steps.first_deploy(_settings("a"))
    current = _service(steps)
    staged = steps.stage(current, _settings("b"), "2")
    service_path = "/v2/projects/demo/locations/us-central1/services/calc"
    fake.faults.status(409, method="PATCH", path=service_path, body=_ABORTED)
    promoted = steps.promote(staged.revision)
    assert serving_revision(promoted) == staged.revision
    assert len(fake.requests_to(service_path, "PATCH")) == 3  # stage, refused, written again
    reads = [r for r in fake.requests_to(service_path, "GET") if r.path == service_path]
    assert len(reads) == 3  # before stage, before the refused write, after it


def test_a_traffic_write_refused_every_time_gives_up():
    fake = FakeCloudRun()
    steps = _steps(fake)
    steps.first_deploy(_settings("a"))
    service_path = "/v2/projects/demo/locations/us-central1/services/calc"
    fake.faults.status(409, times=3, method="PATCH", path=service_path, body=_ABORTED)
    with pytest.raises(RemoteApiError) as refused:
        steps.discard()
    assert refused.value.status == 409 and "ABORTED" in refused.value.message
