"""What Lambda answers and moto does not: its rules for a function's environment, and the
variables it hides from a caller that may not decrypt them.

- :func:`refusal` — CreateFunction and UpdateFunctionConfiguration refused as Lambda refuses
  them: a variable name outside Lambda's pattern, a key Lambda reserves, an environment over
  4 KB (measured as one JSON object; Lambda's message quotes the variables it measured,
  values and all, which is why a deploy must check the size before it calls);
- :func:`hide_variables` — a Lambda answer as a caller without ``kms:Decrypt`` on the
  function's key gets it: ``Environment.Error`` where ``Environment.Variables`` would be.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from .errors import lambda_error

__all__ = ["ENVIRONMENT_LIMIT", "RESERVED_KEYS", "hide_variables", "refusal"]

#: Lambda's limit for a function's environment, in bytes of its JSON.
ENVIRONMENT_LIMIT = 4096
#: The variables Lambda sets and refuses in a function's configuration.
RESERVED_KEYS = frozenset(
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
        "AWS_SESSION_TOKEN",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
    }
)
_NAME = re.compile(r"^[a-zA-Z]([a-zA-Z0-9_])+$")
_WRITES = ("CreateFunction", "UpdateFunctionConfiguration")
_READS = (
    "GetFunction",
    "GetFunctionConfiguration",
    "ListVersionsByFunction",
    "CreateFunction",
    "UpdateFunctionConfiguration",
    "PublishVersion",
)
_DENIED = {
    "ErrorCode": "AccessDeniedException",
    "Message": "Lambda was unable to decrypt the environment variables because KMS access was "
    "denied. Please check the function's KMS key settings. KMS Exception: "
    "AccessDeniedException KMS Message: The ciphertext refers to a customer master key that "
    "does not exist, does not exist in this region, or you are not allowed to access.",
}


def refusal(operation: str, body: bytes) -> httpx.Response | None:
    """Lambda's 400 for an environment it does not take (None when it takes it)."""
    if operation not in _WRITES or not body:
        return None
    variables = (json.loads(body).get("Environment") or {}).get("Variables") or {}
    bad = [name for name in variables if not _NAME.match(name)]
    if bad:
        return lambda_error(
            400,
            "ValidationException",
            "1 validation error detected: Value at 'environment.variables' failed to satisfy "
            "constraint: Map keys must satisfy constraint: [Member must satisfy regular "
            "expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
        )
    reserved = sorted(name for name in variables if name in RESERVED_KEYS)
    if reserved:
        return lambda_error(
            400,
            "InvalidParameterValueException",
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are "
            f"currently not supported for modification. Reserved keys used in this request: "
            f"{','.join(reserved)}",
        )
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > ENVIRONMENT_LIMIT:
        return lambda_error(
            400,
            "InvalidParameterValueException",
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit. String "
            f"measured: {measured}",
        )
    return None


def hide_variables(operation: str, response: httpx.Response) -> httpx.Response:
    """``response`` as a caller that may not decrypt with the functions' keys receives it."""
    if operation not in _READS or not response.content or response.status_code >= 300:
        return response
    body = json.loads(response.content)
    _hide(body)
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"]
    return httpx.Response(response.status_code, headers=headers, content=json.dumps(body).encode())


def _hide(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _hide(item)
    elif isinstance(node, dict):
        if node.get("KMSKeyArn") and isinstance(node.get("Environment"), dict):
            node["Environment"] = {"Error": dict(_DENIED)}
        for value in node.values():
            _hide(value)
