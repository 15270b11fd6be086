"""The pipeline around any target: verification, rollback on failure, reporting.

A scripted target (a real object implementing the Target protocol, recording
calls) stands in for a cloud; verification talks to real MCP servers from the
official SDK on loopback.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pmcp_action import pipeline
from pmcp_action.__main__ import main
from pmcp_action.ci import detect_platform
from pmcp_action.context import RunContext
from pmcp_action.destinations import report_location
from pmcp_action.result import TargetResult
from tests.fakes.mcp_servers import serve_mcp, serve_static
from tests.support.github import parse_github_output


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


def test_a_version_another_run_put_live_meanwhile_is_not_rolled_back(
    scripted, gha_files, tmp_path, monkeypatch
):
    with serve_static("<html>oops</html>", status=500) as server:
        made = scripted(
            TargetResult(url=server.url, version="7", previous_version="6", can_roll_back=True)
        )
        # While this run verified version 7, another deploy put version 8 live.
        monkeypatch.setattr(ScriptedTarget, "outputs", lambda self: TargetResult(version="8"))
        code, out, outputs, summary = run(gha_files, tmp_path, verify_timeout_seconds="2")
    assert code == 1  # not 3: the failing version 7 no longer serves
    assert made[0].calls == [("deploy", "")]  # no rollback over version 8
    assert outputs["verified"] == "false" and outputs["rolled-back"] == "false"
    assert "::warning title=Rollback skipped::" in out
    assert "version 8 serves now, not version 7 that this run deployed" in out
    assert "Version 8, deployed by another run after this one, serves" in summary


def test_failed_verification_rolls_back_to_the_previous_version(scripted, gha_files, tmp_path):
    with serve_static("<html>oops</html>", status=500) as server:
        made = scripted(
            TargetResult(url=server.url, version="7", previous_version="6", can_roll_back=True)
        )
        code, out, outputs, summary = run(gha_files, tmp_path, verify_timeout_seconds="2")
    assert code == 1
    assert made[0].calls == [("deploy", ""), ("outputs", ""), ("rollback", "6")]
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
        # Nothing to return to: the failing version is still serving.
        assert (
            code == 3 and made[-1].calls == [("deploy", "")] and outputs["rolled-back"] == "false"
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
            code == 3 and made[-1].calls == [("deploy", "")] and outputs["rolled-back"] == "false"
        )


def test_target_that_cannot_roll_back_says_so(scripted, gha_files, tmp_path):
    with serve_static("junk") as server:
        made = scripted(
            TargetResult(url=server.url, version="2", previous_version="1", can_roll_back=False)
        )
        code, out, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="1")
    assert code == 3 and made[0].calls == [("deploy", "")]
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
    assert "\npmcp deploy: Deployed\n" in stderr.getvalue()
    assert "## pmcp deploy" not in stderr.getvalue()


def _annotation(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("::error")]
    return line.replace("%0A", "\n")


_ADVICE = (
    "Look at the server's logs for why it does not answer MCP requests; set verify: false "
    "only if the endpoint is not meant to be reachable from CI."
)


def test_exit_3_says_which_version_is_still_serving_and_why(scripted, gha_files, tmp_path):
    with serve_static("junk", status=200) as server:
        scripted(TargetResult(url=server.url, version="2", can_roll_back=True))
        code, out, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="1")
    assert (code, outputs["status"], outputs["rolled-back"]) == (3, "failure", "false")
    assert _annotation(out).endswith(
        f"How to fix: Version 2 is still serving (there is no previous version; exit code 3). "
        f"{_ADVICE}"
    )
    report = json.loads(Path(outputs["report-path"]).read_text())
    assert report["exit_code"] == 3


def test_a_missing_verify_tools_name_gets_advice_about_the_tools(scripted, gha_files, tmp_path):
    with serve_mcp(tools=("greet", "add")) as server:
        scripted(TargetResult(url=server.url, version="2", can_roll_back=True))
        code, out, outputs, _ = run(
            gha_files, tmp_path, verify_timeout_seconds="10", verify_tools="greet,divide"
        )
    assert (code, outputs["status"]) == (3, "failure")
    annotation = _annotation(out)
    assert "lacks required tool" in annotation and "divide" in annotation
    # The server answers MCP: the advice is about the tool, not about MCP requests.
    assert "why it does not answer MCP requests" not in annotation
    assert annotation.endswith(
        "How to fix: Version 2 is still serving (there is no previous version; exit code 3). "
        "The server answers MCP but does not list divide: check the names in verify-tools "
        "against the tools it lists (see the details), or add the tool to the server."
    )


class _FailingRollback(ScriptedTarget):
    def rollback(self, to_version):
        from pmcp_action.errors import DeployError

        self.calls.append(("rollback", to_version))
        raise DeployError("alias live could not be moved", target=self.name)


def test_a_rollback_that_fails_leaves_the_new_version_serving(monkeypatch, gha_files, tmp_path):
    made: list[ScriptedTarget] = []

    def create(context):
        result = TargetResult(url=server.url, version="5", previous_version="4", can_roll_back=True)
        made.append(_FailingRollback(context=context, deploy_result=result))
        return made[-1]

    monkeypatch.setattr(pipeline, "create_target", create)
    with serve_static("junk", status=200) as server:
        code, out, outputs, summary = run(gha_files, tmp_path, verify_timeout_seconds="1")
    assert code == 3 and made[0].calls == [("deploy", ""), ("outputs", ""), ("rollback", "4")]
    assert outputs["rolled-back"] == "false"
    assert (
        "::warning title=Rollback failed::Verification failed, and putting version 4 back "
        "failed too: alias live could not be moved"
    ) in out.splitlines()
    assert _annotation(out).startswith("::error title=Verification failed::")
    assert _annotation(out).endswith(
        "How to fix: Version 5 is still serving (putting version 4 back failed "
        f"(Deployment failed); exit code 3). {_ADVICE}"
    )
    report = json.loads(Path(outputs["report-path"]).read_text())
    assert [(p["name"], p["outcome"]) for p in report["phases"]] == [
        ("validate", "ok"),
        ("deploy", "ok"),
        ("verify", "ok"),
        ("rollback", "failed"),
    ]


def test_a_rollback_command_that_fails_verification_exits_3(scripted, gha_files, tmp_path):
    with serve_static("junk", status=200) as server:
        made = scripted(TargetResult(url=server.url, version="9"))
        code, out, outputs, _ = run(
            gha_files, tmp_path, command="rollback", rollback_to="3", verify_timeout_seconds="1"
        )
    assert code == 3 and made[0].calls == [("rollback", "3")]
    assert _annotation(out).endswith(
        f"How to fix: Version 3 is still serving (a rollback is not undone; exit code 3). {_ADVICE}"
    )


def test_an_unchanged_deploy_that_fails_verification_exits_1(scripted, gha_files, tmp_path):
    with serve_static("junk", status=200) as server:
        made = scripted(
            TargetResult(url=server.url, version="4", previous_version="3", unchanged=True)
        )
        code, out, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="1")
    assert code == 1 and made[0].calls == [("deploy", "")]
    assert outputs["unchanged"] == "true"
    assert _annotation(out).endswith(f"How to fix: {_ADVICE}")


def test_a_local_report_is_written_where_asked(scripted, tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    scripted(TargetResult(url="https://demo.example/mcp", version="4"))
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["--target", "aws-lambda", "--verify", "false", "--report-path", "r.json"]
    code = main(
        [*argv, "--working-directory", str(tmp_path)], environ={}, stdout=stdout, stderr=stderr
    )
    assert (code, stdout.getvalue()) == (0, "")
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["status"], report["exit_code"]) == ("success", 0)
    assert f"  Deploy report  {tmp_path / 'r.json'}\n" in stderr.getvalue() + "\n"


def test_an_unwritable_destination_stops_the_run_before_the_target_is_touched(
    scripted, gha_files, tmp_path
):
    made = scripted(TargetResult(url="https://demo.example/mcp", version="4"))
    summary = gha_files["GITHUB_STEP_SUMMARY"]
    summary.unlink()
    summary.mkdir()  # a step summary path that is a directory
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    report = blocker / "reports" / "deploy.json"  # its parent cannot be created

    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env |= {"INPUT_TARGET": "aws-lambda", "INPUT_WORKING-DIRECTORY": str(tmp_path)}
    env |= {"INPUT_VERIFY": "false", "INPUT_REPORT-PATH": str(report)}
    stdout = io.StringIO()
    code = main([], environ=env, stdout=stdout, stderr=io.StringIO())
    out = stdout.getvalue()

    assert code == 1
    assert made[0].calls == []  # nothing was deployed
    errors = [line for line in out.splitlines() if line.startswith("::error")]
    assert len(errors) == 2 and errors[1].startswith("::error title=Reporting failed::")
    text = errors[0].replace("%0A", "\n")
    assert "The inputs have 2 problems; nothing was changed:" in text
    assert (
        f"- environment variable GITHUB_STEP_SUMMARY: {summary} is a directory, not a file — "
        "the runner sets it; a step that overrides it must point it at a writable file"
    ) in text
    assert (
        f"- input 'report-path': {blocker}, a parent of {report}, is not a directory — point "
        "report-path at a file in a writable directory (or leave it empty)"
    ) in text


def test_ci_files_in_a_directory_still_to_be_made_are_written(scripted, gha_files, tmp_path):
    # The destination check accepts "a new file in a directory it may create": the
    # writers create that directory (one rule), so the deploy is reported, not "failed".
    made = scripted(TargetResult(url="https://demo.example/mcp", version="4"))
    gha_files["GITHUB_OUTPUT"] = tmp_path / "files" / "out" / "github_output"
    gha_files["GITHUB_STEP_SUMMARY"] = tmp_path / "files" / "summary" / "step_summary.md"

    code, out, outputs, summary = run(gha_files, tmp_path, verify="false")

    assert code == 0 and made[0].calls == [("deploy", "")], out
    assert "Reporting failed" not in out
    assert outputs["url"] == "https://demo.example/mcp" and outputs["status"] == "success"
    assert "https://demo.example/mcp" in summary


def test_a_report_in_a_directory_still_to_be_made_is_fine(scripted, gha_files, tmp_path):
    made = scripted(TargetResult(url="https://demo.example/mcp", version="4"))
    report = tmp_path / "out" / "reports" / "deploy.json"

    code, _, outputs, _ = run(gha_files, tmp_path, verify="false", report_path=str(report))

    assert code == 0 and made[0].calls == [("deploy", "")]
    assert json.loads(report.read_text())["status"] == "success"
    assert outputs["report-path"] == str(report)


def test_a_failed_verification_at_verify_url_names_it_for_what_it_is(scripted, gha_files, tmp_path):
    with serve_static("<html>oops</html>", status=500) as server:
        scripted(TargetResult(url="https://demo.example/mcp", version="2"))
        code, out, _, _ = run(
            gha_files,
            tmp_path,
            verify_url=server.url,
            verify_timeout_seconds="2",
            rollback_on_failure="false",
        )
    assert code == 3
    assert _annotation(out).startswith(
        f"::error title=Verification failed::The MCP server at {server.url} (verify-url, not "
        "the deployed URL) did not prove that it works."
    )


# --- two-phase deploys: stage, verify the candidate, promote or discard -----------------------


@dataclass
class StagingTarget(ScriptedTarget):
    """A scripted target that stages: its candidate answers at ``candidate_url``."""

    staged_result: TargetResult = field(default_factory=TargetResult)

    def stage(self):
        self.calls.append(("stage", ""))
        return self.staged_result

    def promote(self, staged):
        self.calls.append(("promote", staged.version))
        return self.deploy_result

    def discard(self, staged):
        self.calls.append(("discard", staged.version))


@pytest.fixture
def staging(monkeypatch):
    made: list[StagingTarget] = []

    def install(staged: TargetResult, promoted: TargetResult) -> list[StagingTarget]:
        def create(context):
            target = StagingTarget(
                context=context,
                deploy_result=promoted,
                name=context.settings.target,
                staged_result=staged,
            )
            made.append(target)
            return target

        monkeypatch.setattr(pipeline, "create_target", create)
        return made

    return install


def test_a_staged_candidate_is_verified_before_it_is_promoted(staging, gha_files, tmp_path):
    with serve_mcp(tools=("greet",)) as live, serve_mcp(tools=("greet", "add")) as candidate:
        made = staging(
            TargetResult(candidate_url=candidate.url, version="8", previous_version="7"),
            TargetResult(url=live.url, version="8", previous_version="7", can_roll_back=True),
        )
        code, _, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="20")
        assert candidate.requests and live.requests
    assert code == 0
    assert made[0].calls == [("stage", ""), ("promote", "8")]
    assert outputs["verified"] == "true" and outputs["version"] == "8"
    report = json.loads(Path(outputs["report-path"]).read_text())
    assert [p["name"] for p in report["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "promote",
        "verify",
    ]


def test_a_failing_candidate_is_discarded_and_traffic_never_moves(staging, gha_files, tmp_path):
    with serve_static("<html>broken</html>", status=500) as candidate:
        made = staging(
            TargetResult(candidate_url=candidate.url, version="8", previous_version="7"),
            TargetResult(url="http://127.0.0.1:9/never", version="8"),
        )
        code, out, outputs, summary = run(gha_files, tmp_path, verify_timeout_seconds="2")
    assert code == 1
    assert made[0].calls == [("stage", ""), ("discard", "8")]
    # The failed version never served; the previous one does, as after a rollback.
    assert outputs["verified"] == "false" and outputs["rolled-back"] == "true"
    assert "given no traffic" in out and "Version 7 still serves, untouched" in summary
    report = json.loads(Path(outputs["report-path"]).read_text())
    assert [p["name"] for p in report["phases"]] == [
        "validate",
        "deploy",
        "verify candidate",
        "discard",
    ]


def test_a_target_that_just_opened_access_gets_its_403s_retried(staging, gha_files, tmp_path):
    with serve_mcp(json_response=True, fail_first=2, fail_status=403) as candidate:
        staged = TargetResult(
            candidate_url=candidate.url,
            version="8",
            previous_version="7",
            access_settling="allUsers was just granted roles/run.invoker",
        )
        made = staging(staged, TargetResult(url=candidate.url, version="8"))
        code, out, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="20")
    assert code == 0, out
    assert made[0].calls == [("stage", ""), ("promote", "8")]
    assert "HTTP 403, not yet (allUsers was just granted roles/run.invoker)" in out


def test_a_target_that_could_not_stage_is_verified_live_and_rolled_back(
    staging, gha_files, tmp_path
):
    with serve_static("junk", status=500) as live:
        made = staging(
            TargetResult(url=live.url, version="8", previous_version="7", can_roll_back=True),
            TargetResult(),
        )
        code, _, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="2")
    assert code == 1
    assert made[0].calls == [("stage", ""), ("outputs", ""), ("rollback", "7")]
    assert outputs["rolled-back"] == "true"


def test_no_staging_without_verification_or_with_a_verify_url(staging, gha_files, tmp_path):
    made = staging(TargetResult(candidate_url="http://127.0.0.1:9/"), TargetResult(version="3"))
    code, _, _, _ = run(gha_files, tmp_path, verify="false")
    assert code == 0 and made[-1].calls == [("deploy", "")]
    with serve_mcp() as server:
        code, _, outputs, _ = run(
            gha_files, tmp_path, verify_url=server.url, verify_timeout_seconds="20"
        )
    assert code == 0 and made[-1].calls == [("deploy", "")] and outputs["verified"] == "true"


class _CountingEnviron(dict[str, str]):
    """An environment that counts how often each variable is looked up."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.reads: Counter[str] = Counter()

    def get(self, key, default=None):
        self.reads[key] += 1
        return super().get(key, default)

    def __getitem__(self, key):
        self.reads[key] += 1
        return super().__getitem__(key)


