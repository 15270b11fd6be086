"""check on Cloudflare: the token verify endpoint and the survey's reads, nothing written;
an under-scoped token is named with the permission it lacks."""

from __future__ import annotations

import pytest

from pmcp_action.targets.cloudflare_workers.failures import CloudflareAuthError
from tests.unit.targets.cloudflare_workers.helpers import make_target, write_project


def test_check_verifies_the_token_reads_and_writes_nothing(tmp_path, fake):
    write_project(tmp_path)
    harness = make_target(tmp_path, fake)

    result = harness.target.check_access()

    assert "GET /user/tokens/verify" in fake.routes
    assert "no read-only probe of its write permissions" in result.notes[0]
    assert harness.mutations() == []


def test_check_names_the_permission_an_under_scoped_token_lacks(tmp_path, fake):
    write_project(tmp_path)
    fake.add_token("read-only", permissions=frozenset({"Account Settings:Read"}))
    harness = make_target(tmp_path, fake, token="read-only")

    with pytest.raises(CloudflareAuthError) as caught:
        harness.target.check_access()

    assert "Workers Scripts: Edit" in caught.value.remediation
    assert harness.mutations() == []
