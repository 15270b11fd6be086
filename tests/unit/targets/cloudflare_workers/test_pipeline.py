"""Whole runs through the CLI entry: the fake on 127.0.0.1 serves every version on workerd,
so the MCP verification talks to a real Workers runtime (live and preview URLs)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pmcp_action.__main__ import main
from tests.fakes.cloudflare_workers import ACCOUNT_ID, SUBDOMAIN, TOKEN, FakeCloudflare
from tests.support.github import parse_github_output
from tests.unit.targets.cloudflare_workers.helpers import NAME, write_project

pytestmark = pytest.mark.timeout(300)

SECRET = "worker-secret-value-9f3b1c"


def run(
    live_fake, gha_files, project: Path, environ: dict[str, str] | None = None, /, **inputs: str
):
    """A run through the CLI entry; ``environ``: more variables (a CI event's), ``inputs``:
    the action's inputs by attribute name."""
    return run_with(None, live_fake, gha_files, project, environ, **inputs)


def run_with(
    sleep: Callable[[float], None] | None,
    live_fake,
    gha_files,
    project: Path,
    environ: dict[str, str] | None = None,
    /,
    **inputs: str,
):
    """:func:`run` with the program's sleep replaced (``None``: the real one)."""
    fake, url = live_fake
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        gha_files[name].write_text("")
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env |= {
        "INPUT_TARGET": "cloudflare-workers",
        "INPUT_WORKING-DIRECTORY": str(project),
        "INPUT_CLOUDFLARE-API-TOKEN": TOKEN,
        "INPUT_SECRETS": f"API_KEY={SECRET}",
        "INPUT_VERIFY-TIMEOUT-SECONDS": "20",
        "CLOUDFLARE_API_BASE_URL": f"{url}/client/v4",
        "CLOUDFLARE_ACCOUNT_ID": ACCOUNT_ID,
        "PMCP_WORKERS_DEV_ORIGIN": url,
    }
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    env |= environ or {}
    out = io.StringIO()
    code = main([], environ=env, stdout=out, stderr=io.StringIO(), sleep=sleep)
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    printed = "\n".join(
        line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")
    )
    encoded = base64.b64encode(SECRET.encode()).decode()
    for shown in (SECRET, encoded):
        assert shown not in printed + summary + "".join(outputs.values())
    report = Path(outputs["report-path"]).read_text()
    assert SECRET not in report and encoded not in report
    return code, printed, outputs, summary, json.loads(report)


def serving(fake: FakeCloudflare, url: str) -> str:
    """The serverInfo.version the live URL answers with (asked of workerd directly)."""
    answer = httpx.post(
        f"{url}/{NAME}.{SUBDOMAIN}.workers.dev/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
        timeout=30,
    )
    return str(answer.json()["result"]["serverInfo"]["version"])


def test_first_deploy_then_a_redeploy_verified_at_its_preview_url(live_fake, gha_files, tmp_path):
    fake, url = live_fake
    write_project(tmp_path)
    code, out, outputs, summary, _ = run(live_fake, gha_files, tmp_path)
    assert code == 0, out
    assert outputs["url"] == f"{url}/{NAME}.{SUBDOMAIN}.workers.dev/mcp"
    assert outputs["verified"] == "true" and outputs["mcp-server-name"] == "stand-in-worker"
    # add (computed by the wasm module) + one tool per string binding: the variable and secret.
    assert outputs["tool-count"] == "3"
    assert outputs["secrets"] == '{"API_KEY":"set"}'
    first = outputs["version"]

    write_project(tmp_path, version="2.0.0")
    code, out, outputs, summary, report = run(live_fake, gha_files, tmp_path)
    assert code == 0, out
    new = fake.script(NAME).versions[-1]
    assert outputs["version"] == new.id and outputs["previous-version"] == first
    assert outputs["version-preview-url"].startswith(f"{url}/{new.id[:8]}-{NAME}.")
    assert outputs["deployment-id"] == fake.script(NAME).deployments[-1].id
    assert outputs["mcp-server-version"] == "2.0.0" and outputs["unchanged"] == "false"
    assert [p["name"] for p in report["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "promote",
        "verify",
    ]
    assert serving(fake, url) == "2.0.0"

    code, _, outputs, _, report = run(live_fake, gha_files, tmp_path)
    assert code == 0 and outputs["unchanged"] == "true" and outputs["status"] == "unchanged"
    assert outputs["secrets"] == '{"API_KEY":"unchanged"}'
    assert len(fake.script(NAME).versions) == 2
    # The server itself sees the secret as a variable (a tool per string binding; no value).
    assert "binding_API_KEY" in report["verification"]["tools"]


def test_a_failing_candidate_never_takes_traffic(live_fake, gha_files, tmp_path):
    fake, url = live_fake
    write_project(tmp_path)
    assert run(live_fake, gha_files, tmp_path)[0] == 0
    live = fake.script(NAME).live_version()
    write_project(tmp_path, version="2.0.0", broken=True)
    code, out, outputs, summary, _ = run(live_fake, gha_files, tmp_path, verify_timeout_seconds="3")
    assert code == 1
    assert outputs["verified"] == "false" and outputs["rolled-back"] == "true"
    assert "given no traffic" in out and f"Version {live.id} still serves" in summary
    script = fake.script(NAME)
    assert len(script.versions) == 2 and script.live_version() is live
    assert len(script.deployments) == 1
    assert serving(fake, url) == "1.0.0"


def test_without_previews_a_failing_version_is_rolled_back(live_fake, gha_files, tmp_path):
    fake, url = live_fake
    write_project(tmp_path)
    assert run(live_fake, gha_files, tmp_path)[0] == 0
    live = fake.script(NAME).live_version()
    fake.previews = False
    write_project(tmp_path, version="2.0.0", broken=True)
    code, out, outputs, _, _ = run(live_fake, gha_files, tmp_path, verify_timeout_seconds="3")
    assert code == 1 and outputs["rolled-back"] == "true", out
    assert fake.script(NAME).live_version() is live
    assert serving(fake, url) == "1.0.0"


def test_the_rollback_command_serves_the_previous_version_and_verifies_it(
    live_fake, gha_files, tmp_path
):
    fake, url = live_fake
    for version in ("1.0.0", "2.0.0"):
        write_project(tmp_path, version=version)
        assert run(live_fake, gha_files, tmp_path)[0] == 0
    code, out, outputs, _, _ = run(live_fake, gha_files, tmp_path, command="rollback")
    assert code == 0, out
    assert outputs["verified"] == "true" and outputs["mcp-server-version"] == "1.0.0"
    assert serving(fake, url) == "1.0.0"
    assert not [r for r in fake.requests if r.method in ("PUT",) and r.path.endswith(NAME)][1:]
