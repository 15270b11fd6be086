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
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ...context import RunContext
from ...credential_hint import CredentialHint
from ...endpoint import McpEndpoint
from ...errors import Problem
from ...ownership import is_managed, labels
from ...runner_paths import container_path, unseen_problem
from ...secrets import ServerSecrets
from ...urls import endpoint_problem
from ..lambda_rules import ENV_SIZE_LIMIT, RESERVED_ENV_KEYS, lambda_problems
from .declaration import DECLARATION, NAME

__all__ = [
    "AMBIENT_FILE_VARIABLES",
    "ENV_SIZE_LIMIT",
    "LOG_RETENTION_DAYS",
    "LONG_LIVED_KEY_PREFIX",
    "MAX_FUNCTION_TAGS",
    "SECRET_TAG_PREFIX",
    "SERVER_TAG",
    "TEMPORARY_KEY_PREFIX",
    "LambdaConfig",
    "account_of_arn",
    "default_session_name",
    "environment_size",
    "is_ours",
    "resolve",
    "secret_problems",
]

#: How an IAM user's long-lived access key id begins, and a temporary one (an STS session's).
LONG_LIVED_KEY_PREFIX = "AKIA"
TEMPORARY_KEY_PREFIX = "ASIA"

#: The variables of botocore's default chain that name a file (auth: ambient), which a step
#: on the runner may have written: read where the action's container sees them.
AMBIENT_FILE_VARIABLES = (
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)

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
_KMS_KEY_ARN = re.compile(
    r"^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key/"
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
#: A Lambda environment variable's name (Lambda's own rule: a letter, then one or more).
_LAMBDA_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]+$")
#: Prefixes of the variables the Lambda runtime sets itself.
_RUNTIME_PREFIXES = ("AWS_", "LAMBDA_")
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
    #: The KMS key that encrypts the environment (kms-key-arn; "" = alias/pmcp-deploy's).
    kms_key_arn: str = ""

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def secret_salt(self) -> str:
        """What each secret's fingerprint is salted with (the name is added to it)."""
        return f"{NAME}/{self.function_name}"

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


#: The tag that records a secret this target stored, by name, with its fingerprint.
SECRET_TAG_PREFIX = "pmcp:secret:"
#: Lambda keeps at most this many tags on a function.
MAX_FUNCTION_TAGS = 50
#: Lambda's longest tag key.
_MAX_TAG_KEY = 128


