"""AWS Lambda's limits, checked offline by every target that runs on Lambda.

pmcp.run deploys Lambda functions too, so both ``pmcp-run`` and ``aws-lambda``
refuse the same impossible settings before any network call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import Problem
from ..settings.deploy_toml import DeployConfig

__all__ = ["ENV_SIZE_LIMIT", "RESERVED_ENV_KEYS", "lambda_problems"]

#: Lambda's total for environment variable names and values, in bytes.
ENV_SIZE_LIMIT = 4096
_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]+$")
_ENV_WHERE = "[environment] / environment input"

#: Environment variables Lambda sets itself and refuses in a function's configuration.
RESERVED_ENV_KEYS: frozenset[str] = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_XRAY_CONTEXT_MISSING",
        "AWS_XRAY_DAEMON_ADDRESS",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
    }
)


def lambda_problems(config: DeployConfig, environment: Mapping[str, str]) -> list[Problem]:
    """Memory, timeout and environment rules of the Lambda CreateFunction API."""
    problems: list[Problem] = []
    memory = config.server.memory_mb
    if not 128 <= memory <= 10240:
        problems.append(
            Problem(
                config.where("server.memory_mb"),
                f"{memory} MB is outside Lambda's range",
                "use 128 to 10240",
            )
        )
    timeout = config.server.timeout_seconds
    if not 1 <= timeout <= 900:
        problems.append(
            Problem(
                config.where("server.timeout_seconds"),
                f"{timeout} s is outside Lambda's range",
                "use 1 to 900",
            )
        )
    for key in environment:
        if not _ENV_NAME.match(key):
            problems.append(
                Problem(
                    _ENV_WHERE,
                    f"{key[:40]!r} is not a valid Lambda environment variable name",
                    "use a letter followed by at least one letter, digit or _",
                )
            )
    reserved = sorted(key for key in environment if key in RESERVED_ENV_KEYS)
    if reserved:
        problems.append(
            Problem(
                _ENV_WHERE,
                f"Lambda reserves {', '.join(reserved)}",
                "remove them from [environment] and the environment input; Lambda sets them",
            )
        )
    size = sum(len(k.encode()) + len(v.encode()) for k, v in environment.items())
    if size > ENV_SIZE_LIMIT:
        problems.append(
            Problem(
                _ENV_WHERE,
                f"the variables take {size} bytes; Lambda allows {ENV_SIZE_LIMIT} in total",
                "move large values to files under [assets] or to a secret store",
            )
        )
    return problems
