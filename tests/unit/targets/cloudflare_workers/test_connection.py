"""connection.Connector: the account the token sees, the workers.dev subdomain."""

from __future__ import annotations

import pytest

from pmcp_action.errors import ConfigError, DeployError
from tests.fakes.cloudflare_workers import ACCOUNT_ID
from tests.unit.targets.cloudflare_workers.helpers import make_target, write_project


def test_the_only_account_the_token_sees_is_used_and_named(tmp_path, fake):
    write_project(tmp_path)
    harness = make_target(tmp_path, fake, account=False)
    harness.target.deploy()
    assert f"the token sees one account, CI account ({ACCOUNT_ID})" in harness.output
    fake.add_account("f" * 32, name="second", subdomain="other")
    fake.tokens[next(iter(fake.tokens))].accounts = (ACCOUNT_ID, "f" * 32)
    with pytest.raises(ConfigError, match="sees 2 accounts"):
        make_target(tmp_path, fake, account=False).target.deploy()


def test_an_account_without_a_workers_dev_subdomain_gets_a_hint(tmp_path, fake):
    write_project(tmp_path)
    fake.accounts[ACCOUNT_ID].subdomain = None
    harness = make_target(tmp_path, fake)
    with pytest.raises(DeployError, match="no workers.dev subdomain") as caught:
        harness.target.deploy()
    assert "does not pick a name" in caught.value.remediation
    assert harness.mutations() == []