def environment_size(variables: Mapping[str, str]) -> int:
    """The bytes of an environment as Lambda counts them: the variables as one JSON object."""
    text = json.dumps(dict(variables), separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8"))


def secret_problems(
    secrets: ServerSecrets, environment: Mapping[str, str], where: Callable[[str], str]
) -> list[Problem]:
    """Lambda's rules for the secrets, checked offline with the values given.

    ``where(name)`` names where a required secret is declared (deploy.toml's line).
    """
    problems: list[Problem] = []
    for name in sorted(set(secrets.values) | set(secrets.required)):
        source = secrets.sources.get(name) or where(name)
        if not _LAMBDA_ENV_NAME.match(name):
            problems.append(
                Problem(
                    source,
                    f"Lambda does not take {name[:40]} as an environment variable's name",
                    "use a letter followed by at least one letter, digit or _",
                )
            )
        elif name in RESERVED_ENV_KEYS or name.startswith(_RUNTIME_PREFIXES):
            problems.append(
                Problem(
                    source,
                    f"Lambda sets {name} itself (it reserves some AWS_ and LAMBDA_ names, "
                    "and the others are read by its runtime and the AWS SDK)",
                    "name the secret without the AWS_ or LAMBDA_ prefix",
                )
            )
        elif len(SECRET_TAG_PREFIX) + len(name) > _MAX_TAG_KEY:
            problems.append(
                Problem(
                    source,
                    f"the secret's name is {len(name)} characters; its fingerprint's tag "
                    f"allows {_MAX_TAG_KEY - len(SECRET_TAG_PREFIX)}",
                    "use a shorter name",
                )
            )
    room = MAX_FUNCTION_TAGS - len(resource_tags("x"))
    if len(secrets.values) > room:
        problems.append(
            Problem(
                "input 'secrets'",
                f"{len(secrets.values)} secrets: each is recorded by a tag of its own, and "
                f"Lambda keeps {MAX_FUNCTION_TAGS} tags on a function ({room} beside the "
                "ownership mark)",
                f"give at most {room} secrets (several values can share one secret, e.g. as JSON)",
            )
        )
    size_problem = environment_size_problem(environment, secrets.values, {})
    if secrets.values and size_problem is not None:
        problems.append(size_problem)
    return problems


def environment_size_problem(
    environment: Mapping[str, str], given: Mapping[str, str], kept: Mapping[str, str]
) -> Problem | None:
    """The problem of an environment over Lambda's 4 KB, naming the sizes (never a value)."""
    total = environment_size({**environment, **given, **kept})
    if total <= ENV_SIZE_LIMIT:
        return None
    parts = [f"[environment] {environment_size(environment)} bytes"] if environment else []
    parts += [f"the secrets given {environment_size(given)} bytes"] if given else []
    parts += [f"the secrets kept {environment_size(kept)} bytes"] if kept else []
    largest = max({**given, **kept}.items(), key=lambda item: len(item[1].encode()), default=None)
    if largest is not None:
        parts.append(f"the largest secret, {largest[0]}, {len(largest[1].encode())} bytes")
    return Problem(
        "input 'secrets'",
        f"the function's environment would take {total} bytes as Lambda counts it (the "
        f"variables as one JSON object: {'; '.join(parts)}); Lambda allows {ENV_SIZE_LIMIT} "
        "bytes in all",
        "make the values smaller, or keep a large value out of the environment (e.g. in "
        "AWS Secrets Manager, read by the server when it starts)",
    )


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
    for service in ("sts", "iam", "lambda", "s3", "logs", "kms"):
        key = f"AWS_ENDPOINT_URL_{service.upper()}"
        value = environ.get(key, "").strip().rstrip("/")
        if value:
            problem = endpoint_problem(value, f"environment variable {key}")
            if problem is not None:
                problems.append(problem)
            service_endpoints[service] = value

    # STS in the China partition is sts.amazonaws.com.cn, and so is its audience.
    audience = inputs.string("audience") or (
        DECLARATION.audience + (".cn" if region.startswith("cn-") else "")
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
    if auth == "ambient":
        for variable in AMBIENT_FILE_VARIABLES:
            named = environ.get(variable, "").strip()
            if named and container_path(named, environ) is None:
                problems.append(
                    unseen_problem(
                        variable,
                        named,
                        environ,
                        "write the file into the workspace or RUNNER_TEMP/_github_home (the "
                        "container's HOME), or use OIDC with role-to-assume",
                    )
                )
    temporary = key_id.startswith(TEMPORARY_KEY_PREFIX) and auth in ("auto", "secrets")
    if temporary and secret_key and not inputs.string("aws-session-token"):
        problems.append(
            Problem(
                inputs.source("aws-access-key-id"),
                "is a temporary access key id (ASIA…), which works only with its session token",
                "pass aws-session-token as well (configure-aws-credentials exports "
                "AWS_SESSION_TOKEN beside the keys)",
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
                CredentialHint(
                    ci="recommended: set role-to-assume and give the job "
                    "`permissions: id-token: write`; or pass aws-access-key-id and "
                    "aws-secret-access-key from secrets",
                    gitlab="recommended: set role-to-assume and give the job an ID token "
                    "(id_tokens: with aud sts.amazonaws.com, in the variable id-token-variable "
                    "names); or set the masked CI/CD variables AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY",
                    terminal=DECLARATION.terminal,
                ).text(context.console),
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

    # --- the server's secrets and the key that encrypts them ----------------------------------
    kms_key_arn = inputs.string("kms-key-arn", problems)
    key_match = _KMS_KEY_ARN.match(kms_key_arn) if kms_key_arn else None
    if kms_key_arn and key_match is None:
        problems.append(
            Problem(
                inputs.source("kms-key-arn"),
                f"{kms_key_arn[:120]!r} is not the ARN of a KMS key (Lambda takes a key's ARN, "
                "not an alias)",
                "use arn:aws:kms:<region>:<12-digit account>:key/<key id>",
            )
        )
    elif key_match is not None and region and key_match.group(2) != region:
        problems.append(
            Problem(
                inputs.source("kms-key-arn"),
                f"the key is in {key_match.group(2)}, the function in {region}: Lambda "
                "encrypts with a key of the function's region",
                f"give a key of {region} (a multi-Region key has an ARN in each Region)",
            )
        )
    problems.extend(
        secret_problems(
            context.project.secrets,
            context.project.environment,
            lambda name: config.where(f"secrets.{name}"),
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
        kms_key_arn=kms_key_arn,
    )
    return resolved, problems
