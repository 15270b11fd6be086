"""What Lambda keeps per alias and moto keeps per function: function URLs and resource policies.

moto 5 keeps one function URL per function and ignores ``Qualifier`` (an alias's own URL
would silently replace ``live``'s), and one resource-based policy per function shared by
every version and alias (a statement added for one alias shows in every other's
``GetPolicy``). Lambda keeps both per qualifier. :func:`install` teaches the moto running
in this process Lambda's behaviour:

- ``CreateFunctionUrlConfig`` / ``GetFunctionUrlConfig`` / ``UpdateFunctionUrlConfig`` /
  ``DeleteFunctionUrlConfig`` with ``?Qualifier=``: one config per (function, qualifier),
  each with a URL of its own (``https://<id>.lambda-url.<region>.on.aws/``) and the
  qualified ARN as ``FunctionArn``. The qualifier is an alias (a version number is refused,
  as Lambda's pattern refuses it; an alias that does not exist is not found); a second
  create is a ``ResourceConflictException``; get, update or delete of a missing one is a
  ``ResourceNotFoundException``; update keeps the URL and changes ``AuthType``, ``Cors`` and
  ``InvokeMode``.
- ``AddPermission`` / ``GetPolicy`` / ``RemovePermission`` with ``?Qualifier=``: a policy
  per qualifier; a statement id used twice in one policy is a
  ``ResourceConflictException``; removing an id the policy lacks is not found.

The state lives on moto's function, so a reset or ``DeleteFunction`` forgets it. Invoking a
URL is :mod:`.url_hosts`'s, which reads :func:`url_configs` and :func:`policy_of`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from moto.awslambda.exceptions import (
    GenericResourcNotFound,
    LambdaClientError,
    UnknownPolicyException,
    ValidationException,
)
from moto.awslambda.models import FunctionUrlConfig, LambdaBackend, LambdaFunction
from moto.awslambda.policy import Policy
from moto.awslambda.responses import LambdaResponse
from moto.moto_api._internal import mock_random

__all__ = ["QualifiedUrlConfig", "install", "policy_of", "url_configs"]

#: Lambda's pattern for a function URL's qualifier: an alias name, never a version number.
_URL_QUALIFIER = re.compile(r"^(?!\d+$)[0-9a-zA-Z_-]+$")
_INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")


class _Conflict(LambdaClientError):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ResourceConflictException", message)


class QualifiedUrlConfig(FunctionUrlConfig):
    """A function URL of one qualifier ("" for the unqualified function)."""

    def __init__(self, function: LambdaFunction, qualifier: str, config: dict[str, Any]):
        super().__init__(function, dict(config))
        self.qualifier = qualifier
        self.url = f"https://{mock_random.get_random_hex(32)}.lambda-url.{function.region}.on.aws/"
        self.config.setdefault("InvokeMode", "BUFFERED")

    @property
    def arn(self) -> str:
        base = self.function.function_arn.rsplit(":$LATEST", 1)[0]
        return f"{base}:{self.qualifier}" if self.qualifier else base

    def to_dict(self) -> dict[str, Any]:
        answer = super().to_dict()
        answer["FunctionArn"] = self.arn
        answer["InvokeMode"] = self.config.get("InvokeMode") or "BUFFERED"
        if not answer.get("Cors"):
            answer.pop("Cors", None)
        return answer

    def update(self, new_config: dict[str, Any]) -> None:
        super().update(new_config)
        if new_config.get("InvokeMode"):
            self.config["InvokeMode"] = new_config["InvokeMode"]


def url_configs(function: LambdaFunction) -> dict[str, QualifiedUrlConfig]:
    """The function's URLs by qualifier (kept on moto's ``$LATEST`` object)."""
    found: dict[str, QualifiedUrlConfig] | None = getattr(function, "pmcp_url_configs", None)
    if found is None:
        found = {}
        function.pmcp_url_configs = found  # type: ignore[attr-defined]
    return found


def policy_of(function: LambdaFunction, qualifier: str) -> Policy:
    """The resource-based policy of one qualifier ("" is the function's own, moto's)."""
    if not qualifier:
        return function.policy
    policies: dict[str, Policy] | None = getattr(function, "pmcp_policies", None)
    if policies is None:
        policies = {}
        function.pmcp_policies = policies  # type: ignore[attr-defined]
    if qualifier not in policies:
        policies[qualifier] = Policy(function)
    return policies[qualifier]


def _query(response: LambdaResponse, name: str) -> str:
    return str(response.querystring.get(name, [""])[0] or "")


def _latest(backend: LambdaBackend, name: str) -> LambdaFunction:
    return backend._lambdas.get_function_by_name_or_arn_forbid_qualifier(name)


def _url_qualifier(backend: LambdaBackend, function: LambdaFunction, qualifier: str) -> str:
    """``qualifier`` checked as Lambda checks a function URL's."""
    if not qualifier:
        return ""
    if not _URL_QUALIFIER.match(qualifier):
        raise ValidationException(
            qualifier,
            "qualifier",
            "Member must satisfy regular expression pattern: "
            r"((?!^\d+$)^[0-9a-zA-Z-_]+$)",
        )
    backend.get_alias(qualifier, function.function_name)  # not found: ResourceNotFound
    return qualifier


