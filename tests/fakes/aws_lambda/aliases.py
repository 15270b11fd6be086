"""``UpdateAlias`` as Lambda answers it: the ``RevisionId`` checked and renewed, the
``RoutingConfig`` checked.

moto keeps one ``RevisionId`` per alias for its whole life and ignores the one a write
sends, and stores any ``RoutingConfig`` it is given. Lambda gives an alias a new revision
with every change and refuses a write whose ``RevisionId`` is not the current one
(``412 PreconditionFailedException``); its routing configuration names at most one
additional *published* version, not the alias's own, with a weight from 0.0 to 1.0
(``InvalidParameterValueException`` otherwise). :func:`install` teaches the moto running
in this process that. A write straight to moto (a concurrent run's) renews the revision
too, so a run's conditional write after it is refused.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.awslambda.exceptions import InvalidParameterValueException, PreconditionFailedException
from moto.awslambda.models import LambdaAlias
from moto.awslambda.responses import LambdaResponse
from moto.moto_api._internal import mock_random

from .revisions import PRECONDITION

__all__ = ["install", "weights_of"]


def weights_of(alias: LambdaAlias) -> dict[str, float]:
    """The additional versions of an alias's routing configuration and their weights."""
    routing: Any = alias.routing_config or {}
    weights = routing.get("AdditionalVersionWeights") if isinstance(routing, dict) else None
    return {str(k): float(v) for k, v in (weights or {}).items()}


def _check_routing(response: LambdaResponse, function: str, version: str, routing: Any) -> None:
    if routing is None:
        return
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    if len(weights) > 1:
        raise InvalidParameterValueException(
            "Number of items in AdditionalVersionWeights cannot be greater than 1"
        )
    for extra, weight in weights.items():
        if not 0.0 <= float(weight) <= 1.0:
            raise InvalidParameterValueException(
                f"Weight for version {extra} must be between 0.0 and 1.0"
            )
        if extra == version or not str(extra).isdigit():
            raise InvalidParameterValueException(
                f"Invalid function version {extra}: the additional version must be a "
                "published version other than the alias's own"
            )
        response.backend.get_function(function, str(extra))  # not found: ResourceNotFound


def _update_alias(self: LambdaResponse) -> Any:
    function_name = unquote(self.path.rsplit("/")[-3])
    alias_name = unquote(self.path.rsplit("/", 2)[-1])
    params = json.loads(self.body or b"{}")
    alias = self.backend.get_alias(name=alias_name, function_name=function_name)
    revision = params.get("RevisionId")
    if revision and revision != alias.revision_id:
        raise PreconditionFailedException(PRECONDITION)
    version = params.get("FunctionVersion") or alias.function_version
    _check_routing(self, function_name, str(version), params.get("RoutingConfig"))
    alias = self.backend.update_alias(
        name=alias_name,
        function_name=function_name,
        function_version=params.get("FunctionVersion"),
        description=params.get("Description"),
        routing_config=params.get("RoutingConfig"),
    )
    alias.revision_id = str(mock_random.uuid4())
    return 201, {"status": 201}, json.dumps(alias.to_json())


def install() -> None:
    """Answer ``UpdateAlias`` as Lambda does, in every moto of this process."""
    setattr(LambdaResponse, "update_alias", _update_alias)  # noqa: B010
