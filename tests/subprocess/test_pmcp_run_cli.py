"""The same program outside GitHub: GitLab CI (dotenv report, sections) and a plain shell."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmcp_action.targets.pmcp_run.secrets import RECORD
from tests.fakes.artifacts import example_project
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakePmcpRun, create_fake
from tests.fakes.server import serve
from tests.support.mcp_tool import call_tool


@pytest.fixture
def pmcp_run() -> Iterator[tuple[FakePmcpRun, str]]:
    fake = create_fake()
    with serve(fake) as url:
        yield fake, str(url)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path / "project", b"cli")


ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH: this checkout's package, not whichever one the interpreter has installed.
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "pmcp_action", *args],
        env=base | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_gitlab_job_writes_a_dotenv_report_and_sections(pmcp_run, project):
    _, url = pmcp_run
    env = {
        "GITLAB_CI": "true",
        "CI": "true",
        "CI_PROJECT_DIR": str(project),
        "PMCP_CLIENT_ID": DEFAULT_CLIENT_ID,
        "PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "PMCP_API_URL": url,
    }
    completed = run_cli(["deploy", "--target", "pmcp-run"], env, project)
    assert completed.returncode == 0, completed.stderr
    dotenv = (project / "pmcp-deploy.env").read_text()
    values = dict(line.split("=", 1) for line in dotenv.splitlines())
    assert values["PMCP_OUT_STATUS"] == "success"
    assert values["PMCP_OUT_URL"].startswith(url) and values["PMCP_OUT_URL"].endswith("/mcp")
    assert values["PMCP_OUT_VERIFIED"] == "true" and values["PMCP_OUT_TOOL_COUNT"] == "3"
    assert values["PMCP_OUT_REPORT_PATH"] == "pmcp-deploy-report.json"
    assert len(dotenv.encode()) <= 5 * 1024 and all("\n" not in v for v in values.values())
    report = json.loads((project / "pmcp-deploy-report.json").read_text())
    assert report["platform"] == "gitlab-ci" and report["status"] == "success"
    assert "section_start:" in completed.stderr and "section_end:" in completed.stderr
    # GitLab shows the Markdown summary in a section, as before (not the terminal's text).
    assert "Deploy summary\n## pmcp deploy — ✅ Deployed\n" in completed.stderr
    assert completed.stdout == ""
    # GitLab cannot mask at run time: the secret must simply never be printed.
    everything = completed.stdout + completed.stderr + dotenv + json.dumps(report)
    assert DEFAULT_CLIENT_SECRET not in everything
    assert "::add-mask::" not in everything


def test_plain_shell_json_output_is_one_object(pmcp_run, project):
    _, url = pmcp_run
    env = {"PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
    args = [
        "--target",
        "pmcp-run",
        "--pmcp-api-url",
        url,
        "--pmcp-client-id",
        DEFAULT_CLIENT_ID,
        "--output-format",
        "json",
    ]
    completed = run_cli(args, env, project)
    assert completed.returncode == 0, completed.stderr
    outputs = json.loads(completed.stdout)
    assert outputs["status"] == "success" and outputs["verified"] == "true"
    assert outputs["deployment-id"] and outputs["url"].startswith(url)
    assert DEFAULT_CLIENT_SECRET not in completed.stdout + completed.stderr


def test_a_secret_reaches_the_served_server_and_is_never_printed(pmcp_run, project):
    """GitLab cannot mask at run time: the secret, given as PMCP_SECRETS, is stored on
    pmcp.run, seen by the deployed server (has_env over real MCP) and printed nowhere."""
    fake, url = pmcp_run
    secret = "sk-subprocess-0123456789abcdef"
    env = {
        "GITLAB_CI": "true",
        "CI": "true",
        "CI_PROJECT_DIR": str(project),
        "PMCP_CLIENT_ID": DEFAULT_CLIENT_ID,
        "PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "PMCP_API_URL": url,
        "PMCP_SECRETS": f"API_KEY={secret}",
    }
    completed = run_cli(["deploy", "--target", "pmcp-run"], env, project)
    assert completed.returncode == 0, completed.stderr
    dotenv = (project / "pmcp-deploy.env").read_text()
    values = dict(line.split("=", 1) for line in dotenv.splitlines())
    assert json.loads(values["PMCP_OUT_SECRETS"]) == {"API_KEY": "set"}
    stored = fake.secrets_of("hello-mcp")
    assert stored["API_KEY"] == secret and set(stored) == {"API_KEY", RECORD}
    assert call_tool(values["PMCP_OUT_URL"], "has_env", {"name": "API_KEY"}) == "true"
    report = (project / "pmcp-deploy-report.json").read_text()
    everything = completed.stdout + completed.stderr + dotenv + report
    for value in (secret, base64.b64encode(secret.encode()).decode(), DEFAULT_CLIENT_SECRET):
        assert value not in everything


def test_plan_touches_nothing(pmcp_run, project):
    fake, url = pmcp_run
    env = {"PMCP_CLIENT_ID": DEFAULT_CLIENT_ID, "PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET}
    completed = run_cli(["plan", "--target", "pmcp-run", "--pmcp-api-url", url], env, project)
    assert completed.returncode == 0, completed.stderr
    assert "Plan ready (nothing was changed)" in completed.stderr
    assert not fake.requests_to("/uploads/")
    assert not (project / ".pmcp" / "deployment.toml").exists()
