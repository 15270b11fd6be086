"""The pipeline around any target: verification, rollback on failure, reporting.

A scripted target (a real object implementing the Target protocol, recording
calls) stands in for a cloud; verification talks to real MCP servers from the
official SDK on loopback.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pmcp_action import pipeline
from pmcp_action.__main__ import main
from pmcp_action.context import RunContext
from pmcp_action.result import TargetResult
from tests.fakes.mcp_servers import serve_mcp, serve_static
from tests.gha import parse_github_output


@dataclass
class ScriptedTarget:
    context: RunContext
    deploy_result: TargetResult
    name: str = "aws-lambda"
    calls: list[tuple[str, str]] = field(default_factory=list)

    def validate(self):
        return []

    def plan(self):
        self.calls.append(("plan", ""))
        return TargetResult(url=self.deploy_result.url)

    def deploy(self):
        self.calls.append(("deploy", ""))
        return self.deploy_result

    def outputs(self):
        self.calls.append(("outputs", ""))
        return self.deploy_result

    def rollback(self, to_version):
        self.calls.append(("rollback", to_version))
        return TargetResult(url=self.deploy_result.url, version=to_version)

    def destroy(self):
        self.calls.append(("destroy", ""))
        return TargetResult()


@pytest.fixture
def scripted(monkeypatch):
    made: list[ScriptedTarget] = []

    def install(result: TargetResult) -> list[ScriptedTarget]:
        def create(context):
            name = context.settings.target
            target = ScriptedTarget(context=context, deploy_result=result, name=name)
            made.append(target)
            return target

        monkeypatch.setattr(pipeline, "create_target", create)
        return made

    return install


def run(gha_files, tmp_path: Path, **inputs: str) -> tuple[int, str, dict[str, str], str]:
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env |= {"INPUT_TARGET": "aws-lambda", "INPUT_WORKING-DIRECTORY": str(tmp_path)}
    env |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    out = io.StringIO()
    code = main([], environ=env, stdout=out, stderr=io.StringIO())
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    return code, out.getvalue(), outputs, gha_files["GITHUB_STEP_SUMMARY"].read_text()


def test_verified_deploy_reports_the_server(scripted, gha_files, tmp_path):
    with serve_mcp(tools=("greet", "add")) as server:
        made = scripted(
            TargetResult(url=server.url, version="7", previous_version="6", can_roll_back=True)
        )
        code, _, outputs, summary = run(gha_files, tmp_path, verify_timeout_seconds="20")
    assert code == 0
    assert made[0].calls == [("deploy", "")]
    assert outputs["verified"] == "true"
    assert outputs["tool-count"] == "2"
    assert outputs["mcp-protocol-version"] == "2026-07-28"  # the SDK server's newest
    assert outputs["rolled-back"] == "false" and outputs["status"] == "success"
    assert "✅ verified" in summary and "`greet`" in summary


def test_handshake_era_server_reports_the_negotiated_version(scripted, gha_files, tmp_path):
    with serve_mcp(tools=("greet",), only="handshake") as server:
        scripted(TargetResult(url=server.url, version="7"))
        code, _, outputs, summary = run(gha_files, tmp_path, verify_timeout_seconds="20")
    assert code == 0
    assert outputs["verified"] == "true" and outputs["tool-count"] == "1"
    assert outputs["mcp-protocol-version"] == "2025-11-25"
    assert "2025-11-25" in summary


def test_failed_verification_rolls_back_to_the_previous_version(scripted, gha_files, tmp_path):
    with serve_static("<html>oops</html>", status=500) as server:
        made = scripted(
            TargetResult(url=server.url, version="7", previous_version="6", can_roll_back=True)
        )
        code, out, outputs, summary = run(gha_files, tmp_path, verify_timeout_seconds="2")
    assert code == 1
    assert made[0].calls == [("deploy", ""), ("rollback", "6")]
    assert outputs["verified"] == "false" and outputs["rolled-back"] == "true"
    assert outputs["status"] == "failure"
    assert "::error title=Verification failed::" in out
    assert "Version 6 serves again" in summary
    assert "yes — version 6 serves again" in summary
    report = json.loads(Path(outputs["report-path"]).read_text())
    assert [p["name"] for p in report["phases"]] == ["validate", "deploy", "verify", "rollback"]
    assert report["rolled_back"] is True


def test_no_rollback_when_disabled_or_nothing_to_return_to(scripted, gha_files, tmp_path):
    with serve_static("junk", status=200) as server:
        made = scripted(TargetResult(url=server.url, version="1", can_roll_back=True))
        code, _, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="1")
        assert (
            code == 1 and made[-1].calls == [("deploy", "")] and outputs["rolled-back"] == "false"
        )

        for path in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            gha_files[path].write_text("")
        made = scripted(
            TargetResult(url=server.url, version="2", previous_version="1", can_roll_back=True)
        )
        code, _, outputs, _ = run(
            gha_files, tmp_path, verify_timeout_seconds="1", rollback_on_failure="false"
        )
        assert (
            code == 1 and made[-1].calls == [("deploy", "")] and outputs["rolled-back"] == "false"
        )


def test_target_that_cannot_roll_back_says_so(scripted, gha_files, tmp_path):
    with serve_static("junk") as server:
        made = scripted(
            TargetResult(url=server.url, version="2", previous_version="1", can_roll_back=False)
        )
        code, out, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="1")
    assert code == 1 and made[0].calls == [("deploy", "")]
    assert "cannot roll back; the new version stays live" in out
    assert outputs["rolled-back"] == "false"


def test_verify_false_skips_verification_and_plan_never_verifies(scripted, gha_files, tmp_path):
    made = scripted(TargetResult(url="http://127.0.0.1:9/mcp", version="3"))
    code, _, outputs, _ = run(gha_files, tmp_path, verify="false")
    assert code == 0 and outputs["verified"] == "" and made[0].calls == [("deploy", "")]
    code, _, outputs, summary = run(gha_files, tmp_path, command="plan")
    assert code == 0 and made[1].calls == [("plan", "")] and "Plan ready" in summary


def test_protected_server_is_not_a_failure_unless_strict(scripted, gha_files, tmp_path):
    with serve_mcp(token="right-token-value") as server:
        scripted(
            TargetResult(url=server.url, version="2", previous_version="1", can_roll_back=True)
        )
        code, _, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="10")
        assert code == 0 and outputs["verified"] == "skipped"
        code, _, outputs, _ = run(
            gha_files,
            tmp_path,
            verify_timeout_seconds="10",
            verify_bearer_token="right-token-value",
        )
        assert code == 0 and outputs["verified"] == "true"
        code, out, outputs, _ = run(
            gha_files, tmp_path, verify_timeout_seconds="10", verify="strict"
        )
        assert code == 1 and outputs["rolled-back"] == "true"
    assert "right-token-value" not in "".join(
        line for line in out.splitlines() if not line.startswith("::add-mask::")
    )


def test_destroy_only_with_confirmation(scripted, gha_files, tmp_path):
    made = scripted(TargetResult())
    code, _, _, _ = run(gha_files, tmp_path, command="destroy", confirm_destroy="true")
    assert code == 0 and made[0].calls == [("destroy", "")]


def test_local_json_output_is_one_object_on_stdout(scripted, tmp_path, capsys):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    scripted(TargetResult(url="https://demo.example/mcp", version="4"))
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["deploy", "--target", "aws-lambda", "--verify", "false", "--output-format", "json"]
    code = main(
        [*argv, "--working-directory", str(tmp_path)], environ={}, stdout=stdout, stderr=stderr
    )
    assert code == 0
    outputs = json.loads(stdout.getvalue())
    assert outputs["url"] == "https://demo.example/mcp" and outputs["version"] == "4"
    assert outputs["status"] == "success"
    assert "## pmcp deploy" in stderr.getvalue()