def _found(function: LambdaFunction, qualifier: str) -> QualifiedUrlConfig:
    config = url_configs(function).get(qualifier)
    if config is None:
        raise GenericResourcNotFound()
    return config


def _target(response: LambdaResponse, depth: int) -> tuple[LambdaBackend, LambdaFunction, str]:
    backend = response.backend
    function = _latest(backend, unquote(response.path.split("?")[0].split("/")[depth]))
    return backend, function, _query(response, "Qualifier")


def _create_url(self: LambdaResponse) -> Any:
    backend, function, qualifier = _target(self, -2)
    qualifier = _url_qualifier(backend, function, qualifier)
    configs = url_configs(function)
    if qualifier in configs:
        raise _Conflict(
            f"Failed to create function url config for [functionArn = {configs[qualifier].arn}]."
            " Error message:  FunctionUrlConfig exists for this Lambda function"
        )
    body = self.json_body
    if body.get("InvokeMode") and body["InvokeMode"] not in _INVOKE_MODES:
        raise ValidationException(
            body["InvokeMode"], "invokeMode", f"Member must satisfy enum value set: {_INVOKE_MODES}"
        )
    config = QualifiedUrlConfig(function, qualifier, body)
    configs[qualifier] = config
    return 201, {"status": 201, "Content-Type": "application/json"}, json.dumps(config.to_dict())


def _get_url(self: LambdaResponse) -> Any:
    backend, function, qualifier = _target(self, -2)
    config = _found(function, _url_qualifier(backend, function, qualifier))
    return 200, {"status": 200, "Content-Type": "application/json"}, json.dumps(config.to_dict())


def _update_url(self: LambdaResponse) -> Any:
    backend, function, qualifier = _target(self, -2)
    config = _found(function, _url_qualifier(backend, function, qualifier))
    config.update(self.json_body)
    return 200, {"status": 200, "Content-Type": "application/json"}, json.dumps(config.to_dict())


def _delete_url(self: LambdaResponse) -> Any:
    backend, function, qualifier = _target(self, -2)
    qualifier = _url_qualifier(backend, function, qualifier)
    _found(function, qualifier)
    del url_configs(function)[qualifier]
    return 204, {"status": 204, "Content-Type": "application/json"}, ""


def _add_permission(self: LambdaResponse) -> Any:
    backend, function, qualifier = _target(self, -2)
    if qualifier:
        backend.get_function(function.function_name, qualifier)  # not found: ResourceNotFound
    policy = policy_of(function, qualifier)
    sid = str(json.loads(self.body).get("StatementId", ""))
    if sid and any(s.get("Sid") == sid for s in policy.statements):
        raise _Conflict(
            f"The statement id ({sid}) provided already exists. Please provide a new statement "
            "id, or remove the existing statement."
        )
    statement, _revision = policy.add_statement(self.body, qualifier or None)
    return (
        201,
        {"status": 201, "Content-Type": "application/json"},
        json.dumps({"Statement": json.dumps(statement)}),
    )


def _get_policy(self: LambdaResponse) -> Any:
    backend, function, qualifier = _target(self, -2)
    if qualifier:
        backend.get_function(function.function_name, qualifier)
    return (
        200,
        {"status": 200, "Content-Type": "application/json"},
        policy_of(function, qualifier).wire_format(),
    )


def _remove_permission(self: LambdaResponse) -> Any:
    backend, function, qualifier = _target(self, -3)
    sid = unquote(self.path.split("?")[0].split("/")[-1])
    revision = _query(self, "RevisionId")
    policy = policy_of(function, qualifier)
    if not any(s.get("Sid") == sid for s in policy.statements):
        raise UnknownPolicyException()
    policy.del_statement(sid, revision)
    return 204, {"status": 204, "Content-Type": "application/json"}, ""


_PATCHES = {
    "create_function_url_config": _create_url,
    "get_function_url_config": _get_url,
    "update_function_url_config": _update_url,
    "delete_function_url_config": _delete_url,
    "add_permission": _add_permission,
    "get_policy": _get_policy,
    "remove_permission": _remove_permission,
}


def install() -> None:
    """Answer the qualified operations per qualifier, in every moto of this process."""
    for name, method in _PATCHES.items():
        setattr(LambdaResponse, name, method)
