"""Traffic moves are conditional writes: a write refused on the etag (another change came
first) reads the service again and writes again, a few times, then gives up."""

from __future__ import annotations

import pytest

from pmcp_action.errors import RemoteApiError
from pmcp_action.flow import TrafficMovedError
from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import SERVICE, first_deploy, image_of, promote, serving, stage, steps_for

SERVICE_PATH = f"/v2/{SERVICE}"
_ABORTED = (
    '{"error": {"code": 409, "status": "ABORTED", "message": "etag mismatch: the service '
    'was modified"}}'
)


def test_a_traffic_write_refused_on_the_etag_is_read_again_and_written(tmp_path):
    fake = FakeCloudRun()
    first_deploy(tmp_path, fake)
    staged = stage(tmp_path, fake, "b")
    fake.requests.clear()
    fake.faults.status(409, method="PATCH", path=SERVICE_PATH, body=_ABORTED)
    promoted = promote(tmp_path, fake, staged)
    assert promoted.version == serving(fake) == staged.version
    assert len(fake.requests_to(SERVICE_PATH, "PATCH")) == 2  # refused, written again
    reads = [r for r in fake.requests_to(SERVICE_PATH, "GET") if r.path == SERVICE_PATH]
    assert len(reads) == 2  # before the refused write, after it


def test_a_traffic_write_refused_every_time_gives_up(tmp_path):
    fake = FakeCloudRun()
    first_deploy(tmp_path, fake)
    staged = stage(tmp_path, fake, "b")
    fake.faults.status(409, times=3, method="PATCH", path=SERVICE_PATH, body=_ABORTED)
    with pytest.raises(RemoteApiError) as refused:
        steps_for(tmp_path, image_of("b"), fake=fake).discard(staged)
    assert refused.value.status == 409 and "ABORTED" in refused.value.message


# --- traffic steps ---------------------------------------------------------------------


def _split(fake: FakeCloudRun) -> list[tuple[str, int]]:
    traffic = fake.services[SERVICE].traffic
    return [(str(t["revision"]), int(t["percent"])) for t in traffic if t.get("percent")]


def test_a_step_whose_answer_was_lost_is_done_not_taken_for_another_run(tmp_path):
    fake = FakeCloudRun()
    first = first_deploy(tmp_path, fake).version
    staged = stage(tmp_path, fake, "b")
    fake.requests.clear()
    # The split was written, its answer lost: sent again on the old etag, refused (409);
    # the service read again is split as wanted, so the step is not another run's.
    fake.faults.status(503, method="PATCH", path=SERVICE_PATH, after_handling=True)
    steps = steps_for(tmp_path, image_of("b"), fake=fake)
    stepped = steps.shift_traffic(staged, 10, current=0)
    assert _split(fake) == [(first, 90), (staged.version, 10)]
    # Written (answer lost), sent again (409 on the old etag), written again as read: same.
    patches = fake.requests_to(SERVICE_PATH, "PATCH")
    assert [r.fault is not None for r in patches] == [True, False, False]
    assert stepped.changes[-1].detail == f"{staged.version} at 10 %, {first} at 90 %"


def test_a_step_that_finds_another_split_changes_nothing(tmp_path):
    fake = FakeCloudRun()
    first = first_deploy(tmp_path, fake).version
    staged = stage(tmp_path, fake, "b")
    steps = steps_for(tmp_path, image_of("b"), fake=fake)
    steps.shift_traffic(staged, 10, current=0)
    fake.requests.clear()
    with pytest.raises(TrafficMovedError) as moved:
        steps.shift_traffic(staged, 60, current=50)  # the run left 10 %, not 50 %
    assert moved.value.serving == first
    assert not fake.requests_to(SERVICE_PATH, "PATCH")
    assert _split(fake) == [(first, 90), (staged.version, 10)]


def test_a_step_back_to_zero_drops_the_candidate_tag(tmp_path):
    fake = FakeCloudRun()
    first = first_deploy(tmp_path, fake).version
    staged = stage(tmp_path, fake, "b")
    steps = steps_for(tmp_path, image_of("b"), fake=fake)
    steps.shift_traffic(staged, 50, current=0)
    back = steps.shift_traffic(staged, 0, current=50)
    assert fake.services[SERVICE].traffic == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": first, "percent": 100}
    ]
    assert back.changes[-1].detail == f"back to {first} at 100 %"
