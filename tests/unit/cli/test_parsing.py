"""cli.parsing: usage errors named and exiting 2 (as text, JSON or an annotation), the
output format read first, and the flags mapped to inputs."""

from __future__ import annotations

import json

import pytest

from pmcp_action.cli.parsing import parse_args
from pmcp_action.settings.catalogue import catalogue
from tests.support.github import parse_github_output

from .helpers import run


def usage_error(message: str, fix: str) -> str:
    return (
        f"pmcp deploy: Failed (exit 2)\n\nerror: Usage error\n  {message}\n\n  How to fix: {fix}\n"
    )


_OPTIONS_FIX = "See `pmcp-action --help` for the options."


_COMMANDS_FIX = (
    "The commands are deploy, plan, outputs, rollback, destroy, logs, servers, init, preview, "
    "destroy-preview, trust, check, help, completion."
)


@pytest.mark.parametrize(
    ("args", "message", "fix"),
    [
        (
            ["--tagret", "aws-lambda"],
            "unknown option --tagret — did you mean --target?",
            _OPTIONS_FIX,
        ),
        (
            ["plan", "--regoin=eu-west-1"],
            "unknown option --regoin — did you mean --region?",
            _OPTIONS_FIX,
        ),
        (["--zzz"], "unknown option --zzz", _OPTIONS_FIX),
        (["deplyo"], "unknown command 'deplyo' — did you mean deploy?", _COMMANDS_FIX),
        (
            ["aws-lambda"],
            "unknown command 'aws-lambda' — did you mean --target aws-lambda?",
            _COMMANDS_FIX,
        ),
        (
            ["--target"],
            "option --target needs a value",
            "Write --target VALUE, or --target=VALUE for a value that starts with -.",
        ),
        (
            ["deploy", "--server-name", "--target", "pmcp-run"],
            "option --server-name needs a value",
            "Write --server-name VALUE, or --server-name=VALUE for a value that starts with -.",
        ),
        (["--yes=no"], "option --yes takes no value (got --yes=no)", "Write --yes alone."),
        (
            ["deploy", "plan"],
            "unexpected argument 'plan' after the command deploy",
            "Give one command; an option's value follows the option (--server-name NAME).",
        ),
        (
            ["plan", "--command", "deploy"],
            "the command 'plan' contradicts --command 'deploy'",
            "Give the command once.",
        ),
        (
            ["help", "aws-lamda"],
            "unknown help topic 'aws-lamda' — did you mean aws-lambda?",
            "The topics are the targets (pmcp-run, aws-lambda, google-cloud-run, "
            "azure-container-apps, cloudflare-workers), the commands (deploy, plan, outputs, "
            "rollback, destroy, logs, servers, init, preview, destroy-preview, trust, check) "
            "and options.",
        ),
        (
            ["help", "--target", "pmcp-run"],
            "`pmcp-action help` takes no option --target",
            "Write `pmcp-action help` without options; see `pmcp-action help`.",
        ),
        (
            ["--target", "heroku", "--help"],
            "unknown target 'heroku'",
            "The targets are pmcp-run, aws-lambda, google-cloud-run, azure-container-apps, "
            "cloudflare-workers.",
        ),
        (
            ["completion"],
            "completion needs one shell: bash, zsh, tcsh",
            "Write `pmcp-action completion bash` (or zsh, tcsh).",
        ),
        (
            ["completion", "bsh"],
            "unknown shell 'bsh' — did you mean bash?",
            "Choose bash, zsh, tcsh.",
        ),
    ],
)
def test_a_mistake_in_the_command_line_is_named_and_exits_2(args, message, fix, tmp_path):
    code, out, err = run(args, {"PMCP_WORKING_DIRECTORY": str(tmp_path)})
    assert (code, out, err) == (2, "", usage_error(message, fix))
    assert list(tmp_path.iterdir()) == []  # nothing ran, no report


def test_a_usage_error_in_json_is_one_object(tmp_path):
    code, out, err = run(["--output-format", "json", "--tagret", "x"])
    assert code == 2
    assert out.count("\n") == 1
    result = json.loads(out)
    assert list(result) == [spec.name for spec in catalogue().outputs] + [
        "error-title",
        "error-text",
        "exit-code",
    ]
    assert result["status"] == "failure" and result["command"] is None
    assert result["error-title"] == "Usage error"
    assert result["error-text"] == (
        "unknown option --tagret — did you mean --target?\n\n"
        "How to fix: See `pmcp-action --help` for the options."
    )
    assert result["exit-code"] == 2
    assert err == usage_error("unknown option --tagret — did you mean --target?", _OPTIONS_FIX)


