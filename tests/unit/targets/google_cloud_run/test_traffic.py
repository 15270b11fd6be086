"""Traffic moves are conditional writes: a write refused on the etag (another change came
first) reads the service again and writes again, a few times, then gives up."""

from __future__ import annotations

import pytest

from pmcp_action.errors import RemoteApiError
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
