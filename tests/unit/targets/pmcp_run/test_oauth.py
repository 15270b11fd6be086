"""OAuth after a deploy: configured when [auth].enabled, read otherwise, a failure only warns."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.pmcp_run import FakePmcpRun

from .helpers import make_harness, named_toml


def test_oauth_enabled_configures_server_oauth_by_deployment_id(tmp_path: Path) -> None:
    toml = named_toml("weather") + (
        '[auth]\nenabled = true\nprovider = "cognito"\n[auth.dcr]\nenabled = false\n'
        'public_client_patterns = ["claude"]\ndefault_scopes = ["openid", "mcp/read"]\n'
    )
    h = make_harness(tmp_path, deploy_toml=toml)

    result = h.target.deploy()

    (oauth_vars,) = h.graphql_variables("configureServerOAuth")
    assert oauth_vars == {
        "serverId": result.deployment_id,
        "enabled": True,
        "scopes": ["openid", "mcp/read"],
        "dcrEnabled": False,
        "publicClientPatterns": ["claude"],
        "sharedPoolName": None,
    }
    assert result.outputs["oauth-enabled"] == "true"
    assert result.outputs["oauth-discovery-url"] == (
        f"https://pmcp.test/{result.deployment_id}/.well-known/oauth-authorization-server"
    )
    assert "fetchServerOAuthEndpoints" not in h.fake.graphql_operations()


def test_oauth_already_on_in_the_backend_is_reported(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    fake.oauth_view("https://pmcp.test", "weather", {"enabled": True})
    h = make_harness(tmp_path, fake)

    result = h.target.deploy()

    assert h.graphql_variables("fetchServerOAuthEndpoints") == [{"serverId": "weather"}]
    assert result.outputs["oauth-enabled"] == "true"
    assert result.outputs["oauth-discovery-url"].endswith(
        "/weather/.well-known/oauth-authorization-server"
    )


def test_oauth_failure_only_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = named_toml("weather") + '[auth]\nenabled = true\nprovider = "cognito"\n'
    fake = FakePmcpRun()

    def refuse(*args: object) -> dict[str, object]:
        from tests.fakes.pmcp_run import ApiError

        raise ApiError("User pool quota exceeded", "LimitExceededException")

    monkeypatch.setattr(fake, "oauth_view", refuse)
    h = make_harness(tmp_path, fake, deploy_toml=toml)

    result = h.target.deploy()

    assert result.outputs["oauth-enabled"] == "false"
    assert "Failed to configure OAuth" in h.output
    assert "User pool quota exceeded" in h.output
    assert f"cargo pmcp oauth enable --server {result.deployment_id}" in h.output
