"""report: the plain-text summary outside CI, its status line coloured by outcome."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from pmcp_action.report import build_outputs, render_summary, render_text_summary
from pmcp_action.result import (
    PhaseOutcome,
    PhaseRecord,
    PlanChange,
    RegistryPublication,
    RunResult,
    RunStatus,
    TargetResult,
    Verification,
    VerificationStatus,
)
from pmcp_action.servers.matrix import MatrixEntry

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


def test_secrets_are_named_with_what_happened_never_a_value():
    from dataclasses import replace

    from pmcp_action.report import build_outputs
    from pmcp_action.secrets import SecretOutcome, SecretStatus

    secrets = (
        SecretOutcome("API_KEY", SecretStatus.SET),
        SecretOutcome("DB_URL", SecretStatus.KEPT),
    )
    run = replace(UNVERIFIED, result=replace(UNVERIFIED.result, secrets=secrets))
    assert build_outputs(run)["secrets"] == '{"API_KEY":"set","DB_URL":"kept"}'
    rows = [" ".join(line.split()) for line in render_text_summary(run).splitlines()]
    assert "Secrets API_KEY set, DB_URL kept" in rows
    assert build_outputs(UNVERIFIED)["secrets"] == ""


SERVERS = RunResult(
    command="servers",
    target="",
    server_name="",
    status=RunStatus.SUCCESS,
    matrix=(
        MatrixEntry("calc", "cloudflare-workers", "servers/calc"),
        MatrixEntry("notes", "aws-lambda", "servers/notes"),
    ),
)


def test_the_servers_command_shows_its_servers_in_a_table() -> None:
    assert render_text_summary(SERVERS) == (
        "pmcp deploy: Servers\n"
        "\n"
        "  Command  servers\n"
        "  Servers  2\n"
        "\n"
        "Servers:\n"
        "  calc   cloudflare-workers  servers/calc\n"
        "  notes  aws-lambda          servers/notes"
    )
    markdown = render_summary(SERVERS)
    assert "## pmcp deploy — 🗂️ Servers" in markdown
    assert "| calc | cloudflare-workers | `servers/calc` |" in markdown
    outputs = build_outputs(SERVERS)
    assert outputs["matrix"].startswith('{"include":[{"server":"calc"')
    assert outputs["registry-name"] == outputs["registry-version"] == ""


def test_a_publication_is_a_row_and_two_outputs() -> None:
    run = RunResult(
        command="deploy",
        target="aws-lambda",
        server_name="demo",
        status=RunStatus.SUCCESS,
        registry=RegistryPublication("io.github.o/demo", "1.0.0", "https://d.example/mcp", False),
    )
    assert "| **MCP Registry** | io.github.o/demo 1.0.0 (already published) |" in (
        render_summary(run)
    )
    assert "MCP Registry  io.github.o/demo 1.0.0 (already published)" in render_text_summary(run)
    outputs = build_outputs(run)
    assert (outputs["registry-name"], outputs["registry-version"]) == ("io.github.o/demo", "1.0.0")
    assert outputs["matrix"] == ""
