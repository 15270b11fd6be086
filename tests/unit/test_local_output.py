"""Outside CI: a plain-text summary for a person, colour only on a terminal, no stray report."""

from __future__ import annotations

import io
import json
import os
from types import MappingProxyType

import pytest

from pmcp_action.__main__ import main
from pmcp_action.report import render_text_summary
from pmcp_action.result import (
    PhaseOutcome,
    PhaseRecord,
    PlanChange,
    RunResult,
    RunStatus,
    TargetResult,
    Verification,
    VerificationStatus,
)

TARGETS = "pmcp-run, aws-lambda, google-cloud-run, azure-container-apps, cloudflare-workers"
INVALID_TARGET = (
    "== validate\n"
    "pmcp deploy: Failed (exit 1)\n"
    "\n"
    "  Command  deploy\n"
    "  Target   heroku\n"
    "\n"
    "error: Invalid input\n"
    "  The inputs have 1 problem; nothing was changed:\n"
    "  - environment variable PMCP_DEPLOY_TARGET: unknown value 'heroku' — valid values: "
    f"{TARGETS}\n"
    "\n"
    "  How to fix: Correct the inputs listed above and run again.\n"
)


def run(args, environ):
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(args, environ=environ, stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_a_failure_prints_a_plain_summary_and_writes_no_report(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(tmp_path)
    environ = {"PMCP_DEPLOY_TARGET": "heroku", "PMCP_WORKING_DIRECTORY": str(project)}
    assert run([], environ) == (1, "", INVALID_TARGET)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]
    assert list(project.iterdir()) == []


def test_the_report_is_written_where_report_path_asks_even_for_invalid_input(tmp_path):
    environ = {"PMCP_DEPLOY_TARGET": "heroku", "PMCP_WORKING_DIRECTORY": str(tmp_path)}
    code, out, err = run(["--report-path", "out/report.json"], environ)
    path = tmp_path / "out" / "report.json"
    assert (code, out) == (1, "")
    assert err == INVALID_TARGET.replace(
        "  Target   heroku\n", f"  Target         heroku\n  Deploy report  {path}\n"
    ).replace("  Command  deploy\n", "  Command        deploy\n")
    report = json.loads(path.read_text())
    assert (report["status"], report["exit_code"], report["platform"]) == ("failure", 1, "local")
    assert report["outputs"]["report-path"] == str(path)
    assert report["inputs"]["report-path"] == "out/report.json"


def _on_a_terminal(args, environ, *, stream="stderr"):
    """Run with ``stream`` on a real pseudo-terminal (the other one in memory); what the
    terminal shows, newlines as \\n."""
    leader, follower = os.openpty()
    with os.fdopen(follower, "w", encoding="utf-8") as terminal:
        out = terminal if stream == "stdout" else io.StringIO()
        err = terminal if stream == "stderr" else io.StringIO()
        code = main(args, environ=environ, stdout=out, stderr=err)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_colour_only_on_a_terminal_without_no_color(tmp_path):
    environ = {"PMCP_DEPLOY_TARGET": "heroku", "PMCP_WORKING_DIRECTORY": str(tmp_path)}
    code, shown = _on_a_terminal([], environ)
    assert code == 1
    assert shown.startswith(
        "== validate\n"
        "pmcp deploy: \x1b[31;1mFailed\x1b[0m (exit 1)\n"
        "\n"
        "  \x1b[1mCommand\x1b[0m  deploy\n"
        "  \x1b[1mTarget \x1b[0m  heroku\n"
        "\n"
        "\x1b[31;1merror: Invalid input\x1b[0m\n"
    )
    code, shown = _on_a_terminal([], environ | {"NO_COLOR": "1"})
    assert (code, shown) == (1, INVALID_TARGET)
    # An empty NO_COLOR does not count (no-color.org).
    assert "\x1b[" in _on_a_terminal([], environ | {"NO_COLOR": ""})[1]


def test_no_colour_in_ci_even_on_a_terminal(gha_files):
    environ = {k: str(v) for k, v in gha_files.items()} | {
        "GITHUB_ACTIONS": "true",
        "INPUT_TARGET": "heroku",
    }
    code, shown = _on_a_terminal([], environ, stream="stdout")
    assert code == 1
    assert shown.startswith("::group::validate\n::endgroup::\n::error title=Invalid input::")
    assert "\x1b[" not in shown + gha_files["GITHUB_STEP_SUMMARY"].read_text()


UNVERIFIED = RunResult(
    command="deploy",
    target="aws-lambda",
    server_name="demo",
    status=RunStatus.FAILURE,
    result=TargetResult(
        url="https://demo.example/mcp",
        version="7",
        unchanged=False,
        outputs=MappingProxyType({"arn": "arn:aws:lambda:eu-west-1:1:function:demo:live"}),
        changes=(PlanChange("update", "function demo", "code"), PlanChange("keep", "alias live")),
        notes=("The function URL is public.",),
    ),
    verification=Verification(
        status=VerificationStatus.FAILED,
        url="https://demo.example/mcp",
        tools=("greet",),
        detail="POST https://demo.example/mcp\n-> 502 Bad Gateway",
    ),
    phases=(
        PhaseRecord("validate", 0, 1, PhaseOutcome.OK),
        PhaseRecord("deploy", 1, 2, PhaseOutcome.OK),
    ),
    error_title="Verification failed",
    error_text="The deployed server did not prove that it works.\n\nHow to fix: look at the logs.",
    exit_code=3,
)


def test_the_plain_summary_of_a_version_left_serving():
    assert render_text_summary(UNVERIFIED) == (
        "pmcp deploy: Failed (exit 3)\n"
        "\n"
        "  Command           deploy\n"
        "  Target            aws-lambda\n"
        "  Server            demo\n"
        "  URL               https://demo.example/mcp\n"
        "  Version           7\n"
        "  Changed           yes\n"
        "  ARN               arn:aws:lambda:eu-west-1:1:function:demo:live\n"
        "  MCP verification  failed\n"
        "\n"
        "What a deploy would change:\n"
        "  update  function demo  (code)\n"
        "  keep    alias live\n"
        "\n"
        "Tools (1): greet\n"
        "\n"
        "Verification details:\n"
        "  POST https://demo.example/mcp\n"
        "  -> 502 Bad Gateway\n"
        "\n"
        "Notes:\n"
        "  - The function URL is public.\n"
        "\n"
        "error: Verification failed\n"
        "  The deployed server did not prove that it works.\n"
        "\n"
        "  How to fix: look at the logs."
    )


@pytest.mark.parametrize(
    ("run_result", "head"),
    [
        (UNVERIFIED, "pmcp deploy: \x1b[33;1mFailed\x1b[0m (exit 3)"),
        (
            RunResult(
                command="plan", target="pmcp-run", server_name="demo", status=RunStatus.SUCCESS
            ),
            "pmcp deploy: \x1b[32;1mPlan ready (nothing was changed)\x1b[0m",
        ),
        (
            RunResult(
                command="deploy", target="pmcp-run", server_name="d", status=RunStatus.UNCHANGED
            ),
            "pmcp deploy: \x1b[32;1mUp to date (nothing changed)\x1b[0m",
        ),
    ],
)
def test_the_status_line_is_coloured_by_outcome(run_result, head):
    assert render_text_summary(run_result, colour=True).split("\n")[0] == head
    assert render_text_summary(run_result).split("\n")[0] == head.replace("\x1b[0m", "").replace(
        "\x1b[33;1m", ""
    ).replace("\x1b[32;1m", "")
