"""pmcp-run target: deploy, plan, outputs, destroy and rollback against the fake."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from pmcp_action.errors import DeployError, NotSupportedError, TimeoutExceededError
from pmcp_action.targets.pmcp_run.waiting import POLL_SCHEDULE
from tests.fakes.pmcp_run import FakePmcpRun, Upload
from tests.fakes.server import serve
from tests.unit.pmcp_run_helpers import make_harness


def _uploaded(fake: FakePmcpRun, kind: str) -> list[Upload]:
    return [u for u in fake.uploads.values() if u.kind == kind and u.stored]


def test_deploy_sends_cargo_pmcp_variables_with_config_memory_and_timeout(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    result = h.target.deploy()

    (upload_vars,) = h.graphql_variables("getUploadUrls")
    (create_vars,) = h.graphql_variables("createDeploymentFromS3")
    (template,) = _uploaded(h.fake, "template")
    (bootstrap,) = _uploaded(h.fake, "bootstrap")
    assert upload_vars == {
        "projectName": "weather",
        "templateSize": template.size,
        "bootstrapSize": h.artifact.stat().st_size,
    }
    assert create_vars == {
        "templateS3Key": template.key,
        "bootstrapS3Key": bootstrap.key,
        "projectName": "weather",
        "runtime": "provided.al2023",
        "memorySize": 1024,  # [server].memory_mb, not cargo-pmcp's hard-coded 512
        "timeout": 60,  # [server].timeout_seconds, not 30
        "serverVersion": "1.2.3",
        "tier": "domain",
        "allowComposition": False,
        "internalOnly": True,
        "compositionDescription": "Weather lookups",
    }
    # The bytes that arrived are the artifact's, with cargo-pmcp's content types.
    assert bootstrap.sha256 == hashlib.sha256(h.artifact.read_bytes()).hexdigest()
    assert bootstrap.content_type == "application/octet-stream"
    assert template.content_type == "application/json"
    deployment = h.fake.live_deployment("weather")
    assert deployment is not None
    assert result.deployment_id == deployment.id
    assert result.url == f"https://pmcp.test/{deployment.id}/mcp"
    assert result.health_url == f"https://pmcp.test/{deployment.id}/health"
    assert result.version == "1.2.3"
    assert result.identity == "client pmcp-fake-ci-client"
    assert dict(result.outputs) == {"oauth-enabled": "false", "oauth-discovery-url": ""}
    assert result.can_roll_back is False


def test_deploy_polls_every_stage_quickly_then_every_3_s(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    h.target.deploy()

    statuses = [line.split(": ")[-1] for line in h.output.splitlines() if ": " in line]
    for stage in ("pending", "validating", "deploying", "success"):
        assert stage in statuses
    assert h.fake.graphql_operations().count("getDeployment") == 4
    # Quick at first, then capped at 3 s (the end is noticed within 3 s of the backend's).
    schedule = POLL_SCHEDULE[: len(h.clock.sleeps)]
    pairs = zip(h.clock.sleeps, schedule, strict=True)
    assert all(0.8 * want <= got <= want for got, want in pairs)
    assert h.clock.sleeps[0] <= 0.5
    assert max(h.clock.sleeps) <= 3
    assert sum(h.clock.sleeps) <= 2.5  # P6: the emulator's deploy waits 2.5 s at most


def test_server_version_is_null_when_the_crate_version_is_unknown(tmp_path: Path) -> None:
    h = make_harness(tmp_path, version="")

    result = h.target.deploy()

    (create_vars,) = h.graphql_variables("createDeploymentFromS3")
    assert create_vars["serverVersion"] is None
    assert result.version == ""


def test_deploy_writes_deployment_toml_like_cargo_pmcp(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    result = h.target.deploy()

    assert (tmp_path / ".pmcp" / "deployment.toml").read_text() == (
        "# Auto-generated deployment info for landing page integration\n"
        "# This file is created automatically when deploying to pmcp-run\n"
        "\n"
        "[deployment]\n"
        'server_id = "weather"\n'
        f'endpoint = "{result.url}"\n'
    )


def test_deploy_keeps_existing_deployment_toml_content_and_comments(tmp_path: Path) -> None:
    existing = (
        "# my notes about this server\n"
        "[landing]\n"
        'theme = "dark"  # keep me\n'
        "\n"
        "[deployment]\n"
        'server_id = "old"\n'
        'endpoint = "https://old.example/mcp"\n'
        "custom = 1  # mine\n"
    )
    h = make_harness(tmp_path, extra_files={".pmcp/deployment.toml": existing})

    result = h.target.deploy()

    text = (tmp_path / ".pmcp" / "deployment.toml").read_text()
    assert text.startswith('# my notes about this server\n[landing]\ntheme = "dark"  # keep me\n')
    assert 'server_id = "weather"' in text
    assert f'endpoint = "{result.url}"' in text
    assert "custom = 1  # mine" in text
    assert "old.example" not in text


def test_oauth_enabled_configures_server_oauth_by_deployment_id(tmp_path: Path) -> None:
    toml = _named("weather") + (
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
    toml = _named("weather") + '[auth]\nenabled = true\nprovider = "cognito"\n'
    fake = FakePmcpRun()

    def refuse(*args: object) -> dict[str, object]:
        from tests.fakes.pmcp_run import _ApiError

        raise _ApiError("User pool quota exceeded", "LimitExceededException")

    monkeypatch.setattr(fake, "oauth_view", refuse)
    h = make_harness(tmp_path, fake, deploy_toml=toml)

    result = h.target.deploy()

    assert result.outputs["oauth-enabled"] == "false"
    assert "Failed to configure OAuth" in h.output
    assert "User pool quota exceeded" in h.output
    assert f"cargo pmcp oauth enable --server {result.deployment_id}" in h.output


def test_redeploy_replaces_the_previous_deployment(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    first = h.target.deploy()

    second = h.target.deploy()

    assert second.deployment_id != first.deployment_id
    assert h.fake.live_deployment("weather").id == second.deployment_id  # type: ignore[union-attr]
    assert h.target.outputs().deployment_id == second.deployment_id


def test_plan_reads_but_mutates_nothing(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.target.deploy()
    before = h.fake.snapshot()
    before.pop("tokens_issued")
    (tmp_path / ".pmcp" / "deployment.toml").unlink()
    operations_before = len(h.fake.graphql_calls)
    uploads_before = len(h.fake.requests_to("/uploads/"))

    result = h.target.plan()

    after = h.fake.snapshot()
    after.pop("tokens_issued")
    assert after == before
    assert h.fake.graphql_operations()[operations_before:] == ["listDeployments"]
    assert len(h.fake.requests_to("/uploads/")) == uploads_before
    assert not (tmp_path / ".pmcp" / "deployment.toml").exists()
    actions = [(c.action, c.resource) for c in result.changes]
    assert actions[0] == ("update", "pmcp.run deployment weather")
    assert ("create", "bootstrap upload") in actions
    artifact_sha = hashlib.sha256(h.artifact.read_bytes()).hexdigest()
    assert any(artifact_sha[:12] in c.detail for c in result.changes)
    assert result.url == h.fake.live_deployment("weather").url  # type: ignore[union-attr]


def test_plan_of_a_new_project_says_create(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    result = h.target.plan()

    assert result.changes[0].action == "create"
    assert h.fake.deployments == {}
    assert h.fake.uploads == {}


def test_outputs_finds_the_deployment_by_project_name(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    deployed = h.target.deploy()

    result = h.target.outputs()

    assert result.url == deployed.url
    assert result.deployment_id == deployed.deployment_id
    assert result.health_url == deployed.health_url


def test_outputs_without_a_deployment_is_an_error(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    with pytest.raises(DeployError, match="No deployment found for project: weather"):
        h.target.outputs()


def test_destroy_waits_for_the_operation_to_finish(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    deployed = h.target.deploy()

    result = h.target.destroy()

    assert result.deployment_id == deployed.deployment_id
    assert h.fake.deployments == {}
    assert h.graphql_variables("destroyDeployment") == [{"id": deployed.deployment_id}]
    assert h.fake.graphql_operations().count("getDeploymentOperationStatus") >= 2
    assert h.fake.operations[deployed.deployment_id].status == "deleted"


def test_destroy_finished_synchronously_does_not_poll(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.target.deploy()
    h.fake.destroy_outcomes.append("sync")

    h.target.destroy()

    assert "getDeploymentOperationStatus" not in h.fake.graphql_operations()
    assert h.fake.deployments == {}


@pytest.mark.parametrize("outcome", ["failed", "failed-now"])
def test_destroy_failure_is_an_error_with_the_message(tmp_path: Path, outcome: str) -> None:
    h = make_harness(tmp_path)
    h.target.deploy()
    h.fake.destroy_outcomes.append(outcome)

    with pytest.raises(DeployError) as caught:
        h.target.destroy()

    assert "LogGroup could not be deleted" in caught.value.message or (
        "UPDATE_IN_PROGRESS" in caught.value.message
    )


def test_destroy_with_nothing_deployed_fails_and_destroys_nothing(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    other = make_harness(tmp_path / "other", h.fake, deploy_toml=_named("another-server"))
    other.target.deploy()

    with pytest.raises(DeployError, match="No deployment found for project: weather"):
        h.target.destroy()

    assert "destroyDeployment" not in h.fake.graphql_operations()
    assert other.target.outputs().url


def test_destroy_does_not_need_a_local_deploy_folder(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.target.deploy()
    assert not (tmp_path / "deploy").exists()

    h.target.destroy()

    assert h.fake.deployments == {}


def test_rollback_is_not_supported_and_touches_nothing(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    with pytest.raises(NotSupportedError) as caught:
        h.target.rollback("1.2.2")

    assert "pmcp.run has no rollback operation" in caught.value.message
    assert "1.2.2" in caught.value.message
    assert "Deploy the earlier version again" in caught.value.remediation
    assert h.fake.requests == []


def test_deploy_through_a_real_loopback_server(tmp_path: Path) -> None:
    """Real sockets end to end; then speak MCP to the deployed URL."""
    fake = FakePmcpRun()
    with serve(fake) as base_url:
        h = make_harness(tmp_path, fake, network=True, base_url=base_url)

        result = h.target.deploy()

        assert result.url.startswith(f"{base_url}/dep_")
        (token_request,) = fake.requests_to("/oauth2/token")
        assert token_request.headers["Authorization"].startswith("Basic ")
        with httpx.Client(timeout=5) as client:
            headers = {"Accept": "application/json, text/event-stream"}
            init = client.post(
                result.url,
                headers=headers,
                json={
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"protocolVersion": "2025-03-26", "capabilities": {}},
                },
            )
            session = {"Mcp-Session-Id": init.headers["Mcp-Session-Id"], **headers}
            initialized = client.post(
                result.url,
                headers=session,
                json={"jsonrpc": "2.0", "method": "notifications/initialized"},
            )
            tools = client.post(
                result.url,
                headers=session,
                json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            )
            health = client.get(result.health_url)
    assert init.json()["result"]["serverInfo"] == {"name": "weather", "version": "1.2.3"}
    assert init.json()["result"]["protocolVersion"] == "2025-03-26"
    assert initialized.status_code == 202
    assert [t["name"] for t in tools.json()["result"]["tools"]] == ["echo", "add"]
    assert health.status_code == 200
    uploaded = _uploaded(fake, "bootstrap")[0]
    assert uploaded.sha256 == hashlib.sha256(h.artifact.read_bytes()).hexdigest()
    assert json.loads(_uploaded(fake, "template")[0].data)["Description"] == "MCP Server: weather"


def test_deploy_with_assets_uploads_a_deployment_zip(tmp_path: Path) -> None:
    toml = (
        '[target]\ntype = "pmcp-run"\n[server]\nname = "weather"\n[environment]\n'
        '[assets]\ninclude = ["data/*.json"]\n'
    )
    h = make_harness(tmp_path, deploy_toml=toml, extra_files={"data/cities.json": "[]"})

    h.target.deploy()

    (bootstrap,) = _uploaded(h.fake, "bootstrap")
    assert bootstrap.content_type == "application/zip"
    assert bootstrap.data.startswith(b"PK\x03\x04")


def _named(name: str) -> str:
    return f'[target]\ntype = "pmcp-run"\n[server]\nname = "{name}"\n[environment]\n'


def test_the_artifact_is_read_within_the_run_deadline(tmp_path: Path) -> None:
    h = make_harness(tmp_path, deadline_seconds=0)  # passed before the first chunk

    with pytest.raises(TimeoutExceededError) as caught:
        h.target.plan()

    assert caught.value.message == (
        "Stopped reading artifact input build/bootstrap after 0.0 MiB (0 bytes): the run's "
        "deadline of 0 s passed."
    )
