"""Artifact Registry: the Docker repository created once and reused, a concurrent create
taken as success, a flaky operation poll tolerated, a non-JSON answer named."""

from __future__ import annotations

import httpx
import pytest

from pmcp_action.deadline import Deadline
from pmcp_action.errors import RemoteApiError
from pmcp_action.polling import OPERATION_POLL
from pmcp_action.targets.google_cloud_run.artifact_registry import (
    ArtifactRegistryApi,
    ensure_repository,
    repository_path,
)
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from tests.fakes.google_cloud_run import FakeCloudRun
from tests.support.sim_clock import FINISHING_TIMES, SimClock

from .helpers import ENDPOINT


def _ensure(fake: FakeCloudRun) -> bool:
    api = ArtifactRegistryApi(
        httpx.Client(transport=httpx.MockTransport(fake)),
        GoogleEndpoints(ENDPOINT),
        token="t",
        project="demo",
    )
    return ensure_repository(
        api,
        region="us-central1",
        repository="pmcp",
        deadline=Deadline(30),
        sleep=lambda _s: None,
    )


@pytest.mark.parametrize("kind", ["bytes", "content-type"])
def test_a_create_answered_without_json_is_an_error_naming_the_step(kind):
    fake = FakeCloudRun()
    path = "/v1/projects/demo/locations/us-central1/repositories"
    fake.faults.garbage(kind, method="POST", path=path)
    with pytest.raises(RemoteApiError) as caught:
        _ensure(fake)
    assert caught.value.message == (
        "Creating Artifact Registry repository pmcp: 127.0.0.1 answered HTTP 200 with a body "
        "that is not a JSON object."
    )


def test_repository_created_once_then_reused():
    fake = FakeCloudRun()
    assert _ensure(fake) is True
    assert fake.repositories["projects/demo/locations/us-central1/repositories/pmcp"]["format"] == (
        "DOCKER"
    )
    assert _ensure(fake) is False
    assert (
        len(fake.requests_to("/v1/projects/demo/locations/us-central1/repositories", "POST")) == 1
    )
    assert repository_path("us-central1", "demo", "pmcp", "calc") == (
        "us-central1-docker.pkg.dev/demo/pmcp/calc"
    )


def test_already_exists_from_a_concurrent_job_is_success():
    fake = FakeCloudRun()
    fake.race_repository_create = True
    assert _ensure(fake) is False


def test_a_503_on_the_operation_poll_is_tolerated():
    fake = FakeCloudRun()
    fake.faults.status(503, path="/v1/projects/demo/locations/us-central1/operations/")
    assert _ensure(fake) is True


@pytest.mark.parametrize("ends_at", FINISHING_TIMES)
def test_the_create_operation_is_noticed_within_3_s_of_its_end(ends_at: float) -> None:
    fake = FakeCloudRun()
    clock = SimClock(ends_at=ends_at)

    def route(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and "/operations/" in request.url.path:
            if not clock.finished():
                name = request.url.path.removeprefix("/v1/")
                return httpx.Response(200, json={"name": name, "done": False})
        return fake(request)

    api = ArtifactRegistryApi(
        httpx.Client(transport=httpx.MockTransport(route)),
        GoogleEndpoints(ENDPOINT),
        token="t",
        project="demo",
    )
    created = ensure_repository(
        api,
        region="us-central1",
        repository="pmcp",
        deadline=clock.deadline(900),
        sleep=clock.sleep,
    )
    assert created is True
    assert 0.0 <= clock.lag <= OPERATION_POLL.worst_lag == 3.0
    assert max(clock.sleeps, default=0.0) <= 3.0