@pytest.mark.parametrize(
    ("args", "environ"),
    [
        (["--output-format=json"], {"PMCP_DEPLOY_TARGET": "heroku"}),
        ([], {"PMCP_DEPLOY_TARGET": "heroku", "PMCP_OUTPUT_FORMAT": "json"}),
        (
            ["--server-name", "calc"],
            {"PMCP_DEPLOY_TARGET": "heroku", "PMCP_OUTPUT_FORMAT": " json "},
        ),
    ],
)
def test_json_output_for_invalid_input_from_flag_or_environment(args, environ, tmp_path):
    environ = environ | {"PMCP_WORKING_DIRECTORY": str(tmp_path)}
    code, out, _ = run(args, environ)
    assert code == 1
    result = json.loads(out)
    assert (result["status"], result["target"], result["exit-code"]) == ("failure", "heroku", 1)
    assert result["error-title"] == "Invalid input"
    assert "unknown value 'heroku'" in result["error-text"]
    # Typed: an empty output is null, a boolean output a boolean.
    assert result["url"] is None and result["rolled-back"] is False


def test_a_typo_in_a_closed_flag_is_a_usage_error_naming_what_was_meant(tmp_path):
    code, out, err = run(
        ["--json", "--target", "aws-lamda"], {"PMCP_WORKING_DIRECTORY": str(tmp_path)}
    )
    result = json.loads(out)
    assert code == 2 and result["exit-code"] == 2 and result["error-title"] == "Usage error"
    assert result["error-text"].startswith(
        "--target: unknown value 'aws-lamda' — did you mean aws-lambda?"
    )
    code, _, err = run(["deploy", "--target", "aws-lambda", "--verify", "maybe"])
    assert code == 2 and "--verify: unknown value 'maybe'" in err
    code, _, err = run(["--rollback-on-failure=maybe"])
    assert code == 2 and "--rollback-on-failure: 'maybe' is not a boolean" in err


def test_the_flag_wins_over_the_environment_for_the_output_format(tmp_path):
    environ = {"PMCP_OUTPUT_FORMAT": "json", "PMCP_WORKING_DIRECTORY": str(tmp_path)}
    environ["PMCP_DEPLOY_TARGET"] = "heroku"
    code, out, err = run(["--output-format", "text"], environ)
    assert (code, out) == (1, "")
    assert err.startswith("== validate\npmcp deploy: Failed (exit 1)\n")


def test_a_usage_error_in_github_actions_is_annotated_and_reported(gha_files):
    environ = {k: str(v) for k, v in gha_files.items()} | {"GITHUB_ACTIONS": "true"}
    code, out, _ = run(["--tagret", "x"], environ)
    assert code == 2
    assert out.splitlines() == [
        "::error title=Usage error::unknown option --tagret — did you mean --target?%0A%0A"
        "How to fix: See `pmcp-action --help` for the options."
    ]
    outputs = parse_github_output(gha_files["GITHUB_OUTPUT"].read_text())
    assert outputs["status"] == "failure"
    report = json.loads((gha_files["RUNNER_TEMP"] / "pmcp-deploy-report.json").read_text())
    assert (report["exit_code"], report["error"]["title"]) == (2, "Usage error")
    assert "### ❌ Usage error" in gha_files["GITHUB_STEP_SUMMARY"].read_text()


def test_flags_map_to_inputs():
    flags = parse_args(["--debug", "plan", "--yes", "--to", "7", "--region=eu-west-1"])
    assert (flags["debug"], flags["command"]) == ("true", "plan")
    assert (flags["confirm-destroy"], flags["rollback-to"], flags["region"]) == (
        "true",
        "7",
        "eu-west-1",
    )
    assert parse_args(["--debug", "false", "destroy"])["debug"] == "false"
    assert parse_args(["--rollback-on-failure=false"])["rollback-on-failure"] == "false"
    assert parse_args(["--json"])["output-format"] == "json"
    assert parse_args(["--verify-timeout-seconds", "-5"])["verify-timeout-seconds"] == "-5"
    assert parse_args(["--command", "plan"])["command"] == "plan"
    assert parse_args(["--server-name", "a", "--server-name", "b"])["server-name"] == "b"
    untouched = parse_args([])
    assert set(untouched) == {spec.name for spec in catalogue().inputs}
    assert set(untouched.values()) == {None}


def test_doctor_is_the_check_command():
    from pmcp_action.cli.parsing import parse_args

    assert parse_args(["doctor", "--target", "aws-lambda"])["command"] == "check"
