"""Whole runs: through the program's entry (deploy verified over MCP, a verification that
fails with nothing to roll back to, outputs, destroy), and over real loopback sockets."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import httpx

from pmcp_action.__main__ import main
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakePmcpRun
from tests.fakes.server import serve
from tests.support.github import parse_github_output

from .helpers import make_harness, uploaded, write_project

API = "https://api.pmcp.test"


def run(
    fake: FakePmcpRun, gha_files: dict[str, Path], project: Path, **inputs: str
) -> tuple[int, str, dict[str, str], str]:
    """One run of the program against the fake: (exit code, output, outputs, summary)."""
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        gha_files[name].write_text("")
    env = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "INPUT_TARGET": "pmcp-run",
        "INPUT_WORKING-DIRECTORY": str(project),
        "INPUT_ARTIFACT": str(project / "build" / "bootstrap"),
        "INPUT_PMCP-API-URL": API,
        "INPUT_PMCP-CLIENT-ID": DEFAULT_CLIENT_ID,
        "INPUT_PMCP-CLIENT-SECRET": DEFAULT_CLIENT_SECRET,
        # deploy.toml's [secrets] requires API_KEY: the run's variable of that name gives it.
        "API_KEY": "api-key-from-a-ci-secret",
        "INPUT_VERIFY-TIMEOUT-SECONDS": "1",
    }
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    out = io.StringIO()
    code = main(
        [],
        environ=env,
        stdout=out,
        stderr=io.StringIO(),
        transport=httpx.MockTransport(fake),
        sleep=lambda _s: None,
    )
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    printed = "\n".join(
        line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")
    )
    assert DEFAULT_CLIENT_SECRET not in printed + summary
    return code, printed, parse_github_output(gha_files["GITHUB_OUTPUT"].read_text()), summary


def test_a_deploy_is_verified_over_mcp_then_found_and_destroyed(
    tmp_path: Path, gha_files: dict[str, Path]
) -> None:
    fake = FakePmcpRun()
    write_project(tmp_path)

    code, printed, outputs, _ = run(fake, gha_files, tmp_path)

    assert code == 0, printed
    live = fake.live_deployment("weather")
    assert live is not None
    assert outputs["url"] == f"{API}/{live.id}/mcp"
    assert outputs["deployment-id"] == live.id
    assert outputs["verified"] == "true" and outputs["mcp-server-name"] == "weather"
    assert outputs["oauth-enabled"] == "false"
    assert outputs["previous-version"] == ""  # pmcp.run keeps none to return to

    code, printed, found, _ = run(fake, gha_files, tmp_path, command="outputs")
    assert code == 0, printed
    assert found["deployment-id"] == live.id and found["url"] == outputs["url"]

    code, printed, _, summary = run(
        fake, gha_files, tmp_path, command="destroy", confirm_destroy="true"
    )
    assert code == 0, printed
    assert f"delete  pmcp.run deployment {live.id}" in printed
    assert fake.deployments == {}


def test_a_failed_verification_leaves_the_deployment_live_and_exits_3(
    tmp_path: Path, gha_files: dict[str, Path]
) -> None:
    fake = FakePmcpRun()
    write_project(tmp_path)
    assert run(fake, gha_files, tmp_path)[0] == 0
    first = fake.live_deployment("weather")
    fake.break_server("http_500")

    code, printed, outputs, _ = run(fake, gha_files, tmp_path)

    assert code == 3, printed
    assert outputs["verified"] == "false" and outputs["rolled-back"] == "false"
    second = fake.live_deployment("weather")
    assert second is not None and first is not None and second.id != first.id
    assert outputs["deployment-id"] == second.id
    assert "Cannot roll back" not in printed  # no rollback was tried


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
    assert [t["name"] for t in tools.json()["result"]["tools"]] == ["echo", "add", "has_env"]
    assert health.status_code == 200
    bootstrap = uploaded(fake, "bootstrap")[0]
    assert bootstrap.sha256 == hashlib.sha256(h.artifact.read_bytes()).hexdigest()
    assert json.loads(uploaded(fake, "template")[0].data)["Description"] == "MCP Server: weather"
