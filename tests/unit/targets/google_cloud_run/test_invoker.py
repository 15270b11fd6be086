"""allUsers as run.invoker: granted once, withdrawn, re-read after a concurrent change, an
organisation policy refusing it; a change of access alone is a change of the deploy."""

from __future__ import annotations

import json

import pytest

from pmcp_action.errors import DeployError
from pmcp_action.targets.google_cloud_run.invoker import OrgPolicyRefused, set_public
from pmcp_action.targets.google_cloud_run.run_api import RunApi
from pmcp_action.targets.google_cloud_run.service import ServiceSettings, desired_body
from tests.fakes.google_cloud_run import FakeCloudRun

from .helpers import SERVICE, World, run_api_over


def _api(fake: FakeCloudRun) -> RunApi:
    """Our client, the service calc created."""
    api = run_api_over(fake)
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
    fake.faults.status(409, path=f"/v2/{SERVICE}:setIamPolicy")
    assert set_public(api, "calc", True) is True
    assert len(fake.requests_to(f"/v2/{SERVICE}:getIamPolicy")) == 2


def test_org_policy_refusing_all_users_says_deployed_but_private():
    fake = FakeCloudRun()
    fake.org_policy_blocks_all_users = True
    api = _api(fake)
    with pytest.raises(OrgPolicyRefused) as caught:
        set_public(api, "calc", True)
    assert "deployed but private" in caught.value.message
    assert "allow-unauthenticated: false" in caught.value.remediation
    assert isinstance(caught.value, DeployError)


def test_only_the_access_changing_is_a_change_too(world: World) -> None:
    image = "us-central1-docker.pkg.dev/demo-project/pmcp/calc@sha256:" + "1" * 64
    inputs = {"gcp-credentials-json": world.key_json, "image": image}
    world.target(inputs).deploy()
    private = world.target({**inputs, "allow-unauthenticated": False}).deploy()
    assert private.unchanged is False and private.access_settling == ""
    assert [(c.action, c.detail) for c in private.changes] == [
        ("update", "withdrew allUsers roles/run.invoker")
    ]
    assert "allUsers" not in json.dumps(world.google.services[SERVICE].policy)
    again = world.target({**inputs, "allow-unauthenticated": False}).deploy()
    assert again.unchanged is True and again.changes == ()
    assert len(world.google.services[SERVICE].revisions) == 1
