"""settings.deploy_toml: the typed view's defaults and locations."""

from __future__ import annotations

from pmcp_action.settings.deploy_toml import DeployConfig


def test_where_without_a_file():
    assert DeployConfig().where("server.name") == "[server].name"
