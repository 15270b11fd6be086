"""Everything the aws-lambda target needs to know, resolved once and checked offline.

Precedence is declared once, in :mod:`.declaration`: the flag, input or
variable wins, then ``.pmcp/deploy.toml`` (``[aws]``), then the usual AWS
environment variables, then cargo-pmcp's defaults; ``[server]`` and
``[observability]`` come from the file. Every message names the source the value
really came from. Nothing here touches the network; :func:`resolve` returns the
resolved values together with every problem it found, so ``validate()`` can
report all of them at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ...context import RunContext
from ...endpoint import McpEndpoint
from ...errors import Problem
from ...ownership import is_managed, labels
from ...urls import endpoint_problem
from ..lambda_rules import lambda_problems
from .declaration import NAME

__all__ = [
    "LOG_RETENTION_DAYS",
    "SERVER_TAG",
    "LambdaConfig",
    "account_of_arn",
    "default_session_name",
    "is_ours",
    "resolve",
]

#: Values CloudWatch Logs accepts for retentionInDays (0 here means "never expire").
LOG_RETENTION_DAYS: frozenset[int] = frozenset(
    int(days)
    for days in "1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 "
    "3288 3653".split()
)


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_SESSION_NAME_BAD = re.compile(r"[^\w+=,.@-]+")


def account_of_arn(arn: str) -> str:
    """The 12-digit account of an ARN, or "" when it has none."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and re.fullmatch(r"\d{12}", parts[4]) else ""


