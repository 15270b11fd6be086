"""Everything the aws-lambda target needs to know, resolved once and checked offline.

Precedence follows the rest of the program: the input wins, then
``.pmcp/deploy.toml`` (``[aws]``, ``[server]``, ``[observability]``), then the
usual AWS environment variables, then cargo-pmcp's defaults. Nothing here
touches the network; :func:`resolve` returns the resolved values together with
every problem it found, so ``validate()`` can report all of them at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ...context import RunContext
from ...errors import Problem
from ...urls import endpoint_problem
from ..lambda_rules import lambda_problems

__all__ = [
    "LOG_RETENTION_DAYS",
    "LambdaConfig",
    "account_of_arn",
    "default_session_name",
    "resolve",
]

#: Values CloudWatch Logs accepts for retentionInDays (0 here means "never expire").
LOG_RETENTION_DAYS: frozenset[int] = frozenset(
    int(days)
    for days in "1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 "
    "3288 3653".split()
)


#: Lambda's limit on the environment of one function (all keys and values together).

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_SESSION_NAME_BAD = re.compile(r"[^\w+=,.@-]+")
_ARCHITECTURES = ("arm64", "x86_64")


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
    #: A path the MCP endpoint lives under, appended to the function URL ("" = the root).
    mcp_path: str
    role_session_name: str
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


def resource_tags(function_name: str) -> dict[str, str]:
    """The tags on everything this target creates."""
    return {"managed-by": "pmcp", "pmcp:server": function_name, "target": "aws-lambda"}


def resolve(context: RunContext) -> tuple[LambdaConfig, list[Problem]]:
    """Resolve the target's configuration; return it with every problem found."""
    settings = context.settings
    config = context.project.config
    environ = context.environ
    aws = config.table("aws")
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

    # --- region: input > [aws].region > AWS_REGION > AWS_DEFAULT_REGION -------------------
    region, region_source = "", ""
    aws_region = aws.get("region")
    for value, source in (
        (settings.region, "input 'region'"),
        (aws_region if isinstance(aws_region, str) else "", config.where("aws.region")),
        (environ.get("AWS_REGION", ""), "environment variable AWS_REGION"),
        (environ.get("AWS_DEFAULT_REGION", ""), "environment variable AWS_DEFAULT_REGION"),
    ):
        if value.strip():
            region, region_source = value.strip(), source
            break
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
            Problem(region_source, f"{region[:40]!r} is not an AWS region", "e.g. us-east-1")
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

    audience = settings.audience or (
        "sts.amazonaws.com.cn" if region.startswith("cn-") else "sts.amazonaws.com"
    )

    # --- function shape ----------------------------------------------------------------------
    architecture = settings.architecture
    if not architecture:
        configured = aws.get("architecture", "")
        architecture = str(configured).strip() if configured else "arm64"
        if architecture not in _ARCHITECTURES:
            problems.append(
                Problem(
                    config.where("aws.architecture"),
                    f"unknown architecture {architecture[:20]!r}",
                    "use arm64 or x86_64",
                )
            )
            architecture = "arm64"

    problems.extend(lambda_problems(config, context.project.environment))
    reserved = config.server.reserved_concurrency
    if reserved is not None and reserved < 0:
        problems.append(
            Problem(config.where("server.reserved_concurrency"), "must not be negative")
        )

    # --- roles -----------------------------------------------------------------------------
    execution_role_arn = settings.lambda_role_arn
    role_source = "input 'lambda-role-arn'"
    if not execution_role_arn:
        configured_role = aws.get("role_arn", "")
        execution_role_arn = str(configured_role).strip() if configured_role else ""
        role_source = config.where("aws.role_arn")
    if execution_role_arn and not _ROLE_ARN.match(execution_role_arn):
        problems.append(
            Problem(
                role_source,
                f"{execution_role_arn[:100]!r} is not an IAM role ARN",
                "use arn:aws:iam::<12-digit account>:role/<name>",
            )
        )
    if settings.role_to_assume and not _ROLE_ARN.match(settings.role_to_assume):
        problems.append(
            Problem(
                "input 'role-to-assume'",
                f"{settings.role_to_assume[:100]!r} is not an IAM role ARN",
                "use arn:aws:iam::<12-digit account>:role/<name>",
            )
        )
    allowed = settings.allowed_account_ids
    for source, arn in (
        ("input 'role-to-assume'", settings.role_to_assume),
        (role_source, execution_role_arn),
    ):
        account = account_of_arn(arn)
        if allowed and account and account not in allowed:
            problems.append(
                Problem(
                    source,
                    f"the role is in account {account}, which is not in allowed-account-ids",
                    "use a role of an allowed account, or add the account to allowed-account-ids",
                )
            )

    session_name = settings.role_session_name or default_session_name(environ)
    if settings.role_session_name and not _SESSION_NAME.match(settings.role_session_name):
        problems.append(
            Problem(
                "input 'role-session-name'",
                f"{settings.role_session_name[:80]!r} is not a valid STS session name",
                "use 2 to 64 letters, digits or the characters +=,.@_-",
            )
        )

    # --- credentials (offline part) -----------------------------------------------------------
    has_keys = bool(settings.aws_access_key_id or settings.aws_secret_access_key)
    if has_keys and not (settings.aws_access_key_id and settings.aws_secret_access_key):
        missing = "aws-secret-access-key" if settings.aws_access_key_id else "aws-access-key-id"
        problems.append(
            Problem(
                f"input '{missing}'",
                "an AWS access key needs both its id and its secret",
                f"set {missing} as well (from a secret), or use OIDC with role-to-assume",
            )
        )
    if settings.auth == "oidc" and not settings.role_to_assume:
        problems.append(
            Problem(
                "input 'role-to-assume'",
                "auth is oidc, but no role to assume is given",
                "set role-to-assume to the ARN of the IAM role that trusts your CI's OIDC provider",
            )
        )
    if settings.auth == "secrets" and not has_keys:
        problems.append(
            Problem(
                "input 'aws-access-key-id'",
                "auth is secrets, but no AWS access key is given",
                "pass aws-access-key-id and aws-secret-access-key from secrets, or use OIDC",
            )
        )
    if settings.auth == "auto" and not has_keys and not settings.role_to_assume:
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

    server_table = config.table("server")
    mcp_path = server_table.get("mcp_path", "")
    if not isinstance(mcp_path, str):
        problems.append(Problem(config.where("server.mcp_path"), "must be a string"))
        mcp_path = ""

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
        url_auth_type=settings.function_url_auth_type or "NONE",
        log_retention_days=retention,
        enable_xray=config.observability.enable_xray,
        reserved_concurrency=reserved,
        mcp_path=mcp_path.strip().strip("/"),
        role_session_name=session_name,
        tags=MappingProxyType(resource_tags(function_name)),
    )
    return resolved, problems
