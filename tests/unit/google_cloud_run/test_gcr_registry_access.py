"""Artifact Registry repository creation and the allUsers invoker grant, against the fake."""

from __future__ import annotations

import httpx
import pytest

from pmcp_action.deadline import Deadline
from pmcp_action.errors import DeployError, RemoteApiError
from pmcp_action.targets.google_cloud_run.artifact_registry import (
    ArtifactRegistryApi,
    ensure_repository,
    repository_path,
)
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.invoker import OrgPolicyRefused, set_public
from pmcp_action.targets.google_cloud_run.run_api import RunApi
from pmcp_action.targets.google_cloud_run.service import ServiceSettings, desired_body
from tests.fakes.google_cloud_run import FakeCloudRun

ENDPOINTS = GoogleEndpoints("http://127.0.0.1:9")


def _ensure(fake: FakeCloudRun) -> bool:
    api = ArtifactRegistryApi(
        httpx.Client(transport=httpx.MockTransport(fake)), ENDPOINTS, token="t", project="demo"
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


def _api(fake: FakeCloudRun) -> RunApi:
    api = RunApi(
        httpx.Client(transport=httpx.MockTransport(fake)),
        ENDPOINTS,
        token="t",
        project="demo",
        region="us-central1",
        deadline=Deadline(30),
        sleep=lambda _s: None,
    )
    settings = ServiceSettings(server_name="calc", image="r/calc@sha256:" + "a" * 64)
    api.wait(api.create_service("calc", desired_body(settings)), "create")
    return api


def test_grant_is_idempotent_and_withdrawable():
    fake = FakeCloudRun()
    api = _api(fake)
    assert set_public(api, "calc", True) is True
    assert set_public(api, "calc", True) is False
    assert api.get_iam_policy("calc")["bindings"] == [
        {"role": "roles/run.invoker", "members": ["allUsers"]}
    ]
    assert set_public(api, "calc", False) is True
    assert api.get_iam_policy("calc")["bindings"] == []


def test_a_concurrent_policy_change_is_re_read():
    fake = FakeCloudRun()
    api = _api(fake)
    fake.faults.status(
        409, path="/v2/projects/demo/locations/us-central1/services/calc:setIamPolicy"
    )
    assert set_public(api, "calc", True) is True
    assert (
        len(fake.requests_to("/v2/projects/demo/locations/us-central1/services/calc:getIamPolicy"))
        == 2
    )


def test_org_policy_refusing_all_users_says_deployed_but_private():
    fake = FakeCloudRun()
    fake.org_policy_blocks_all_users = True
    api = _api(fake)
    with pytest.raises(OrgPolicyRefused) as caught:
        set_public(api, "calc", True)
    assert "deployed but private" in caught.value.message
    assert "allow-unauthenticated: false" in caught.value.remediation
    assert isinstance(caught.value, DeployError)
