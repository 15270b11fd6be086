"""credentials.check_token: invalid, expired and under-scoped API tokens."""

from __future__ import annotations

import pytest

from pmcp_action.targets.cloudflare_workers.failures import CloudflareAuthError
from tests.fakes.cloudflare_workers import ACCOUNT_ID, WORKERS_EDIT
from tests.unit.targets.cloudflare_workers.helpers import NAME, make_target, write_project


def test_an_invalid_token_is_refused_with_how_to_make_one(tmp_path, fake):
    write_project(tmp_path)
    harness = make_target(tmp_path, fake, token="not-a-token")
    with pytest.raises(CloudflareAuthError) as caught:
        harness.target.deploy()
    assert "invalid, revoked or expired" in caught.value.message
    assert "Workers Scripts: Edit" in caught.value.remediation
    assert harness.mutations() == []


def test_an_expired_token_says_so(tmp_path, fake):
    write_project(tmp_path)
    fake.add_token("expired-token", status="expired")
    with pytest.raises(CloudflareAuthError, match="token is expired"):
        make_target(tmp_path, fake, token="expired-token").target.deploy()


def test_an_under_scoped_token_names_the_permission(tmp_path, fake):
    write_project(tmp_path)
    fake.add_token("read-only", permissions=frozenset({"Account Settings:Read"}))
    harness = make_target(tmp_path, fake, token="read-only")
    with pytest.raises(CloudflareAuthError) as caught:
        harness.target.deploy()
    assert f"Reading the Worker {NAME} on account {ACCOUNT_ID}: the API token lacks" in (
        caught.value.message
    )
    assert "Workers Scripts: Edit (an account permission)" in caught.value.remediation
    assert WORKERS_EDIT and harness.mutations() == []