def partition_of_region(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def default_session_name(environ: Mapping[str, str]) -> str:
    """``pmcp-<repository>-<run id>``, sanitised to what STS accepts (2-64 of ``[\\w+=,.@-]``)."""
    repository = environ.get("GITHUB_REPOSITORY") or environ.get("CI_PROJECT_PATH") or ""
    run_id = environ.get("GITHUB_RUN_ID") or environ.get("CI_PIPELINE_ID") or ""
    parts = [part for part in ("pmcp", repository, run_id) if part]
    name = _SESSION_NAME_BAD.sub("-", "-".join(parts)).strip("-")
    if len(name) > 64:
        # Keep the run id (the distinguishing part) and as much of the repository as fits.
        suffix = _SESSION_NAME_BAD.sub("-", run_id)[:20]
        head = name[: 64 - len(suffix) - 1] if suffix else name[:64]
        name = f"{head}-{suffix}" if suffix else head
    return name if len(name) >= 2 else "pmcp-deploy-action"


@dataclass(frozen=True)
class LambdaConfig:
    """The resolved configuration of one aws-lambda run."""

    function_name: str
    region: str
    partition: str
    #: Base endpoint for every AWS API ("" = AWS's own), from AWS_ENDPOINT_URL.
    endpoint_url: str
    #: Per-service endpoints from AWS_ENDPOINT_URL_<SERVICE>, keyed by botocore service name.
    service_endpoints: Mapping[str, str]
    audience: str
    architecture: str
    memory_mb: int
    timeout_seconds: int
    environment: Mapping[str, str]
    #: The execution role given by the user ("" = create or reuse ``<name>-lambda-role``).
    execution_role_arn: str
    url_auth_type: str
    log_retention_days: int
    #: [observability].enable_xray: X-Ray tracing Active (as cargo-pmcp's stacks set it).
    enable_xray: bool
    reserved_concurrency: int | None
    #: The MCP endpoint under the function URL (``[server].mcp_path`` when set).
    endpoint: McpEndpoint
    role_session_name: str
    #: How to authenticate: "auto", "oidc" or "secrets" (default: the auth input's spec).
    auth: str = ""
    #: [server].ephemeral_storage_mb (None: Lambda's default).
    ephemeral_storage_mb: int | None = None
    #: The role to assume ("" = use the keys as they are).
    role_to_assume: str = ""
    role_duration_seconds: int = 0
    allowed_account_ids: tuple[str, ...] = ()
    access_key_id: str = ""
    secret_access_key: str = ""
    session_token: str = ""
    #: The CI variable holding a GitLab ID token (the common id-token-variable input).
    id_token_variable: str = ""
    #: The artifact input (None = find or build cargo-lambda's output).
    artifact: Path | None = None
    #: With destroy: also delete the log group.
    delete_log_group: bool = False
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def managed_role_name(self) -> str:
        return managed_role_name(self.function_name)

    def endpoint_for(self, service: str) -> str | None:
        return self.service_endpoints.get(service) or self.endpoint_url or None


def managed_role_name(function_name: str) -> str:
    """``<name>-lambda-role``, kept within IAM's 64 characters."""
    name = f"{function_name}-lambda-role"
    if len(name) <= 64:
        return name
    digest = hashlib.sha256(function_name.encode()).hexdigest()[:8]
    return f"{function_name[:43]}-{digest}-lambda-role"


#: The tag naming the server a resource was made for, next to the ownership mark.
SERVER_TAG = "pmcp:server"


def resource_tags(function_name: str) -> dict[str, str]:
    """The tags on everything this target creates: the ownership mark for this server."""
    return {**labels(function_name, server_key=SERVER_TAG), "target": NAME}


def is_ours(tags: Mapping[str, str], function_name: str) -> bool:
    """Whether a resource carries the mark this target puts on what it makes for the server."""
    return is_managed(tags, server=function_name, server_key=SERVER_TAG)


def resolve(context: RunContext) -> tuple[LambdaConfig, list[Problem]]:
    """Resolve the target's configuration; return it with every problem found."""
    settings = context.settings
    inputs = settings.inputs
    config = context.project.config
    environ = context.environ
    problems: list[Problem] = []

    function_name = context.project.server_name or settings.server_name
    if not _FUNCTION_NAME.match(function_name):
        problems.append(
            Problem(
                "server name",
                f"{function_name[:80]!r} cannot be a Lambda function name",
                "use 1 to 64 letters, digits, - or _ ([server].name or the server-name input)",
            )
        )

    # --- region: the declared fallbacks ([aws].region, AWS_REGION, AWS_DEFAULT_REGION) -------
    region = inputs.string("region", problems)
    if not region:
        problems.append(
            Problem(
                "input 'region'",
                "no AWS region given",
                "set the region input, [aws].region in .pmcp/deploy.toml, or AWS_REGION",
            )
        )
    elif not _REGION.match(region):
        problems.append(
            Problem(
                inputs.source("region"), f"{region[:40]!r} is not an AWS region", "e.g. us-east-1"
            )
        )

    # --- endpoints (tests and LocalStack) --------------------------------------------------
    endpoint_url = environ.get("AWS_ENDPOINT_URL", "").strip().rstrip("/")
    if endpoint_url:
        problem = endpoint_problem(endpoint_url, "environment variable AWS_ENDPOINT_URL")
        if problem is not None:
            problems.append(problem)
    service_endpoints: dict[str, str] = {}
    for service in ("sts", "iam", "lambda", "s3", "logs"):
        key = f"AWS_ENDPOINT_URL_{service.upper()}"
        value = environ.get(key, "").strip().rstrip("/")
        if value:
            problem = endpoint_problem(value, f"environment variable {key}")
            if problem is not None:
                problems.append(problem)
            service_endpoints[service] = value

    audience = inputs.string("audience") or (
        "sts.amazonaws.com.cn" if region.startswith("cn-") else "sts.amazonaws.com"
    )

    # --- function shape ----------------------------------------------------------------------
    architecture = inputs.string("architecture", problems)

    problems.extend(lambda_problems(config, context.project.environment))
    reserved = config.server.reserved_concurrency
    if reserved is not None and reserved < 0:
        problems.append(
            Problem(config.where("server.reserved_concurrency"), "must not be negative")
        )

    # --- roles -----------------------------------------------------------------------------
    execution_role_arn = inputs.string("lambda-role-arn", problems)
    role_source = inputs.source("lambda-role-arn")
    if execution_role_arn and not _ROLE_ARN.match(execution_role_arn):
        problems.append(
            Problem(
                role_source,
                f"{execution_role_arn[:100]!r} is not an IAM role ARN",
                "use arn:aws:iam::<12-digit account>:role/<name>",
            )
        )
    role_to_assume = inputs.string("role-to-assume")
    assume_source = inputs.source("role-to-assume")
    if role_to_assume and not _ROLE_ARN.match(role_to_assume):
        problems.append(
            Problem(
                assume_source,
                f"{role_to_assume[:100]!r} is not an IAM role ARN",
                "use arn:aws:iam::<12-digit account>:role/<name>",
            )
        )
    allowed = inputs.items("allowed-account-ids")
    bad_ids = [i for i in allowed if not re.fullmatch(r"\d{12}", i)]
    if bad_ids:
        problems.append(
            Problem(
                inputs.source("allowed-account-ids"),
                f"{bad_ids[0][:20]!r} is not a 12-digit AWS account id",
                "list account ids separated by commas",
            )
        )
    for source, arn in ((assume_source, role_to_assume), (role_source, execution_role_arn)):
        account = account_of_arn(arn)
        if allowed and account and account not in allowed:
            problems.append(
                Problem(
                    source,
                    f"the role is in account {account}, which is not in allowed-account-ids",
                    "use a role of an allowed account, or add the account to allowed-account-ids",
                )
            )

    given_session_name = inputs.string("role-session-name")
    session_name = given_session_name or default_session_name(environ)
    if given_session_name and not _SESSION_NAME.match(given_session_name):
        problems.append(
            Problem(
                inputs.source("role-session-name"),
                f"{given_session_name[:80]!r} is not a valid STS session name",
                "use 2 to 64 letters, digits or the characters +=,.@_-",
            )
        )

    # --- credentials (offline part) -----------------------------------------------------------
    auth = inputs.string("auth")
    key_id = inputs.string("aws-access-key-id")
    secret_key = inputs.string("aws-secret-access-key")
    has_keys = bool(key_id or secret_key)
    if has_keys and not (key_id and secret_key):
        missing = "aws-secret-access-key" if key_id else "aws-access-key-id"
        problems.append(
            Problem(
                f"input '{missing}'",
                "an AWS access key needs both its id and its secret",
                f"set {missing} as well (from a secret), or use OIDC with role-to-assume",
            )
        )
    if auth == "oidc" and not role_to_assume:
        problems.append(
            Problem(
                "input 'role-to-assume'",
                "auth is oidc, but no role to assume is given",
                "set role-to-assume to the ARN of the IAM role that trusts your CI's OIDC provider",
            )
        )
    if auth == "secrets" and not has_keys:
        problems.append(
            Problem(
                "input 'aws-access-key-id'",
                "auth is secrets, but no AWS access key is given",
                "pass aws-access-key-id and aws-secret-access-key from secrets, or use OIDC",
            )
        )
    if auth == "ambient" and has_keys:
        problems.append(
            Problem(
                inputs.source("aws-access-key-id"),
                "auth is ambient (the runner's own AWS credentials), but access keys are "
                "given as well",
                "remove the key inputs, or set auth: secrets to deploy with the keys",
            )
        )
    if auth == "auto" and not has_keys and not role_to_assume:
        problems.append(
            Problem(
                "input 'role-to-assume'",
                "no AWS credentials: neither a role to assume (OIDC) nor access keys are given",
                "recommended: set role-to-assume and give the job `permissions: id-token: write`; "
                "or pass aws-access-key-id and aws-secret-access-key from secrets",
            )
        )

    # --- observability and URL -------------------------------------------------------------------
    retention = config.observability.log_retention_days
    if retention != 0 and retention not in LOG_RETENTION_DAYS:
        problems.append(
            Problem(
                config.where("observability.log_retention_days"),
                f"CloudWatch Logs does not offer a retention of {retention} days",
                "use one of " + ", ".join(str(d) for d in sorted(LOG_RETENTION_DAYS)),
            )
        )

    resolved = LambdaConfig(
        function_name=function_name,
        region=region,
        partition=partition_of_region(region),
        endpoint_url=endpoint_url,
        service_endpoints=MappingProxyType(service_endpoints),
        audience=audience,
        architecture=architecture,
        memory_mb=config.server.memory_mb,
        timeout_seconds=config.server.timeout_seconds,
        environment=MappingProxyType(dict(context.project.environment)),
        execution_role_arn=execution_role_arn,
        url_auth_type=inputs.string("function-url-auth-type"),
        log_retention_days=retention,
        enable_xray=config.observability.enable_xray,
        reserved_concurrency=reserved,
        endpoint=McpEndpoint.of(context),
        ephemeral_storage_mb=config.server.ephemeral_storage_mb,
        role_session_name=session_name,
        auth=auth,
        role_to_assume=role_to_assume,
        role_duration_seconds=inputs.integer("role-duration-seconds"),
        allowed_account_ids=allowed,
        access_key_id=key_id,
        secret_access_key=secret_key,
        session_token=inputs.string("aws-session-token"),
        id_token_variable=settings.id_token_variable,
        artifact=inputs.path("artifact"),
        delete_log_group=inputs.flag("delete-log-group"),
        tags=MappingProxyType(resource_tags(function_name)),
    )
    return resolved, problems
