"""An AppSync-like GraphQL API, ``POST <base>/graphql``: the raw token checked (``Bearer …``
is refused as AppSync refuses it), every query parsed and validated against
:data:`~.schema.SCHEMA_SDL` and executed over the fake's state; ``POST <base>/stale/graphql``
is a partial "source API" that knows only ``getDeployment`` (for the re-discovery path)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import graphql
import httpx

from ..server import json_response
from .cognito import TokenEndpoint
from .resolvers import ApiError, Resolvers, Root
from .schema import SCHEMA_SDL, STALE_SCHEMA_SDL


def _appsync_error(status: int, error_type: str, message: str) -> httpx.Response:
    return json_response(
        status,
        {"errors": [{"errorType": error_type, "message": message}]},
        headers={"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-ErrorType": error_type},
    )


class AppSync(Resolvers, TokenEndpoint):
    """The GraphQL endpoint: authorisation, validation, execution, AppSync's error shapes."""

    schema = graphql.build_schema(SCHEMA_SDL)
    stale_schema = graphql.build_schema(STALE_SCHEMA_SDL)

    def _graphql(self, request: httpx.Request, base: str, schema: Any) -> httpx.Response:
        if request.method != "POST":
            return _appsync_error(405, "MethodNotAllowed", "Only POST is supported.")
        token = request.headers.get("Authorization", "")
        if not token or token.lower().startswith("bearer "):
            # AppSync + Cognito user pools wants the raw JWT; "Bearer x" is not a token.
            return _appsync_error(
                401, "UnauthorizedException", "Valid authorization header not provided."
            )
        claims, problem = self._verify(token)
        if claims is None:
            return _appsync_error(401, "UnauthorizedException", problem)
        try:
            body = json.loads(request.content)
            query = body["query"]
            variables = body.get("variables") or {}
            if not isinstance(query, str) or not isinstance(variables, dict):
                raise TypeError("query must be a string and variables an object")
        except (ValueError, KeyError, TypeError) as exc:
            return _appsync_error(400, "MalformedHttpRequestException", str(exc))
        try:
            document = graphql.parse(query)
        except graphql.GraphQLError as exc:
            return self._validation_failure(
                [f"Validation error of type InvalidSyntax: {exc.message}"]
            )
        errors = graphql.validate(schema, document)
        if errors:
            return self._validation_failure([self._appsync_message(e.message) for e in errors])
        fields = tuple(
            selection.name.value
            for definition in document.definitions
            if isinstance(definition, graphql.OperationDefinitionNode)
            for selection in definition.selection_set.selections
            if isinstance(selection, graphql.FieldNode)
        )
        self.graphql_calls.append((fields, dict(variables)))
        result = graphql.execute_sync(
            schema,
            document,
            root_value=Root(self, base, claims),
            variable_values=variables,
            operation_name=body.get("operationName"),
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [self._format_error(e) for e in result.errors]
        return json_response(200, payload, headers={"x-amzn-RequestId": str(uuid.uuid4())})

    @staticmethod
    def _appsync_message(message: str) -> str:
        if message.startswith("Cannot query field"):
            kind = "FieldUndefined"
        elif message.startswith("Unknown type"):
            kind = "UnknownType"
        elif message.startswith("Unknown argument"):
            kind = "UnknownArgument"
        else:
            kind = "WrongType"
        return f"Validation error of type {kind}: {message}"

    @staticmethod
    def _validation_failure(messages: list[str]) -> httpx.Response:
        return json_response(
            400,
            {
                "data": None,
                "errors": [{"message": m, "errorType": "ValidationError"} for m in messages],
            },
            headers={"x-amzn-RequestId": str(uuid.uuid4())},
        )

    @staticmethod
    def _format_error(error: graphql.GraphQLError) -> dict[str, Any]:
        original = error.original_error
        error_type = original.error_type if isinstance(original, ApiError) else "Unknown"
        return {
            "path": list(error.path or []),
            "data": None,
            "errorType": error_type,
            "errorInfo": None,
            "locations": [
                {"line": loc.line, "column": loc.column} for loc in error.locations or []
            ],
            "message": error.message,
        }
