"""cli.help: the pages derived from the catalogue: the overview, a command's options (the
common ones, then each target's), a target's page, the width they are laid out for."""

from __future__ import annotations

import re

from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.vocabulary import COMMANDS

from .helpers import run


def section(text: str, title: str) -> str:
    """The block of a help page that starts with ``title:`` (up to the next blank line)."""
    blocks = text.split("\n\n")
    return next(block for block in blocks if block.startswith(f"{title}:\n"))


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


def _common_outputs() -> str:
    """The outputs every target writes, as the help lists them (from the catalogue)."""
    known = catalogue()
    return ", ".join(s.name for s in known.outputs if not known.output_owners.get(s.name))


TARGET_TAIL = """\
outputs:
  arn            AWS ARN of what serves traffic (the Lambda alias).
  function-name  AWS Lambda function name.
  log-group      CloudWatch log group of the function.

{besides}

credentials:
  OIDC (recommended): set role-to-assume to a role whose trust policy allows
  sts:AssumeRoleWithWebIdentity from your CI's OIDC provider, and give the
  GitHub job `permissions: id-token: write` (GitLab: declare id_tokens with aud
  sts.amazonaws.com). Or pass aws-access-key-id and aws-secret-access-key from
  secrets, optionally with role-to-assume for AssumeRole. On a runner with its
  own AWS identity (EC2, EKS, ECS, AWS_PROFILE), auth: ambient uses it and shows
  which identity it got. allowed-account-ids refuses any other account.

at a terminal:
  sign in with your own AWS credentials (aws sso login --profile NAME, then
  AWS_PROFILE=NAME; or aws configure) and pass --auth ambient, which uses
  botocore's default chain and shows the identity it got.

example (the with: of a GitHub Actions step):
  target: aws-lambda
  region: eu-west-1
  role-to-assume: arn:aws:iam::123456789012:role/gh-deployer
  allowed-account-ids: "123456789012"
"""


SCREEN = 60


def test_help_is_one_screen_the_commands_targets_and_main_options():
    code, out, err = run(["--help"])
    assert (code, err) == (0, "")
    assert run(["help"]) == (0, out, "") and run(["-h"]) == (0, out, "")
    assert len(out.splitlines()) <= SCREEN
    assert out.startswith(
        "usage: pmcp-action [COMMAND] [options]\n"
        "       pmcp-action help [TARGET|options]\n"
        "       pmcp-action completion {bash,zsh,tcsh}\n"
        "\n"
        "Deploy Rust MCP servers (pmcp SDK) from CI, headless, and prove that they work.\n"
    )
    cat = catalogue()
    targets = section(out, "targets").splitlines()[1:]
    assert [line.split()[0] for line in targets] == list(cat.ids)
    assert all(t.title in out for t in cat.targets)
    commands = re.findall(r"^  ([a-z-]+) ", section(out, "commands"), re.M)
    assert commands[: len(commands) - 2] == [str(c) for c in COMMANDS]
    flags = re.findall(r"^  (-h, --help|-\S+)", section(out, "main options"), re.M)
    assert flags == [
        "--target",
        "--working-directory",
        "--server-name",
        "--region",
        "--auth",
        "--verify",
        "-h, --help",
        "--version",
        "--json",
        "--yes",
        "--to",
    ]
    assert " ".join(out.split()).endswith(
        "`pmcp-action help TARGET` shows one target's inputs, outputs, credentials and an "
        "example; `pmcp-action help options` lists every option, each target's and the exit "
        "codes."
    )


def test_a_commands_help_is_short_too():
    code, out, err = run(["deploy", "--help"])
    assert (code, err) == (0, "")
    assert len(out.splitlines()) <= SCREEN
    assert out.startswith(
        "usage: pmcp-action deploy [options]\n"
        "\n"
        "Deploy, verify over MCP, roll back on failure (the default).\n"
        "\n"
        "main options:\n"
    )


def test_help_options_lists_the_common_options_then_each_targets_own():
    code, out, err = run(["help", "options"])
    assert (code, err) == (0, "")
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
    # Each target's section lists exactly the inputs it declares, in its order.
    cat = catalogue()
    for declaration in cat.targets:
        if not declaration.inputs:
            assert f"{declaration.id} options:" not in out
            continue
        flags = re.findall(r"^  (--[a-z-]+)", section(out, f"{declaration.id} options"), re.M)
        assert flags == [spec.flag for spec in declaration.inputs]
    common = re.findall(r"^  (--[a-z-]+)", section(out, "options"), re.M)
    assert common == ["--version", "--json", "--yes", "--to"] + [s.flag for s in cat.common_inputs]


def test_each_target_option_says_its_default_and_fallbacks_for_that_target():
    _, out, _ = run(["help", "options"])
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


def test_help_target_shows_its_inputs_outputs_credentials_and_an_example():
    code, out, err = run(["help", "aws-lambda"])
    assert (code, err) == (0, "")
    assert out.startswith(
        "aws-lambda — AWS Lambda\n"
        "\n"
        "Direct Lambda APIs: a version per deploy, verified behind alias candidate at its\n"
        "own function URL before alias live moves to it; instant rollback.\n"
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
    paragraphs = out.split("\n\n")
    besides = next(p for p in paragraphs if p.startswith("Besides the outputs"))
    assert " ".join(besides.split()) == (
        f"Besides the outputs of every target: {_common_outputs()}. The common inputs: "
        "`pmcp-action help options`."
    )
    assert out.endswith(TARGET_TAIL.format(besides=besides))
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
    assert [" ".join(theirs.split()) for _, theirs in differ] == [
        "usage: pmcp-action plan --target aws-lambda [options]",
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
        "  --auth AUTH                   How to authenticate: auto (OIDC when an ID token and a role or\n"  # noqa: E501
        "                                identity are configured, else secrets), oidc, secrets, or ambient\n"  # noqa: E501
    ) in out
