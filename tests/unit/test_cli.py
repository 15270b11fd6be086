"""The command line people type: help derived from the catalogue, usage errors, flags.

Everything runs through ``main`` in-process with explicit streams and an
explicit environment (no COLUMNS, no TTY: the help is laid out for 80 columns).
"""

from __future__ import annotations

import io
import json
import re

import pytest

from pmcp_action.__main__ import main
from pmcp_action.cli.parsing import parse_args
from pmcp_action.settings.catalogue import catalogue
from tests.support.github import parse_github_output


def run(args, environ=None):
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(args, environ=environ or {}, stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def section(text: str, title: str) -> str:
    """The block of a help page that starts with ``title:`` (up to the next blank line)."""
    blocks = text.split("\n\n")
    return next(block for block in blocks if block.startswith(f"{title}:\n"))


OVERVIEW = """\
usage: pmcp-action [COMMAND] [options]
       pmcp-action help [TARGET]
       pmcp-action completion {bash,zsh,tcsh}

Deploy Rust MCP servers (pmcp SDK) from CI, headless, and prove that they work.
Every option is also an action input of the same name and an environment
variable; a value given nowhere falls back to .pmcp/deploy.toml, then to its
default.

commands:
  deploy      Build or locate the artifact, deploy it, verify the server over
              MCP, and roll back when verification fails (the default command).
  plan        Validate everything and show what a deploy would change; touches
              nothing.
  outputs     Show what is deployed now.
  rollback    Return to the previous version (or --to VERSION) and verify it.
  destroy     Delete what deploy created; refused without --yes
              (confirm-destroy).
  logs        Show the last lines the serving version logged (targets that keep
              logs).
  help        This overview, or one target's inputs, outputs, credentials and an
              example (help TARGET).
  completion  Print a shell completion script: bash, zsh, tcsh.

targets:
  pmcp-run              pmcp.run — Managed hosting through pmcp.run's GraphQL
                        API, with client credentials.
  aws-lambda            AWS Lambda — Direct Lambda APIs: a version per deploy,
                        alias live, a function URL, instant rollback.
  google-cloud-run      Google Cloud Run — Cloud Run Admin API v2 with Workload
                        Identity Federation (or a key JSON): a new revision
                        without traffic under the tag candidate, verified at its
                        own URL, then 100 %.
  azure-container-apps  Azure Container Apps — ARM REST with an Entra ID
                        federated credential (or a client secret): a new
                        revision without traffic, verified at its own FQDN, then
                        100 %.
  cloudflare-workers    Cloudflare Workers — The Workers API with an API token:
                        the workers-rs bundle as a new version, verified at its
                        preview URL before it takes traffic, one-call rollback.

`pmcp-action help TARGET` shows one target's inputs, outputs, credentials and an
example; `pmcp-action COMMAND --help` lists a command's options.
"""

EXIT_CODES = """\
exit codes:
  0    Success: the command did what was asked (and the server was verified).
  1    Failed, with nothing left changed or the previous version serving again:
       invalid input values, credentials, a refused or failed deployment, a
       verification failure that was rolled back.
  2    Usage error: a mistake on the command line (an unknown option or command,
       a missing option value); nothing was run.
  3    Deployed, but verification failed and the new version is still serving:
       rollback-on-failure is false, there was no previous version, the target
       cannot roll back, or the command was rollback (a rollback is not undone)."""


def test_help_alone_lists_the_commands_and_the_targets():
    assert run(["help"]) == (0, OVERVIEW, "")


def test_command_help_shows_the_common_options_then_each_targets_own():
    code, out, err = run(["deploy", "--help"])
    assert (code, err) == (0, "")
    assert out.startswith(
        "usage: pmcp-action deploy [options]\n"
        "\n"
        "Build or locate the artifact, deploy it, verify the server over MCP, and roll\n"
        "back when verification fails (the default command).\n"
        "\n"
        "options:\n"
        "  -h, --help                      Show this help; with --target TARGET, that\n"
        "                                  target's page.\n"
        "  --version                       Print the version and exit.\n"
        "  --yes                           Same as --confirm-destroy true.\n"
        "  --to VERSION                    Same as --rollback-to VERSION.\n"
        "  --target TARGET                 Where to deploy: pmcp-run, aws-lambda,\n"
    )
    titles = [line for line in out.splitlines() if re.fullmatch(r"[a-z][a-z -]*:", line)]
    assert titles == [
        "options:",
        "pmcp-run options:",
        "aws-lambda options:",
        "google-cloud-run options:",
        "azure-container-apps options:",
        "cloudflare-workers options:",
        "exit codes:",
    ]
    assert EXIT_CODES + "\n  130  Interrupted (Ctrl-C or SIGINT).\n" in out
    assert out.endswith(
        "`pmcp-action help TARGET` shows one target's inputs, outputs, credentials and an\n"
        "example; `pmcp-action COMMAND --help` lists a command's options.\n"
    )
    # Each target's section lists exactly the inputs it declares, in its order.
    cat = catalogue()
    for declaration in cat.targets:
        if not declaration.inputs:
            assert f"{declaration.id} options:" not in out
            continue
        flags = re.findall(r"^  (--[a-z-]+)", section(out, f"{declaration.id} options"), re.M)
        assert flags == [spec.flag for spec in declaration.inputs]
    common = re.findall(r"^  (--[a-z-]+)", section(out, "options"), re.M)
    assert common == ["--version", "--yes", "--to"] + [s.flag for s in cat.common_inputs]


def test_each_target_option_says_its_default_and_fallbacks_for_that_target():
    _, out, _ = run(["plan", "--help"])
    assert out.startswith("usage: pmcp-action plan [options]\n\nValidate everything and show")
    lambda_options = section(out, "aws-lambda options")
    assert (
        "  --architecture {arm64,x86_64}   Lambda architecture: arm64 or x86_64 (pmcp.run\n"
        "                                  runs arm64 only). [default: arm64] [env:\n"
        "                                  PMCP_ARCHITECTURE] [then: [aws].architecture]\n"
    ) in lambda_options + "\n"
    assert (
        "  --aws-secret-access-key VALUE   AWS secret access key. [env:\n"
        "                                  AWS_SECRET_ACCESS_KEY] [secret]"
    ) in lambda_options
    assert (
        "  --architecture {arm64,x86_64}   Lambda architecture: arm64 or x86_64 (pmcp.run\n"
        "                                  runs arm64 only). [env: PMCP_ARCHITECTURE]"
    ) in section(out, "pmcp-run options")


def test_program_help_is_the_overview_with_every_option_and_the_exit_codes():
    code, out, err = run(["--help"])
    assert (code, err) == (0, "")
    assert out.startswith(OVERVIEW.split("\n\n`pmcp-action help TARGET`")[0] + "\n\noptions:\n")
    assert "\n\npmcp-run options:\n" in out and "\n\naws-lambda options:\n" in out
    assert EXIT_CODES in out
    assert run(["-h"]) == (0, out, "")


TARGET_TAIL = """\
outputs:
  arn            AWS ARN of what serves traffic (the Lambda alias).
  function-name  AWS Lambda function name.
  log-group      CloudWatch log group of the function.

Besides the outputs of every target: url, target, server-name, version,
previous-version, deployment-id, region, health-url, unchanged, verified,
mcp-server-name, mcp-server-version, mcp-protocol-version, tool-count,
rolled-back, report-path, command, status. The common inputs: `pmcp-action
deploy --help`.

credentials:
  OIDC (recommended): set role-to-assume to a role whose trust policy allows
  sts:AssumeRoleWithWebIdentity from your CI's OIDC provider, and give the
  GitHub job `permissions: id-token: write` (GitLab: declare id_tokens with aud
  sts.amazonaws.com). Or pass aws-access-key-id and aws-secret-access-key from
  secrets, optionally with role-to-assume for AssumeRole. On a runner with its
  own AWS identity (EC2, EKS, ECS, AWS_PROFILE), auth: ambient uses it and shows
  which identity it got. allowed-account-ids refuses any other account.

example (the with: of a GitHub Actions step):
  target: aws-lambda
  region: eu-west-1
  role-to-assume: arn:aws:iam::123456789012:role/gh-deployer
  allowed-account-ids: "123456789012"
"""


def test_help_target_shows_its_inputs_outputs_credentials_and_an_example():
    code, out, err = run(["help", "aws-lambda"])
    assert (code, err) == (0, "")
    assert out.startswith(
        "aws-lambda — AWS Lambda\n"
        "\n"
        "Direct Lambda APIs: a version per deploy, alias live, a function URL, instant\n"
        "rollback.\n"
        "\n"
        "usage: pmcp-action [COMMAND] --target aws-lambda [options]\n"
        "\n"
        "inputs:\n"
        "  --artifact PATH                 A prebuilt bootstrap binary, a deployment zip,\n"
    )
    assert (
        "  --region VALUE                  The AWS region of the function (required).\n"
        "                                  [env: PMCP_REGION] [then: [aws].region,\n"
        "                                  AWS_REGION, AWS_DEFAULT_REGION]\n"
    ) in out
    assert out.endswith(TARGET_TAIL)
    flags = re.findall(r"^  (--[a-z-]+)", section(out, "inputs"), re.M)
    assert flags == [spec.flag for spec in catalogue().target_inputs("aws-lambda")]


def test_target_and_help_flag_show_the_same_page():
    _, page, _ = run(["help", "aws-lambda"])
    assert run(["--target", "aws-lambda", "--help"]) == (0, page, "")
    code, planned, _ = run(["plan", "--target=aws-lambda", "-h"])
    assert code == 0
    # The same page, but for the command given: its usage line and where its options are.
    differ = [
        (mine, theirs)
        for mine, theirs in zip(page.split("\n\n"), planned.split("\n\n"), strict=True)
        if mine != theirs
    ]
    assert [theirs for _, theirs in differ] == [
        "usage: pmcp-action plan --target aws-lambda [options]",
        "Besides the outputs of every target: url, target, server-name, version,\n"
        "previous-version, deployment-id, region, health-url, unchanged, verified,\n"
        "mcp-server-name, mcp-server-version, mcp-protocol-version, tool-count,\n"
        "rolled-back, report-path, command, status. The common inputs: `pmcp-action plan\n"
        "--help`.",
    ]


def test_an_unavailable_target_says_so_and_nothing_else(monkeypatch):
    # Every built-in target is available: a declared-only one stands for a future target.
    from pmcp_action.settings import catalogue as registry
    from pmcp_action.settings.declaration import TargetDeclaration

    future = TargetDeclaration(
        id="future-cloud", title="Future Cloud", summary="Not available in this version."
    )
    known = registry.build_catalogue([*registry.discover_declarations(), future])
    monkeypatch.setattr(registry, "catalogue", lambda: known)
    assert run(["help", "future-cloud"]) == (
        0,
        "future-cloud — Future Cloud\n\nNot available in this version.\n",
        "",
    )


def test_help_follows_columns():
    _, out, _ = run(["help"], {"COLUMNS": "100"})
    assert (
        "  deploy      Build or locate the artifact, deploy it, verify the server over MCP, and roll back\n"  # noqa: E501
        "              when verification fails (the default command).\n"
    ) in out


def usage_error(message: str, fix: str) -> str:
    return (
        f"pmcp deploy: Failed (exit 2)\n\nerror: Usage error\n  {message}\n\n  How to fix: {fix}\n"
    )


_OPTIONS_FIX = "See `pmcp-action --help` for the options."
_COMMANDS_FIX = "The commands are deploy, plan, outputs, rollback, destroy, logs, help, completion."


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
            "azure-container-apps, cloudflare-workers) and the commands (deploy, plan, outputs, "
            "rollback, destroy, logs).",
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
    assert result["status"] == "failure" and result["command"] == ""
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
        (["--target", "heroku"], {"PMCP_OUTPUT_FORMAT": " json "}),
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


def test_the_flag_wins_over_the_environment_for_the_output_format(tmp_path):
    environ = {"PMCP_OUTPUT_FORMAT": "json", "PMCP_WORKING_DIRECTORY": str(tmp_path)}
    code, out, err = run(["--output-format", "text", "--target", "heroku"], environ)
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
    assert parse_args(["--rollback-on-failure=maybe"])["rollback-on-failure"] == "maybe"
    assert parse_args(["--verify-timeout-seconds", "-5"])["verify-timeout-seconds"] == "-5"
    assert parse_args(["--command", "plan"])["command"] == "plan"
    assert parse_args(["--server-name", "a", "--server-name", "b"])["server-name"] == "b"
    untouched = parse_args([])
    assert set(untouched) == {spec.name for spec in catalogue().inputs}
    assert set(untouched.values()) == {None}
