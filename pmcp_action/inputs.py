"""The catalogue of every input: action input, CLI flag and environment variable.

This table is the single source of truth. ``action.yml`` declares exactly these
inputs (a test checks it), the CLI derives one ``--flag`` per entry, and the
settings loader reads ``INPUT_*`` and the environment variables named here.

Defaults are applied in Python, not in ``action.yml``: an input the runner
passes as an empty string counts as "not given", so a value from the
environment or ``.pmcp/deploy.toml`` can still win.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "COMMANDS",
    "INPUTS",
    "InputKind",
    "InputSpec",
    "TARGETS",
    "input_by_name",
]

#: Target ids, as cargo-pmcp names them.
TARGETS: tuple[str, ...] = (
    "pmcp-run",
    "aws-lambda",
    "google-cloud-run",
    "azure-container-apps",
    "cloudflare-workers",
)

COMMANDS: tuple[str, ...] = ("deploy", "plan", "outputs", "rollback", "destroy")


class InputKind(Enum):
    STRING = "string"
    BOOL = "bool"
    INT = "int"
    CHOICE = "choice"
    MULTILINE = "multiline"
    URL = "url"
    PATH = "path"


@dataclass(frozen=True)
class InputSpec:
    name: str
    description: str
    kind: InputKind = InputKind.STRING
    #: Default applied in Python when no source gives a value ("" = none).
    default: str = ""
    #: Environment variables read (in this order) when neither flag nor input is set.
    env: tuple[str, ...] = ()
    secret: bool = False
    choices: tuple[str, ...] = ()
    #: Declared ``required: true`` in action.yml.
    required: bool = False
    #: Lower and upper bound for INT inputs.
    minimum: int | None = None
    maximum: int | None = None
    #: Only a CLI flag; not declared in action.yml (e.g. output format).
    cli_only: bool = False

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")


_BOOL = InputKind.BOOL

INPUTS: tuple[InputSpec, ...] = (
    # --- what to do -------------------------------------------------------------
    InputSpec(
        "target",
        "Where to deploy: " + ", ".join(TARGETS) + ". Falls back to [target].type "
        "in .pmcp/deploy.toml.",
        kind=InputKind.CHOICE,
        choices=TARGETS,
        env=("PMCP_DEPLOY_TARGET",),
        required=True,
    ),
    InputSpec(
        "command",
        "What to do: deploy (default), plan (validate and show what would change, "
        "touching nothing), outputs (what is deployed now), rollback, destroy.",
        kind=InputKind.CHOICE,
        choices=COMMANDS,
        default="deploy",
        env=("PMCP_DEPLOY_COMMAND",),
    ),
    InputSpec(
        "working-directory",
        "The project directory (holding .pmcp/deploy.toml or Cargo.toml). Default: the "
        "current directory (the workspace in GitHub Actions).",
        kind=InputKind.PATH,
        default=".",
        env=("PMCP_WORKING_DIRECTORY",),
    ),
    InputSpec(
        "config",
        "Path of the deploy configuration, relative to working-directory. Default: the "
        "nearest .pmcp/deploy.toml at or above working-directory, as cargo-pmcp finds it.",
        kind=InputKind.PATH,
        env=("PMCP_CONFIG",),
    ),
    InputSpec(
        "server-name",
        "Deployment identity (function, service, worker or project name). Default: "
        "[server].name, else the crate name from Cargo.toml.",
        env=("PMCP_SERVER_NAME",),
    ),
    InputSpec(
        "artifact",
        "What to deploy for Lambda-based targets: a prebuilt bootstrap binary, a zip, or a "
        "directory holding bootstrap. Default: cargo-lambda's output under "
        "target/lambda/, else a cargo lambda build when cargo-lambda is installed.",
        kind=InputKind.PATH,
        env=("PMCP_ARTIFACT",),
    ),
    InputSpec(
        "region",
        "Cloud region. Default: the target's own setting ([aws].region, [gcp].region, "
        "[azure].location) or the cloud's usual environment variable.",
        env=("PMCP_REGION",),
    ),
    InputSpec(
        "environment",
        "Environment variables for the server, one KEY=VALUE per line, merged over the "
        "[environment] table of deploy.toml.",
        kind=InputKind.MULTILINE,
        env=("PMCP_ENVIRONMENT",),
    ),
    InputSpec(
        "auth",
        "How to authenticate: auto (OIDC when an ID token and a role or identity are "
        "configured, else secrets), oidc, or secrets.",
        kind=InputKind.CHOICE,
        choices=("auto", "oidc", "secrets"),
        default="auto",
        env=("PMCP_AUTH",),
    ),
    InputSpec(
        "audience",
        "Audience of the OIDC ID token. Default: the target's usual audience "
        "(e.g. sts.amazonaws.com).",
        env=("PMCP_OIDC_AUDIENCE",),
    ),
    InputSpec(
        "id-token-variable",
        "GitLab CI: the variable that holds the OIDC ID token (declared with id_tokens:).",
        default="PMCP_ID_TOKEN",
        env=("PMCP_ID_TOKEN_VARIABLE",),
    ),
    # --- proving it works -------------------------------------------------------
    InputSpec(
        "verify",
        "After deploying, speak MCP to the server (initialize + tools/list): true, false, "
        "or strict (also fail when the server is protected by OAuth).",
        kind=InputKind.CHOICE,
        choices=("true", "false", "strict"),
        default="true",
        env=("PMCP_VERIFY",),
    ),
    InputSpec(
        "verify-url",
        "MCP endpoint to verify instead of the deployed URL.",
        kind=InputKind.URL,
        env=("PMCP_VERIFY_URL",),
    ),
    InputSpec(
        "verify-timeout-seconds",
        "How long verification may retry a cold or starting server.",
        kind=InputKind.INT,
        default="120",
        env=("PMCP_VERIFY_TIMEOUT_SECONDS",),
        minimum=1,
        maximum=3600,
    ),
    InputSpec(
        "verify-bearer-token",
        "Bearer token for verifying a server protected by OAuth.",
        secret=True,
        env=("PMCP_VERIFY_BEARER_TOKEN",),
    ),
    InputSpec(
        "verify-tools",
        "Tool names that must be listed by tools/list (comma or newline separated).",
        kind=InputKind.MULTILINE,
        env=("PMCP_VERIFY_TOOLS",),
    ),
    InputSpec(
        "rollback-on-failure",
        "Put the previous version back when verification fails.",
        kind=_BOOL,
        default="true",
        env=("PMCP_ROLLBACK_ON_FAILURE",),
    ),
    InputSpec(
        "rollback-to",
        "With command: rollback, the version to return to. Default: the previous one.",
        env=("PMCP_ROLLBACK_TO",),
    ),
    # --- limits and safety ------------------------------------------------------
    InputSpec(
        "timeout-minutes",
        "Overall deadline for waiting on the target (polls, propagation, rollouts).",
        kind=InputKind.INT,
        default="15",
        env=("PMCP_TIMEOUT_MINUTES",),
        minimum=1,
        maximum=360,
    ),
    InputSpec(
        "confirm-destroy",
        "Must be true for command: destroy to delete anything.",
        kind=_BOOL,
        default="false",
        env=("PMCP_CONFIRM_DESTROY",),
    ),
    InputSpec(
        "delete-log-group",
        "With command: destroy on aws-lambda, also delete the function's CloudWatch log group "
        "(kept by default).",
        kind=_BOOL,
        default="false",
        env=("PMCP_DELETE_LOG_GROUP",),
    ),
    InputSpec(
        "report-path",
        "Where to write the JSON deploy report. Default: pmcp-deploy-report.json in "
        "RUNNER_TEMP, else in working-directory.",
        kind=InputKind.PATH,
        env=("PMCP_REPORT_PATH",),
    ),
    InputSpec(
        "debug",
        "Verbose logs (also on when the runner's debug logging is enabled).",
        kind=_BOOL,
        default="false",
        env=("PMCP_DEBUG",),
    ),
    # --- pmcp.run credentials ---------------------------------------------------
    InputSpec(
        "pmcp-api-url",
        "pmcp.run API base URL (service discovery at /.well-known/pmcp-config).",
        kind=InputKind.URL,
        default="https://api.pmcp.run",
        env=("PMCP_API_URL", "PMCP_RUN_API_URL"),
    ),
    InputSpec(
        "pmcp-client-id",
        "pmcp.run OAuth client id for the client-credentials grant.",
        env=("PMCP_CLIENT_ID",),
    ),
    InputSpec(
        "pmcp-client-secret",
        "pmcp.run OAuth client secret for the client-credentials grant.",
        secret=True,
        env=("PMCP_CLIENT_SECRET",),
    ),
    InputSpec(
        "pmcp-access-token",
        "A pmcp.run access token, used as is.",
        secret=True,
        env=("PMCP_ACCESS_TOKEN",),
    ),
    InputSpec(
        "pmcp-credentials",
        "Content of a ~/.pmcp/credentials.toml with a [pmcp-run] table (refreshed when expired).",
        kind=InputKind.MULTILINE,
        secret=True,
        env=("PMCP_CREDENTIALS",),
    ),
    # --- AWS credentials --------------------------------------------------------
    InputSpec(
        "role-to-assume",
        "AWS IAM role ARN to assume (with OIDC, or with keys via AssumeRole).",
        env=("AWS_ROLE_TO_ASSUME",),
    ),
    InputSpec(
        "role-session-name",
        "AWS role session name. Default: derived from the repository and run id.",
        env=("AWS_ROLE_SESSION_NAME",),
    ),
    InputSpec(
        "role-duration-seconds",
        "AWS role session duration in seconds.",
        kind=InputKind.INT,
        default="3600",
        env=("AWS_ROLE_DURATION_SECONDS",),
        minimum=900,
        maximum=43200,
    ),
    InputSpec(
        "allowed-account-ids",
        "Comma-separated AWS account ids this deploy may touch.",
        env=("AWS_ALLOWED_ACCOUNT_IDS",),
    ),
    InputSpec(
        "aws-access-key-id",
        "AWS access key id (prefer OIDC with role-to-assume).",
        secret=True,
        env=("AWS_ACCESS_KEY_ID",),
    ),
    InputSpec(
        "aws-secret-access-key",
        "AWS secret access key.",
        secret=True,
        env=("AWS_SECRET_ACCESS_KEY",),
    ),
    InputSpec(
        "aws-session-token",
        "AWS session token for temporary keys.",
        secret=True,
        env=("AWS_SESSION_TOKEN",),
    ),
    InputSpec(
        "lambda-role-arn",
        "Execution role for the Lambda function. Default: [aws].role_arn, else a role "
        "<name>-lambda-role created and managed by pmcp-action.",
        env=("PMCP_LAMBDA_ROLE_ARN",),
    ),
    InputSpec(
        "architecture",
        "Lambda architecture: arm64 (default) or x86_64.",
        kind=InputKind.CHOICE,
        choices=("arm64", "x86_64"),
        env=("PMCP_ARCHITECTURE",),
    ),
    InputSpec(
        "function-url-auth-type",
        "Lambda function URL auth type: NONE (public) or AWS_IAM.",
        kind=InputKind.CHOICE,
        choices=("NONE", "AWS_IAM"),
        default="NONE",
        env=("PMCP_FUNCTION_URL_AUTH_TYPE",),
    ),
    # --- CLI only ---------------------------------------------------------------
    InputSpec(
        "output-format",
        "How to print the outputs outside CI: text on stderr, or json (one object on stdout).",
        kind=InputKind.CHOICE,
        choices=("text", "json"),
        default="text",
        env=("PMCP_OUTPUT_FORMAT",),
        cli_only=True,
    ),
)

_BY_NAME = {spec.name: spec for spec in INPUTS}


def input_by_name(name: str) -> InputSpec:
    return _BY_NAME[name]
