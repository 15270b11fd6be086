"""Whole runs: through the program's entry (deploy verified over MCP, a verification that
fails with nothing to roll back to, outputs, destroy, the server's secrets stored on
pmcp.run and seen by the deployed server), and over real loopback sockets. Every run's
stdout, stderr, summary, outputs and report are scanned for every secret and its base64."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from pmcp_action.__main__ import main
from pmcp_action.targets.pmcp_run.secrets import RECORD
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakePmcpRun
from tests.fakes.server import serve
from tests.support.github import parse_github_output

from .helpers import call_tool, make_harness, uploaded, write_project

API = "https://api.pmcp.test"
#: The API_KEY deploy.toml's [secrets] requires, given as the run's environment variable.
API_KEY = "api-key-from-a-ci-secret"


@dataclass(frozen=True)
class Run:
    code: int
    printed: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    report: str

    def shows(self, secret: str) -> bool:
        """Whether any output holds ``secret``, its base64, or any line of it."""
        everything = "\n".join(
            (self.printed, self.stderr, self.summary, self.report, json.dumps(self.outputs))
        )
        forms = {secret, base64.b64encode(secret.encode()).decode()}
        forms |= {line.strip() for line in secret.splitlines() if len(line.strip()) >= 4}
        return any(form in everything for form in forms)


def run(
    fake: FakePmcpRun,
    gha_files: dict[str, Path],
    project: Path,
    environ: dict[str, str] | None = None,
    **inputs: str,
) -> tuple[int, str, dict[str, str], str]:
    """One run of the program against the fake: (exit code, output, outputs, summary)."""
    made = run_program(fake, gha_files, project, environ, **inputs)
    return made.code, made.printed, made.outputs, made.summary


def run_program(
    fake: FakePmcpRun,
    gha_files: dict[str, Path],
    project: Path,
    environ: dict[str, str] | None = None,
    **inputs: str,
) -> Run:
    """One run of the program against the fake, all it wrote; no secret in any of it."""
    return run_through(fake, fake, gha_files, project, environ, inputs)


def run_through(
    handler: Callable[[httpx.Request], httpx.Response],
    fake: FakePmcpRun,
    gha_files: dict[str, Path],
    project: Path,
    environ: dict[str, str] | None,
    inputs: dict[str, str],
) -> Run:
    """:func:`run_program` with every request sent to ``handler`` (which routes to the fake
    and, say, to GitHub's)."""
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
        "API_KEY": API_KEY,
        "INPUT_VERIFY-TIMEOUT-SECONDS": "1",
    }
    env |= environ or {}
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [],
        environ=env,
        stdout=out,
        stderr=err,
        transport=httpx.MockTransport(handler),
        sleep=lambda _s: None,
    )
    printed = "\n".join(
        line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")
    )
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    report = Path(outputs.get("report-path") or project / "none")
    made = Run(
        code,
        printed,
        err.getvalue(),
        outputs,
        gha_files["GITHUB_STEP_SUMMARY"].read_text(),
        report.read_text() if report.is_file() else "",
    )
    assert made.report or code != 0, "a finished run writes its report"
    given = (DEFAULT_CLIENT_SECRET, env["API_KEY"], *_values(inputs.get("secrets", "")))
    for secret in filter(None, given):
        assert not made.shows(secret), f"a secret ({len(secret)} characters) was printed"
    return made


def _values(text: str) -> list[str]:
    """The values of a secrets input (KEY=VALUE lines and KEY<<EOF blocks)."""
    values: list[str] = []
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            end = line.split("<<", 1)[1]
            block = []
            for inner in lines:
                if inner == end:
                    break
                block.append(inner)
            values.append("\n".join(block))
        elif "=" in line:
            values.append(line.split("=", 1)[1])
    return [value for value in values if value]


def test_a_deploy_is_verified_over_mcp_then_found_and_destroyed(
    tmp_path: Path, gha_files: dict[str, Path]
) -> None:
    fake = FakePmcpRun()
    write_project(tmp_path)

    code, printed, outputs, _ = run(fake, gha_files, tmp_path)

    assert code == 0, printed
    live = fake.live_deployment("weather")
    assert live is not None
    assert fake.secrets_of("weather")["API_KEY"] == API_KEY  # stored, not only resolved
    assert outputs["secrets"] == '{"API_KEY":"set"}'
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
    # The reason is the platform's, not a missing previous version.
    assert "no previous version" not in printed
    assert "is still serving (the pmcp-run target cannot roll back; exit code 3)" in printed
    assert "Verification failed, but the pmcp-run target cannot roll back" in printed


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


PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
DB_URL = "postgres://weather:p=ss@db.internal:5432/weather?sslmode=require"
SECRETS = f"DB_URL={DB_URL}\nSIGNING_KEY<<EOF\n{PEM}\nEOF"