def test_a_run_reads_its_inputs_and_locates_its_report_once(scripted, gha_files, tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    environ = _CountingEnviron(
        {k: str(v) for k, v in gha_files.items()}
        | {"GITHUB_ACTIONS": "true", "INPUT_TARGET": "aws-lambda", "INPUT_COMMAND": "plan"}
        | {"INPUT_WORKING-DIRECTORY": str(tmp_path), "PMCP_SERVER_NAME": "calc"}
    )
    located: list[object] = []

    def locate(*args: Any) -> tuple[Path, str] | None:
        located.append(args)
        return report_location(*args)

    recorder = pipeline.RunRecorder(detect_platform(environ, stdout=io.StringIO()))
    scripted(TargetResult(url="https://calc.example/mcp"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pmcp_action.pipeline.report_location", locate)
        run = pipeline.execute({}, environ, recorder)
        assert recorder.report_location(environ) is not None  # as the reporting asks again
    assert run.status == "success" and recorder.settings is not None
    assert recorder.settings.server_name == "calc"
    inputs = {key: n for key, n in environ.reads.items() if key.startswith(("INPUT_", "PMCP_"))}
    assert inputs and set(inputs.values()) == {1}, inputs
    assert len(located) == 1


# --- the checks a run asks for: scenarios, conformance, [post_deploy_tests] -------------------

FAILING_SCENARIO = """\
name: Price check
steps:
  - name: price an apple
    operation: {type: tool_call, tool: price, arguments: {item: apple}}
    assertions:
      - {type: equals, path: parsed.total, value: 99}
"""


def _deploy_toml(tmp_path: Path, text: str) -> None:
    (tmp_path / ".pmcp").mkdir(exist_ok=True)
    (tmp_path / ".pmcp" / "deploy.toml").write_text(f'[server]\nname = "demo"\n{text}')


def _report(outputs: dict[str, str]) -> Any:
    return json.loads(Path(outputs["report-path"]).read_text())


def test_a_failing_scenario_rolls_back_a_live_deploy(scripted, gha_files, tmp_path):
    from tests.fakes.mcp_servers import serve_shop_mcp

    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "price.yaml").write_text(FAILING_SCENARIO)
    with serve_shop_mcp(json_response=True) as server:
        made = scripted(
            TargetResult(url=server.url, version="7", previous_version="6", can_roll_back=True)
        )
        code, out, outputs, summary = run(
            gha_files, tmp_path, verify_scenarios="scenarios/*.yaml", verify_timeout_seconds="10"
        )
    assert code == 1, out
    assert made[0].calls == [("deploy", ""), ("outputs", ""), ("rollback", "6")]
    assert outputs["verified"] == "false" and outputs["rolled-back"] == "true"
    assert (outputs["scenarios-passed"], outputs["scenarios-failed"]) == ("0", "1")
    failure = (
        "scenario 'Price check' (scenarios/price.yaml), steps step 'price an apple' "
        "(tool_call price): equals parsed.total == the expected value: parsed.total is 1.5, "
        "expected 99"
    )
    assert failure in _annotation(out).replace("%2C", ",")
    assert (
        "### Scenarios" in summary and "**❌ Price check (scenarios/price.yaml): failed" in summary
    )
    assert (
        "| steps | price an apple | `tool_call price` | ❌ failed: equals parsed.total" in summary
    )
    report = _report(outputs)
    (scenario,) = report["verification"]["scenarios"]
    assert scenario["steps"][0]["assertions"][0]["actual"] == "1.5"
    assert report["verification"]["latency"]["round_trips"] >= 3


def test_on_failure_warn_keeps_the_new_version_and_exits_0(scripted, gha_files, tmp_path):
    from tests.fakes.mcp_servers import serve_shop_mcp

    (tmp_path / "price.yaml").write_text(FAILING_SCENARIO)
    _deploy_toml(tmp_path, '[post_deploy_tests]\non_failure = "warn"\n')
    with serve_shop_mcp(json_response=True) as server:
        made = scripted(
            TargetResult(url=server.url, version="7", previous_version="6", can_roll_back=True)
        )
        code, out, outputs, summary = run(
            gha_files, tmp_path, verify_scenarios="price.yaml", verify_timeout_seconds="10"
        )
    assert code == 0, out
    assert made[0].calls == [("deploy", "")]  # nothing rolled back
    assert outputs["status"] == "success" and outputs["rolled-back"] == "false"
    assert outputs["verified"] == "false" and outputs["scenarios-failed"] == "1"
    assert "::warning title=Verification failed (warning only)::" in out
    assert "[post_deploy_tests].on_failure is warn" in out
    assert "❌ failed (warning only)" in summary
    assert "a warning only (" in summary and "[post_deploy_tests].on_failure is warn)" in summary


def test_enabled_false_skips_verification_and_says_so(scripted, gha_files, tmp_path):
    _deploy_toml(tmp_path, "[post_deploy_tests]\nenabled = false\n")
    made = scripted(TargetResult(url="http://127.0.0.1:9/mcp", version="3"))
    code, _, outputs, summary = run(gha_files, tmp_path)
    assert code == 0 and made[0].calls == [("deploy", "")]
    assert outputs["verified"] == "skipped"
    assert "⏭️ skipped" in summary
    assert (
        "Verification is off: " in summary and ":4 [post_deploy_tests].enabled is false" in summary
    )
    # An input wins over the file.
    with serve_mcp() as server:
        scripted(TargetResult(url=server.url, version="3"))
        code, _, outputs, _ = run(gha_files, tmp_path, verify="true")
    assert code == 0 and outputs["verified"] == "true"


def test_a_malformed_scenario_file_is_an_input_error_before_any_cloud_call(
    scripted, gha_files, tmp_path
):
    (tmp_path / "bad.yaml").write_text(
        "name: x\nsteps:\n  - name: one\n    operation: {type: nope}\n"
    )
    made = scripted(TargetResult(url="http://127.0.0.1:9/mcp", version="3"))
    code, out, outputs, _ = run(gha_files, tmp_path, verify_scenarios="bad.yaml\nmissing/*.yml")
    assert code == 1 and made[0].calls == []
    text = _annotation(out).replace("%2C", ",")
    assert "::error title=Invalid input::" in text
    assert "bad.yaml:4: steps[0].operation.type: is not one of the known types" in text
    assert "input 'verify-scenarios' (missing/*.yml): matches no file" in text
    assert outputs["status"] == "failure"


def test_conformance_findings_name_their_rule(scripted, gha_files, tmp_path):
    from tests.fakes.mcp_servers import serve_handler, spec_handler

    with serve_handler(spec_handler(pages=(("bad name!", "fine"),))) as server:
        scripted(
            TargetResult(url=server.url, version="2", previous_version="1", can_roll_back=True)
        )
        code, out, outputs, summary = run(
            gha_files, tmp_path, verify_checks="conformance", verify_timeout_seconds="10"
        )
    assert code == 1 and outputs["rolled-back"] == "true"
    assert (
        "| conformance | `tool-name` | failure | tool &#x27;bad name!&#x27; is not 1-64" in summary
    )
    assert "Checks** | connectivity, conformance |" in summary
    report = _report(outputs)
    assert report["verification"]["checks"] == ["connectivity", "conformance"]
    assert [f["rule"] for f in report["verification"]["findings"]] == ["tool-name"]


def test_the_summary_gives_the_round_trips_and_the_cold_start(scripted, gha_files, tmp_path):
    with serve_mcp() as server:
        scripted(TargetResult(url=server.url, service_url=server.url[:-4], version="3"))
        code, _, outputs, summary = run(gha_files, tmp_path)
    assert code == 0 and outputs["service-url"] == server.url[:-4]
    assert outputs["scenarios-passed"] == outputs["scenarios-failed"] == ""
    assert "| **Round trips** | " in summary and ", p50 " in summary
    assert "| **First answer (cold start)** | " in summary
    latency = _report(outputs)["verification"]["latency"]
    assert latency["round_trips"] >= 2 and latency["cold_start_ms"] > 0


def test_a_protected_server_without_credentials_says_what_is_needed(scripted, gha_files, tmp_path):
    with serve_mcp(token="right-token-value") as server:
        scripted(TargetResult(url=server.url, version="2"))
        code, out, outputs, _ = run(gha_files, tmp_path, verify_timeout_seconds="10")
    assert code == 0 and outputs["verified"] == "skipped"
    warning = next(line for line in out.splitlines() if "title=Not verified" in line)
    assert "protected by OAuth and was not verified" in warning
    assert "verify-oauth-client-id and verify-oauth-client-secret" in warning


@pytest.mark.parametrize("target", ["cloudflare-workers", "pmcp-run", "azure-container-apps"])
def test_logs_on_a_target_without_logs_says_so_before_asking_for_credentials(
    gha_files, tmp_path, target
):
    code, out, outputs, _ = run(gha_files, tmp_path, command="logs", target=target)

    assert (code, outputs["status"]) == (1, "failure")
    annotation = _annotation(out)
    assert annotation.startswith(
        f"::error title=Not supported::The {target} target cannot show the server's logs."
    ), annotation
    assert "credential" not in annotation.lower() and "token" not in annotation.lower()


def test_an_unparseable_deploy_toml_is_the_one_problem_when_it_may_name_the_target(
    gha_files, tmp_path
):
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "deploy.toml").write_text('[target]\ntype = "aws-lambda\n')
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "demo"\nversion = "1.0.0"\n')
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env |= {"INPUT_WORKING-DIRECTORY": str(tmp_path)}  # the target is the file's to name
    out = io.StringIO()

    code = main([], environ=env, stdout=out, stderr=io.StringIO())

    assert code == 1
    annotation = _annotation(out.getvalue())
    assert "deploy.toml" in annotation
    # The file could not be read, so whether it names the target is unknown: no second,
    # misleading problem.
    assert "no target given" not in annotation
    assert "The inputs have 1 problem" in annotation


def test_a_missing_server_name_is_reported_with_every_other_problem(gha_files, tmp_path):
    # No Cargo.toml, no deploy.toml: no server name; no region and no credentials either.
    env = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    env |= {"INPUT_TARGET": "aws-lambda", "INPUT_WORKING-DIRECTORY": str(tmp_path)}
    out = io.StringIO()

    code = main([], environ=env, stdout=out, stderr=io.StringIO())

    assert code == 1
    annotation = _annotation(out.getvalue())
    assert "The inputs have 3 problems; nothing was changed:" in annotation, annotation
    assert "- input 'server-name': no server name:" in annotation
    assert "- input 'region': no AWS region given" in annotation
    assert "- input 'role-to-assume': no AWS credentials" in annotation
    # Nothing about names derived from the server name that was not found.
    assert "cannot be a Lambda function name" not in annotation
    summary = gha_files["GITHUB_STEP_SUMMARY"].read_text()
    assert "| **Server** |  |" in summary  # none found; not the name the checks ran with
