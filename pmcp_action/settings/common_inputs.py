"""The inputs every run has, whatever the target, and the variables the core reads.

Each target declares its own inputs next to its outputs (its ``declaration``
module); :mod:`.catalogue` appends them after these.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .spec import InputKind, InputSpec
from .vocabulary import (
    COMMANDS,
    AppsMode,
    Auth,
    Check,
    CiSystem,
    Command,
    OnFailure,
    OutputFormat,
    VerifyMode,
    choices_of,
)

__all__ = ["COMMON_INPUTS", "COMMON_VARIABLES"]

_BOOL = InputKind.BOOL

#: The inputs of every run, in the order the help, action.yml and README list them.
COMMON_INPUTS: tuple[InputSpec, ...] = (
    # --- what to do -------------------------------------------------------------
    InputSpec(
        "target",
        # The catalogue puts "Where to deploy: <every target id>." in front.
        "Falls back to [target].type in .pmcp/deploy.toml.",
        kind=InputKind.CHOICE,
        env=("PMCP_DEPLOY_TARGET",),
    ),
    InputSpec(
        "command",
        "What to do: deploy, plan (validate and show what would change, touching nothing), "
        "outputs (what is deployed now), rollback, destroy, logs (what the serving version "
        "logged, where the target keeps logs), servers (the repository's servers as a CI "
        "matrix), preview (deploy the working tree as a pull request's preview beside "
        "production and verify it), destroy-preview (remove that preview), check (sign in and "
        "probe the permissions a deploy needs, writing nothing).",
        kind=InputKind.CHOICE,
        choices=COMMANDS,
        default=Command.DEPLOY.value,
        env=("PMCP_DEPLOY_COMMAND",),
    ),
    InputSpec(
        "working-directory",
        "The project directory (holding .pmcp/deploy.toml or Cargo.toml): the current "
        "directory (the workspace in GitHub Actions) unless given.",
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
        "A prebuilt artifact to deploy instead of the one found or built in the project; "
        "what it may be depends on the target (see its section).",
        kind=InputKind.PATH,
        env=("PMCP_ARTIFACT",),
        shared=True,
    ),
    InputSpec(
        "region",
        "Cloud region. Each target reads its own setting and the cloud's usual variables "
        "after this one (see its section).",
        env=("PMCP_REGION",),
        shared=True,
    ),
    InputSpec(
        "environment",
        "Environment variables for the server, one KEY=VALUE per line, merged over the "
        "[environment] table of deploy.toml.",
        kind=InputKind.MULTILINE,
        env=("PMCP_ENVIRONMENT",),
    ),
    InputSpec(
        "secrets",
        "The server's secrets, one KEY=VALUE per line (KEY<<EOF, the lines, EOF for a value of "
        "several lines): stored in the platform's secret store and read by the server as "
        "environment variables of those names, never put in plain configuration. A name "
        "under deploy.toml's [secrets] is required; one not given here is taken from the "
        "run's environment variable of that name. Secret: every value is masked.",
        kind=InputKind.MULTILINE,
        secret=True,
        env=("PMCP_SECRETS",),
    ),
    InputSpec(
        "prune-secrets",
        "Remove the secrets this action stored earlier for the server that this run does not "
        "give (never one it did not store, nor one deploy.toml's [secrets] requires).",
        kind=_BOOL,
        default="false",
        env=("PMCP_PRUNE_SECRETS",),
    ),
    InputSpec(
        "auth",
        "How to authenticate: auto (OIDC when an ID token and a role or identity are "
        "configured, else secrets), oidc, secrets, or ambient (your own or the runner's "
        "credentials: a profile, gcloud's or az's sign-in, a role; where offered).",
        kind=InputKind.CHOICE,
        choices=choices_of(Auth),
        default=Auth.AUTO.value,
        env=("PMCP_AUTH",),
        shared=True,
    ),
    InputSpec(
        "audience",
        "Audience of the OIDC ID token. Default: the target's usual audience (see its section).",
        env=("PMCP_OIDC_AUDIENCE",),
        shared=True,
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
        "After deploying, prove the server over MCP (tools/list, verify-checks, "
        "verify-scenarios): true, false, or strict (also fail on OAuth it cannot pass or "
        "wrong OAuth metadata). "
        "[post_deploy_tests].enabled = false in .pmcp/deploy.toml turns it off.",
        kind=InputKind.CHOICE,
        choices=choices_of(VerifyMode),
        default=VerifyMode.TRUE.value,
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
        "How long verification may retry a cold or starting server. Falls back to "
        "[post_deploy_tests].timeout_seconds.",
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
        "verify-checks",
        "What verification checks besides the server answering (comma or newline separated): "
        "connectivity (initialize + tools/list, always run first), conformance (what the MCP "
        "specification asks of any server), apps (the UI resources tools name as MCP Apps). "
        "Falls back to [post_deploy_tests].checks.",
        kind=InputKind.MULTILINE,
        default=Check.CONNECTIVITY.value,
        env=("PMCP_VERIFY_CHECKS",),
    ),
    InputSpec(
        "verify-on-failure",
        "What a failed verification does: fail (the run fails; rollback-on-failure decides "
        "whether the previous version is put back), warn (a warning: the new version serves and "
        "the run succeeds), rollback (the run fails and the previous version is put back). "
        "Falls back to [post_deploy_tests].on_failure.",
        kind=InputKind.CHOICE,
        choices=choices_of(OnFailure),
        default=OnFailure.FAIL.value,
        env=("PMCP_VERIFY_ON_FAILURE",),
    ),
    InputSpec(
        "verify-warmup-grace-ms",
        "Milliseconds to wait before the first verification request (a server that needs "
        "time after it is deployed). Falls back to [post_deploy_tests].warmup_grace_ms.",
        kind=InputKind.INT,
        default="0",
        env=("PMCP_VERIFY_WARMUP_GRACE_MS",),
        minimum=0,
        maximum=600_000,
    ),
    InputSpec(
        "verify-apps-mode",
        "Whose MCP Apps metadata the apps check reads: standard or claude-desktop "
        "(_meta.ui.resourceUri, text/html;profile=mcp-app), chatgpt "
        "(_meta openai/outputTemplate, text/html+skybridge). Falls back to "
        "[post_deploy_tests].apps_mode.",
        kind=InputKind.CHOICE,
        choices=choices_of(AppsMode),
        default=AppsMode.CLAUDE_DESKTOP.value,
        env=("PMCP_VERIFY_APPS_MODE",),
    ),
    InputSpec(
        "verify-scenarios",
        "mcp-tester scenario files to run against the new version before it takes traffic "
        "(where the target stages one; else against the live version, rolled back on "
        "failure): paths or globs relative to working-directory, one a line.",
        kind=InputKind.MULTILINE,
        env=("PMCP_VERIFY_SCENARIOS",),
    ),
    InputSpec(
        "verify-oauth-client-id",
        "For a server protected by OAuth: the client id of a client-credentials grant at the "
        "authorization server its RFC 9728 metadata names (instead of verify-bearer-token).",
        env=("PMCP_VERIFY_OAUTH_CLIENT_ID",),
    ),
    InputSpec(
        "verify-oauth-client-secret",
        "The secret of verify-oauth-client-id.",
        secret=True,
        env=("PMCP_VERIFY_OAUTH_CLIENT_SECRET",),
    ),
    InputSpec(
        "verify-oauth-scope",
        "The scope asked for with verify-oauth-client-id (space separated).",
        env=("PMCP_VERIFY_OAUTH_SCOPE",),
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
    # --- moving the traffic -----------------------------------------------------
    InputSpec(
        "traffic-steps",
        "The new version's share of the traffic, in steps: percentages, strictly increasing "
        "and ending in 100 (e.g. 10,50,100). After the new version passed verification at its "
        "own URL, each step below 100 moves that share to it, waits traffic-step-seconds and "
        "verifies the live URL; a failure puts 100 % back on the previous version. Only on "
        "targets that split traffic (see their sections); 100 moves it all at once.",
        default="100",
        env=("PMCP_TRAFFIC_STEPS",),
    ),
    InputSpec(
        "traffic-step-seconds",
        "How long each step of traffic-steps below 100 lasts before the live URL is verified "
        "(within timeout-minutes).",
        kind=InputKind.INT,
        default="60",
        env=("PMCP_TRAFFIC_STEP_SECONDS",),
        minimum=0,
        maximum=3600,
    ),
    # --- previews ---------------------------------------------------------------
    InputSpec(
        "preview-id",
        "With command: preview or destroy-preview, the preview's name (lowercase letters, "
        "digits and hyphens, starting with a letter). Default: pr-<number> from a GitHub "
        "pull_request or pull_request_target event, mr-<iid> from a GitLab merge request "
        "pipeline (CI_MERGE_REQUEST_IID); required elsewhere.",
        env=("PMCP_PREVIEW_ID",),
    ),
    InputSpec(
        "github-token",
        "With command: preview or destroy-preview on GitHub, a token that may write pull "
        "request comments and deployments (permissions: pull-requests: write, deployments: "
        "write): the preview's sticky comment and its GitHub deployment. Without one (or on "
        "a fork's pull request) the run only says how to give one.",
        secret=True,
        env=("GITHUB_TOKEN",),
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
        "report-path",
        "Where to write the JSON deploy report. Default in CI: pmcp-deploy-report.json in "
        "RUNNER_TEMP (GitHub) or the project directory (GitLab); outside CI only when given.",
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
    # --- many servers -----------------------------------------------------------
    InputSpec(
        "changed-since",
        "With command: servers, list only the servers changed since this git ref (a commit, "
        "branch or tag: their own files, or the workspace files they build from), compared "
        "from the merge base with HEAD. Needs that history in the clone (fetch-depth: 0).",
        env=("PMCP_CHANGED_SINCE",),
    ),
    # --- the MCP Registry -------------------------------------------------------
    InputSpec(
        "publish-registry",
        "After a verified deploy, publish the server to the MCP Registry with the verified "
        "endpoint as a streamable-http remote (GitHub Actions: signs in with the job's OIDC "
        "token, which needs id-token: write).",
        kind=_BOOL,
        default="false",
        env=("PMCP_PUBLISH_REGISTRY",),
    ),
    InputSpec(
        "registry-name",
        "The server's name in the MCP Registry. Default: io.github.<repository owner>/"
        "<server-name>.",
        env=("PMCP_REGISTRY_NAME",),
    ),
    InputSpec(
        "registry-url",
        "The MCP Registry to publish to (its staging registry, or a private one).",
        kind=InputKind.URL,
        default="https://registry.modelcontextprotocol.io",
        env=("PMCP_REGISTRY_URL",),
    ),
    # --- CLI only ---------------------------------------------------------------
    InputSpec(
        "ci",
        "init, trust: the CI to write for (or whose tokens to trust): github "
        "(.github/workflows/pmcp-deploy.yml) or gitlab (the component added to "
        ".gitlab-ci.yml). Default: gitlab when the repository has a .gitlab-ci.yml, else github.",
        kind=InputKind.CHOICE,
        choices=choices_of(CiSystem),
        env=("PMCP_CI",),
        cli_only=True,
        noun="CI",
    ),
    InputSpec(
        "ci-environment",
        "init, trust: the CI's deployment environment the job deploys in (GitHub's environment, "
        "GitLab's environment-name); the server's variables are the environment input.",
        default="production",
        env=("PMCP_CI_ENVIRONMENT",),
        cli_only=True,
    ),
    InputSpec(
        "repository",
        "trust: the repository whose CI tokens the cloud trusts (OWNER/REPO on GitHub, "
        "GROUP/PROJECT on GitLab).",
        env=("PMCP_TRUST_REPOSITORY",),
        cli_only=True,
    ),
    InputSpec(
        "ref",
        "trust: trust the tokens of this branch (main or refs/heads/main), tag (refs/tags/v1) "
        "or of pull requests (pull_request) instead of those of ci-environment.",
        env=("PMCP_TRUST_REF",),
        cli_only=True,
    ),
    InputSpec(
        "apply",
        "trust: create what is missing with the terminal's own cloud credentials; what exists "
        "and differs is reported, never changed.",
        kind=_BOOL,
        default="false",
        env=("PMCP_TRUST_APPLY",),
        cli_only=True,
    ),
    InputSpec(
        "force",
        "init: write over an existing .github/workflows/pmcp-deploy.yml, or replace what init "
        "added to .gitlab-ci.yml before.",
        kind=_BOOL,
        default="false",
        env=("PMCP_FORCE",),
        cli_only=True,
    ),
    InputSpec(
        "output-format",
        "How to print the outputs outside CI: text on stderr, or json (one object on stdout).",
        kind=InputKind.CHOICE,
        choices=choices_of(OutputFormat),
        default=OutputFormat.TEXT.value,
        env=("PMCP_OUTPUT_FORMAT",),
        cli_only=True,
    ),
)


#: Environment variables the core reads besides the inputs' own (name -> what for).
COMMON_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "RUNNER_DEBUG": "GitHub's debug logging; 1 turns on debug output.",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "GitHub Actions: where the job's OIDC ID token is "
        "asked for.",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "GitHub Actions: the bearer token for that request.",
        "PMCP_DOTENV_PATH": "GitLab CI: where the dotenv report is written "
        "(default pmcp-deploy.env).",
        "CARGO_TARGET_DIR": "Cargo's target directory, where built artifacts are looked for.",
        "PMCP_GITHUB_API_URL": "preview / destroy-preview: the GitHub REST API the pull "
        "request's comment and deployment go to, before GITHUB_API_URL (then "
        "https://api.github.com).",
        "PMCP_HOST_WORKSPACE": "GitHub Actions, set by action.yml: the workspace's path on the "
        "runner, so a file an earlier step named there (a credentials file) is read where the "
        "action's container sees it.",
    }
)