def test_secrets_are_stored_before_the_deployment_and_the_server_sees_them(
    tmp_path: Path, gha_files: dict[str, Path]
) -> None:
    fake = FakePmcpRun()
    write_project(tmp_path)

    first = run_program(fake, gha_files, tmp_path, secrets=SECRETS)

    assert first.code == 0, first.printed
    ops = fake.graphql_operations()
    assert ops.index("setServerSecret") < ops.index("createDeploymentFromS3")
    stored = fake.secrets_of("weather")
    assert (stored["API_KEY"], stored["DB_URL"], stored["SIGNING_KEY"]) == (API_KEY, DB_URL, PEM)
    assert json.loads(first.outputs["secrets"]) == {
        "API_KEY": "set",
        "DB_URL": "set",
        "SIGNING_KEY": "set",
    }
    assert "| **Secrets** | API_KEY set, DB_URL set, SIGNING_KEY set |" in first.summary
    assert json.loads(first.report)["secrets"] == [
        {"name": "API_KEY", "status": "set"},
        {"name": "DB_URL", "status": "set"},
        {"name": "SIGNING_KEY", "status": "set"},
    ]
    # The deployed server reads each as the environment variable of its name (over MCP).
    for name in ("API_KEY", "DB_URL", "SIGNING_KEY"):
        assert call_tool(fake, first.outputs["url"], "has_env", {"name": name}) == "true"
    # [environment].API_KEY of deploy.toml is a secret's name: left out of the template.
    assert b"from-environment-table" not in uploaded(fake, "template")[0].data

    again = run_program(fake, gha_files, tmp_path, secrets=SECRETS)

    assert again.code == 0, again.printed
    assert json.loads(again.outputs["secrets"]) == {
        "API_KEY": "unchanged",
        "DB_URL": "unchanged",
        "SIGNING_KEY": "unchanged",
    }
    assert fake.graphql_operations().count("setServerSecret") == 4  # three and the record
    assert call_tool(fake, again.outputs["url"], "has_env", {"name": "SIGNING_KEY"}) == "true"


def test_plan_prune_and_destroy_name_the_secrets(
    tmp_path: Path, gha_files: dict[str, Path]
) -> None:
    fake = FakePmcpRun()
    write_project(tmp_path)
    assert run_program(fake, gha_files, tmp_path, secrets=SECRETS).code == 0
    writes = fake.graphql_operations().count("setServerSecret")

    plan = run_program(fake, gha_files, tmp_path, command="plan", prune_secrets="true")

    assert plan.code == 0, plan.printed
    assert "keep    pmcp.run secret API_KEY  unchanged" in plan.printed
    assert "delete  pmcp.run secret DB_URL  no longer given (prune-secrets)" in plan.printed
    assert json.loads(plan.outputs["secrets"]) == {
        "API_KEY": "unchanged",
        "DB_URL": "removed",
        "SIGNING_KEY": "removed",
    }
    assert set(fake.secrets_of("weather")) == {"API_KEY", "DB_URL", "SIGNING_KEY", RECORD}

    kept = run_program(fake, gha_files, tmp_path)
    assert json.loads(kept.outputs["secrets"])["DB_URL"] == "kept"
    pruned = run_program(fake, gha_files, tmp_path, prune_secrets="true")
    assert pruned.code == 0, pruned.printed
    assert set(fake.secrets_of("weather")) == {"API_KEY", RECORD}
    assert call_tool(fake, pruned.outputs["url"], "has_env", {"name": "DB_URL"}) == "false"
    assert fake.graphql_operations().count("setServerSecret") == writes + 1  # the record

    destroyed = run_program(fake, gha_files, tmp_path, command="destroy", confirm_destroy="true")

    assert destroyed.code == 0, destroyed.printed
    assert "delete  pmcp.run secret API_KEY  set by pmcp-deploy-action" in destroyed.printed
    assert json.loads(destroyed.outputs["secrets"]) == {"API_KEY": "removed"}
    assert fake.secrets_of("weather") == {} and fake.deployments == {}


def test_a_required_secret_no_one_gave_or_stored_fails_before_any_change(
    tmp_path: Path, gha_files: dict[str, Path]
) -> None:
    fake = FakePmcpRun()
    write_project(tmp_path)

    made = run_program(fake, gha_files, tmp_path, {"API_KEY": ""})

    assert made.code != 0
    assert "the server requires the secret API_KEY" in made.printed
    assert "setServerSecret" not in fake.graphql_operations()
    assert fake.uploads == {} and fake.deployments == {}
    # Stored on pmcp.run already (by someone else): present, kept, the deploy goes on.
    fake.set_secret("weather", "API_KEY", "stored-in-the-dashboard", None, "mcp")
    stored = run_program(fake, gha_files, tmp_path, {"API_KEY": ""})
    assert stored.code == 0, stored.printed
    assert stored.outputs["secrets"] == '{"API_KEY":"kept"}'
    assert fake.secrets_of("weather") == {"API_KEY": "stored-in-the-dashboard"}


def test_bad_secrets_are_named_before_any_call(tmp_path: Path, gha_files: dict[str, Path]) -> None:
    fake = FakePmcpRun()
    write_project(tmp_path)

    for given, said in (
        ("EMPTY=", "the secret EMPTY is empty"),
        ("AWS_REGION=eu-west-1-secret", "Lambda reserves AWS_REGION"),
        (f"{RECORD}=my-own-record", "keeps its record of the secrets it set"),
        ("BIG=" + "z" * (64 * 1024 + 1), "takes 65537 bytes; pmcp.run stores at most 65536"),
    ):
        made = run_program(fake, gha_files, tmp_path, secrets=given)

        assert made.code != 0 and said in made.printed, made.printed
        assert "nothing was changed" in made.printed
    assert fake.requests_to("/graphql") == [] and fake.requests_to("/oauth2/token") == []
