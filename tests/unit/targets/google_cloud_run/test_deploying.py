"""The deploy steps against the fake: first deploy, unchanged, stage/promote/discard,
rollback, remove; through the target: a first revision never ready then one serving
directly, a candidate discarded, another deploy moving past ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.errors import DeployError, PmcpActionError
from pmcp_action.result import TargetResult
from pmcp_action.targets.google_cloud_run.service import (
    PREVIOUS_ANNOTATION,
    serving_revision,
)
from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import (
    DEPLOYER,
    PROVIDER,
    SERVICE,
    World,
    first_deploy,
    image_of,
    promote,
    serving,
    stage,
    steps_for,
)


def _rollback(root: Path, fake: FakeCloudRun, wanted: str = "") -> TargetResult:
    steps = steps_for(root, image_of("f"), fake=fake)
    survey = steps.survey(None)
    version = steps.rollback_version(survey, wanted)
    if version == survey.serving:
        return steps.already_serving(survey)
    return steps.move_traffic(survey, version)


def test_first_deploy_then_unchanged_makes_no_revision(tmp_path):
    fake = FakeCloudRun()
    first = first_deploy(tmp_path, fake)
    assert first.version == "calc-00001-x" and first.outputs["image"] == image_of("a")
    assert first.access_settling  # allUsers was granted just now
    steps = steps_for(tmp_path, image_of("a"), fake=fake)
    again = steps.unchanged(steps.survey(None), None)
    assert again is not None and again.unchanged and again.version == "calc-00001-x"
    assert len(fake.services[SERVICE].revisions) == 1


def test_stage_keeps_traffic_then_promote_moves_it(tmp_path):
    fake = FakeCloudRun()
    first_deploy(tmp_path, fake)
    staged = stage(tmp_path, fake, "b")
    assert staged.previous_version == "calc-00001-x"
    assert staged.version.startswith("calc-bbbbbbb-")
    assert staged.candidate_url.startswith("https://candidate---calc-")
    assert serving(fake) == "calc-00001-x"
    assert staged.changes[0].detail.startswith("image ")
    promoted = promote(tmp_path, fake, staged)
    assert promoted.version == staged.version == serving(fake)
    assert promoted.changes[-1].detail == f"calc-00001-x → {staged.version} at 100 %"


def test_discard_drops_the_tag_and_the_previous_revision_serves(tmp_path):
    fake = FakeCloudRun()
    first_deploy(tmp_path, fake)
    staged = stage(tmp_path, fake, "b")
    steps_for(tmp_path, image_of("b"), fake=fake).discard(staged)
    after = fake.services[SERVICE].to_api()
    assert serving_revision(after) == "calc-00001-x"
    assert not any(s.get("tag") for s in after["trafficStatuses"])


def test_a_revision_never_ready_on_first_deploy_fails_loudly(tmp_path):
    fake = FakeCloudRun()
    fake.never_ready.add(image_of("a"))
    with pytest.raises(DeployError, match="is not ready"):
        first_deploy(tmp_path, fake)


def test_rollback_to_previous_and_to_a_named_revision(tmp_path):
    fake = FakeCloudRun()
    first_deploy(tmp_path, fake)
    newer = promote(tmp_path, fake, stage(tmp_path, fake, "b")).version
    back = _rollback(tmp_path, fake)
    assert back.version == "calc-00001-x" and back.previous_version == newer
    assert serving(fake) == "calc-00001-x"
    _rollback(tmp_path, fake, newer)
    assert serving(fake) == newer
    assert _rollback(tmp_path, fake, newer).unchanged
    with pytest.raises(DeployError, match="not a ready revision") as unknown:
        _rollback(tmp_path, fake, "calc-nope")
    assert newer in unknown.value.remediation and "calc-00001-x" in unknown.value.remediation


def test_rollback_without_an_older_revision_fails(tmp_path):
    fake = FakeCloudRun()
    first_deploy(tmp_path, fake)
    with pytest.raises(DeployError, match="no ready revision that served before"):
        _rollback(tmp_path, fake)


def test_rollback_returns_to_what_served_before_never_to_a_discarded_candidate(tmp_path):
    fake = FakeCloudRun()
    first_deploy(tmp_path, fake)  # calc-00001-x
    newer = promote(tmp_path, fake, stage(tmp_path, fake, "b")).version  # a before it
    failed = stage(tmp_path, fake, "c")
    # c failed its verification: ready, newest, never served.
    steps_for(tmp_path, image_of("c"), fake=fake).discard(failed)
    annotations = fake.services[SERVICE].to_api()["annotations"]
    assert annotations[PREVIOUS_ANNOTATION] == "calc-00001-x"
    back = _rollback(tmp_path, fake)
    assert back.version == "calc-00001-x" and back.previous_version == newer
    # The move recorded what it left: a second rollback goes forward again, as a toggle.
    assert _rollback(tmp_path, fake).version == newer


def test_the_survey_sees_the_mark_and_remove_deletes_the_service(tmp_path):
    fake = FakeCloudRun()
    first_deploy(tmp_path, fake)
    steps = steps_for(tmp_path, image_of("a"), fake=fake)
    survey = steps.survey(None)
    assert survey.deployed.managed and survey.deployed.serving == "calc-00001-x"
    removed = steps.remove(survey)
    assert [(c.action, c.resource) for c in removed.changes] == [
        ("delete", "Cloud Run service calc")
    ]
    assert SERVICE not in fake.services
    assert not steps.survey(None).deployed.exists
    first_deploy(tmp_path, fake)
    fake.services[SERVICE].body["labels"] = {}
    assert not steps.survey(None).deployed.managed


def test_a_lost_answer_to_the_create_is_read_back_not_sent_again(tmp_path):
    fake = FakeCloudRun()
    services = "/v2/projects/demo-project/locations/us-central1/services"
    fake.faults.status(503, method="POST", path=services, after_handling=True)
    first = first_deploy(tmp_path, fake)
    assert first.version == "calc-00001-x"
    creates = [r for r in fake.requests_to(services, "POST") if r.path == services]
    assert [r.fault for r in creates] == ["status 503"]  # sent once, then read


def test_oidc_with_impersonation_stage_and_discard(world: World) -> None:
    image_1 = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "1" * 64
    image_2 = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "2" * 64
    oidc = {"gcp-workload-identity-provider": PROVIDER, "gcp-service-account": DEPLOYER}
    world.target({**oidc, "image": image_1}).deploy()
    assert world.issuer.audiences == [f"https://iam.googleapis.com/{PROVIDER}"]
    target = world.target({**oidc, "image": image_2})
    staged = target.stage()
    assert staged.previous_version == "calc-00001-x" and staged.can_roll_back
    assert staged.version.startswith("calc-2222222-")
    assert staged.candidate_url == "https://candidate---calc-abc123-uc.a.run.app/mcp"
    assert staged.url == "https://calc-abc123-uc.a.run.app/mcp"
    traffic = world.google.services[SERVICE].traffic
    assert {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": staged.version,
            "tag": "candidate"} in traffic  # fmt: skip
    target.discard(staged)
    assert world.google.services[SERVICE].traffic == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": "calc-00001-x",
         "percent": 100}
    ]  # fmt: skip
    assert target.outputs().version == "calc-00001-x"
    world.assert_no_secret_logged()


def test_a_first_revision_never_ready_then_a_good_one_serves_directly(world: World) -> None:
    bad = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "b" * 64
    good = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "c" * 64
    world.google.never_ready.add(bad)
    inputs = {"gcp-credentials-json": world.key_json}
    with pytest.raises(PmcpActionError) as failed:
        world.target({**inputs, "image": bad}).deploy()
    assert "failed to start and listen on the port" in failed.value.message
    assert world.google.services[SERVICE].traffic == []  # nothing serves
    result = world.target({**inputs, "image": good}).deploy()
    assert result.version.startswith("calc-ccccccc-") and not result.candidate_url
    assert world.google.services[SERVICE].traffic == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": result.version,
         "percent": 100}
    ]  # fmt: skip


def test_a_deploy_that_another_one_moved_past_leaves_the_later_one_serving(world: World) -> None:
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:"
    inputs = {"gcp-credentials-json": world.key_json}
    world.target({**inputs, "image": image + "1" * 64}).deploy()
    ours = world.target({**inputs, "image": image + "2" * 64})
    staged = ours.stage()
    theirs = world.target({**inputs, "image": image + "3" * 64}).deploy()
    assert theirs.version.startswith("calc-3333333-")
    result = ours.promote(staged)
    assert result.version == theirs.version and result.can_roll_back is False
    assert result.outputs["image"] == image + "3" * 64
    assert "Another deploy moved the traffic of calc to " + theirs.version in result.notes[0]
    assert "Another deploy came first" in world.log.getvalue()
    assert world.google.services[SERVICE].traffic == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": theirs.version,
         "percent": 100}
    ]  # fmt: skip
