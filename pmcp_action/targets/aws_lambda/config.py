"""Everything the aws-lambda target needs to know, resolved once and checked offline.

Precedence is declared once, in :mod:`.declaration`: the flag, input or
variable wins, then ``.pmcp/deploy.toml`` (``[aws]``), then the usual AWS
environment variables, then cargo-pmcp's defaults; ``[server]`` and
``[observability]`` come from the file. Every message names the source the value
really came from. Nothing here touches the network; :func:`resolve` returns the
resolved values together with every problem it found, so ``validate()`` can
report all of them at once. The credential inputs are read and checked by
:mod:`.credential_inputs`.
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
from ...endpoint import McpEndpoint
from ...errors import Problem
from ...ownership import is_managed, labels
from ...secrets import ServerSecrets
from ...urls import endpoint_problem
from ..lambda_rules import ENV_SIZE_LIMIT, RESERVED_ENV_KEYS, lambda_problems
from .credential_inputs import (
    AMBIENT_FILE_VARIABLES,
    LONG_LIVED_KEY_PREFIX,
    ROLE_ARN,
    TEMPORARY_KEY_PREFIX,
    account_of_arn,
    default_session_name,
    read_credential_inputs,
)
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

#: Values CloudWatch Logs accepts for retentionInDays (0 here means "never expire").
LOG_RETENTION_DAYS: frozenset[int] = frozenset(
    int(days)
    for days in "1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 "
    "3288 3653".split()
)


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_KMS_KEY_ARN = re.compile(
    r"^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key/"
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
#: A Lambda environment variable's name (Lambda's own rule: a letter, then one or more).
_LAMBDA_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]+$")
#: Prefixes of the variables the Lambda runtime sets itself.
_RUNTIME_PREFIXES = ("AWS_", "LAMBDA_")


def partition_of_region(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


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

    # --- the execution role; the credentials (offline part) ------------------------------------
    execution_role_arn = inputs.string("lambda-role-arn", problems)
    role_source = inputs.source("lambda-role-arn")
    if execution_role_arn and not ROLE_ARN.match(execution_role_arn):
        problems.append(
            Problem(
                role_source,
                f"{execution_role_arn[:100]!r} is not an IAM role ARN",
                "use arn:aws:iam::<12-digit account>:role/<name>",
            )
        )
    credentials = read_credential_inputs(context, (role_source, execution_role_arn), problems)

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
        role_session_name=credentials.role_session_name,
        auth=credentials.auth,
        role_to_assume=credentials.role_to_assume,
        role_duration_seconds=credentials.role_duration_seconds,
        allowed_account_ids=credentials.allowed_account_ids,
        access_key_id=credentials.access_key_id,
        secret_access_key=credentials.secret_access_key,
        session_token=credentials.session_token,
        id_token_variable=settings.id_token_variable,
        artifact=inputs.path("artifact"),
        delete_log_group=inputs.flag("delete-log-group"),
        tags=MappingProxyType(resource_tags(function_name)),
        kms_key_arn=kms_key_arn,
    )
    return resolved, problems
