"""cli.help: the pages derived from the catalogue: the overview, a command's options (the
common ones, then each target's), a target's page, the width they are laid out for."""

from __future__ import annotations

import re

from pmcp_action.settings.catalogue import catalogue

from .helpers import run


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


TARGET_TAIL = """\
outputs:
  arn            AWS ARN of what serves traffic (the Lambda alias).
  function-name  AWS Lambda function name.
  log-group      CloudWatch log group of the function.

Besides the outputs of every target: url, service-url, target, server-name,
version, previous-version, deployment-id, region, health-url, unchanged,
verified, mcp-server-name, mcp-server-version, mcp-protocol-version, tool-count,
scenarios-passed, scenarios-failed, rolled-back, report-path, command, status.
The common inputs: `pmcp-action deploy --help`.

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
        "Besides the outputs of every target: url, service-url, target, server-name,\n"
        "version, previous-version, deployment-id, region, health-url, unchanged,\n"
        "verified, mcp-server-name, mcp-server-version, mcp-protocol-version, tool-count,\n"
        "scenarios-passed, scenarios-failed, rolled-back, report-path, command, status.\n"
        "The common inputs: `pmcp-action plan --help`.",
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
