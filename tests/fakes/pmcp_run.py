"""A stateful fake of the whole pmcp.run contract cargo-pmcp relies on.

URL layout (``<base>`` is the scheme and host of each incoming request, so the
same instance works in process under ``httpx.MockTransport`` and behind
:func:`tests.fakes.server.serve`):

- ``GET  <base>/.well-known/pmcp-config`` — discovery (snake_case JSON);
- ``POST <base>/oauth2/token`` — a Cognito-like token endpoint:
  ``client_credentials`` with HTTP Basic auth, ``refresh_token`` with the
  public ``client_id``; JWT-shaped access tokens carrying ``exp``;
- ``POST <base>/graphql`` — an AppSync-like API: every query is parsed and
  validated against :data:`SCHEMA_SDL` (graphql-core) and executed over the
  fake's state; the token must be raw (``Bearer …`` is refused as AppSync does);
- ``POST <base>/stale/graphql`` — a partial "source API" that knows only
  ``getDeployment`` (for the re-discovery path);
- ``PUT  <base>/uploads/<key>?X-Amz-…`` — presigned S3 uploads (method,
  signature, expiry, Content-Length against the announced size, Content-Type);
- ``<base>/<deploymentId>/mcp`` and ``/health`` — a minimal MCP streamable-HTTP
  server for every successful deployment.

Fault injection: ``fake.faults`` (HTTP level, from :class:`FakeBase`), plus
``fake.deployment_outcomes`` (``"success"``, ``"failed"``, ``"never"`` or
``"status:<name>"`` for each next deployment), ``fake.destroy_outcomes``
(``"async"``, ``"sync"``, ``"failed"``), ``fake.graphql_paths`` (what discovery
advertises, one per discovery call) and :meth:`FakePmcpRun.break_server`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote

import graphql
import httpx

from .artifacts import write_stand_in_bootstrap
from .emulators import Emulator, single_fake
from .server import FakeBase, json_response

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "EMULATOR",
    "MCP_PROTOCOL_VERSIONS",
    "PUBLIC_CLIENT_ID",
    "SCHEMA_SDL",
    "STALE_SCHEMA_SDL",
    "Deployment",
    "FakePmcpRun",
    "Operation",
    "Upload",
    "create_fake",
]

#: The machine client the fake accepts by default (client-credentials grant).
DEFAULT_CLIENT_ID = "pmcp-fake-ci-client"
DEFAULT_CLIENT_SECRET = "pmcp-fake-ci-secret-5f2b8c1e9d"
#: The public (PKCE) client discovery names; refresh_token grants use it.
PUBLIC_CLIENT_ID = "pmcp-fake-cli-public"

MCP_PROTOCOL_VERSIONS = ("2025-06-18", "2025-03-26", "2024-11-05")
_LATEST_PROTOCOL = MCP_PROTOCOL_VERSIONS[0]

#: Written from cargo-pmcp's operations (reference §3.1.7–§3.1.10). Statuses are
#: plain strings, not enums, as on the real API.
SCHEMA_SDL = """
schema {
  query: Query
  mutation: Mutation
}

type Query {
  getDeployment(id: ID!): Deployment
  listDeployments(limit: Int, nextToken: String): DeploymentConnection!
  getDeploymentOperationStatus(id: ID!): DeploymentOperationStatus
  fetchServerOAuthEndpoints(serverId: String!): ServerOAuthEndpoints
}

type Mutation {
  getUploadUrls(projectName: String!, templateSize: Int!, bootstrapSize: Int!): UploadUrls
  createDeploymentFromS3(
    templateS3Key: String!
    bootstrapS3Key: String!
    projectName: String!
    runtime: String
    memorySize: Int
    timeout: Int
    serverVersion: String
    tier: String
    allowComposition: Boolean
    internalOnly: Boolean
    compositionDescription: String
  ): CreateDeploymentResult
  destroyDeployment(id: ID!): DestroyDeploymentResult
  configureServerOAuth(
    serverId: String!
    enabled: Boolean!
    scopes: [String]
    dcrEnabled: Boolean
    publicClientPatterns: [String]
    sharedPoolName: String
  ): ServerOAuthConfig
  disableServerOAuth(serverId: String!): DisableServerOAuthResult
}

type UploadUrls {
  templateUploadUrl: String!
  templateS3Key: String!
  bootstrapUploadUrl: String!
  bootstrapS3Key: String!
  expiresIn: Int!
}

type CreateDeploymentResult {
  deploymentId: String!
  status: String!
  projectName: String!
  createdAt: String!
}

type Deployment {
  id: ID!
  projectName: String!
  status: String!
  url: String
  errorMessage: String
  serverVersion: String
  createdAt: String!
  completedAt: String
}

type DeploymentConnection {
  items: [Deployment!]!
  nextToken: String
}

type DestroyDeploymentResult {
  id: ID!
  stackName: String
  status: String!
  message: String
  executionArn: String
}

type DeploymentOperationStatus {
  id: ID!
  status: String!
  message: String
  executionArn: String
  updatedAt: String
}

type ServerOAuthConfig {
  serverId: String!
  oauthEnabled: Boolean!
  userPoolId: String
  userPoolRegion: String
  discoveryUrl: String
  registrationEndpoint: String
  authorizationEndpoint: String
  tokenEndpoint: String
}

type ServerOAuthEndpoints {
  serverId: String!
  oauthEnabled: Boolean!
  provider: String
  userPoolId: String
  userPoolRegion: String
  scopes: [String]
  dcrEnabled: Boolean
  discoveryUrl: String
  registrationEndpoint: String
  authorizationEndpoint: String
  tokenEndpoint: String
}

type DisableServerOAuthResult {
  serverId: String!
  oauthEnabled: Boolean!
}
"""

#: A single "source API" of a federated deployment: it lacks the deploy operations.
STALE_SCHEMA_SDL = """
type Query {
  getDeployment(id: ID!): Deployment
}

type Mutation {
  getLandingStatus(landingId: String!): LandingStatus
}

type LandingStatus {
  id: ID!
  status: String!
  buildNumber: Int
  ready: Boolean
}

type Deployment {
  id: ID!
  projectName: String!
  status: String!
  url: String
  errorMessage: String
  createdAt: String!
  completedAt: String
}
"""

_STAGES = ("pending", "validating", "deploying")
_UPLOAD_EXPIRES = 900
_STATES_ARN = "arn:aws:states:us-east-1:000000000000:execution:destroy"
_TEMPLATE_TYPES = ("application/json",)
_BOOTSTRAP_TYPES = ("application/octet-stream", "application/zip")
_TOOLS = (
    {
        "name": "echo",
        "description": "Echo the given text back.",
        "inputSchema": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
        },
    },
    {
        "name": "add",
        "description": "Add two numbers.",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).isoformat().replace("+00:00", "Z")


def _s3_error(status: int, code: str, message: str) -> httpx.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return httpx.Response(status, headers={"Content-Type": "application/xml"}, text=body)


def _appsync_error(status: int, error_type: str, message: str) -> httpx.Response:
    return json_response(
        status,
        {"errors": [{"errorType": error_type, "message": message}]},
        headers={"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-ErrorType": error_type},
    )


class _ApiError(Exception):
    """A resolver failure, reported in ``errors[]`` with an AppSync ``errorType``."""

    def __init__(self, message: str, error_type: str = "BadRequestException") -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass
class Upload:
    """One presigned upload slot and what arrived in it."""

    key: str
    kind: str  # "template" or "bootstrap"
    project_name: str
    announced_size: int
    issued_at: float
    size: int | None = None
    sha256: str | None = None
    content_type: str | None = None
    data: bytes = b""
    attempts: int = 0

    @property
    def stored(self) -> bool:
        return self.sha256 is not None


@dataclass
class Deployment:
    id: str
    project_name: str
    variables: dict[str, Any]
    base_url: str
    created_at: float
    outcome: str
    status: str = "pending"
    polls: int = 0
    url: str | None = None
    error_message: str | None = None
    completed_at: float | None = None
    live: bool = False


@dataclass
class Operation:
    id: str
    outcome: str
    steps: list[str] = field(default_factory=list)
    status: str = "initiated"
    message: str = ""
    updated_at: float = 0.0


class FakePmcpRun(FakeBase):
    """pmcp.run in one object: discovery, Cognito, AppSync, S3 and the deployed servers."""

    name = "pmcp-run"

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        token_ttl: int = 3600,
        polls_per_stage: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.initial_clients = {client_id: client_secret}
        self.token_ttl = token_ttl
        self.polls_per_stage = polls_per_stage
        self.clock = clock
        self.schema = graphql.build_schema(SCHEMA_SDL)
        self.stale_schema = graphql.build_schema(STALE_SCHEMA_SDL)
        self._signing_key = secrets.token_bytes(32)
        self.reset_state()

    # --- state ---------------------------------------------------------------------------
    def reset_state(self) -> None:
        with self._lock:
            #: Machine clients: id -> secret.
            self.clients: dict[str, str] = dict(self.initial_clients)
            #: Refresh tokens issued to "users": token -> username.
            self.refresh_tokens: dict[str, str] = {}
            #: Access tokens issued (jti -> claims), for assertions.
            self.issued: dict[str, dict[str, Any]] = {}
            #: Token requests as received (form fields; secrets stay in the request log).
            self.token_requests: list[dict[str, str]] = []
            self.uploads: dict[str, Upload] = {}
            self.deployments: dict[str, Deployment] = {}
            self.operations: dict[str, Operation] = {}
            self.oauth: dict[str, dict[str, Any]] = {}
            #: Every GraphQL operation executed: (field names, variables).
            self.graphql_calls: list[tuple[tuple[str, ...], dict[str, Any]]] = []
            #: Outcome of each next deployment ("success", "failed", "never", "status:<s>").
            self.deployment_outcomes: list[str] = []
            self.failure_message = "CloudFormation stack creation failed: McpFunction: " + (
                "Resource handler returned message: 'Uploaded file must be a non-empty zip'"
            )
            #: Outcome of each next destroy ("async", "sync", "failed").
            self.destroy_outcomes: list[str] = []
            #: What discovery advertises as graphql_url, one entry per call (the last sticks).
            self.graphql_paths: list[str] = ["/graphql"]
            #: Override discovery's api_type (e.g. "rest" to test refusal).
            self.api_type = "graphql"
            #: MCP behaviour per deployment id ("" = default for all).
            self.mcp_modes: dict[str, str] = {}
            self.mcp_sessions: dict[str, str] = {}

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "deployments": {
                    d.id: {
                        "projectName": d.project_name,
                        "status": d.status,
                        "url": d.url,
                        "live": d.live,
                        "variables": d.variables,
                    }
                    for d in self.deployments.values()
                },
                "uploads": {
                    u.key: {
                        "kind": u.kind,
                        "announced_size": u.announced_size,
                        "size": u.size,
                        "sha256": u.sha256,
                        "content_type": u.content_type,
                    }
                    for u in self.uploads.values()
                },
                "operations": {o.id: o.status for o in self.operations.values()},
                "oauth": self.oauth,
                "tokens_issued": len(self.issued),
            }

    # --- helpers for tests ----------------------------------------------------------------
    def issue_user_tokens(
        self, *, username: str = "dev@example.com", expires_in: int = 3600
    ) -> dict[str, str]:
        """Tokens as ``cargo pmcp deploy login`` would store them (expires_in may be < 0)."""
        with self._lock:
            now = self.clock()
            refresh = "rt-" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = username
            access = self._mint(sub=username, client_id=PUBLIC_CLIENT_ID, now=now, ttl=expires_in)
            id_token = self._mint(
                sub=username, client_id=PUBLIC_CLIENT_ID, now=now, ttl=expires_in, use="id"
            )
            return {
                "access_token": access,
                "refresh_token": refresh,
                "id_token": id_token,
                "expires_at": _iso(now + expires_in),
            }

    def credentials_toml(self, **kwargs: Any) -> str:
        """A whole ``~/.pmcp/credentials.toml`` content for :meth:`issue_user_tokens`."""
        tokens = self.issue_user_tokens(**kwargs)
        lines = ["[pmcp-run]"] + [f'{key} = "{value}"' for key, value in tokens.items()]
        return "\n".join(lines) + "\n"

    def mint_access_token(self, *, ttl: int = 3600, client_id: str = DEFAULT_CLIENT_ID) -> str:
        with self._lock:
            return self._mint(sub=client_id, client_id=client_id, now=self.clock(), ttl=ttl)

    def break_server(self, mode: str = "http_500", deployment_id: str = "") -> None:
        """Make deployed servers misbehave: ``ok``, ``http_500``, ``garbage``, ``no_tools``."""
        if mode not in ("ok", "http_500", "garbage", "no_tools"):
            raise ValueError(f"unknown MCP mode {mode!r}")
        with self._lock:
            self.mcp_modes[deployment_id] = mode

    def live_deployment(self, project_name: str) -> Deployment | None:
        with self._lock:
            for deployment in self.deployments.values():
                if deployment.project_name == project_name and deployment.live:
                    return deployment
        return None

    def graphql_operations(self) -> list[str]:
        """Root field names of every executed GraphQL operation, in order."""
        with self._lock:
            return [name for names, _ in self.graphql_calls for name in names]

    # --- dispatch ---------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        base = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        with self._lock:
            if path == "/.well-known/pmcp-config":
                return self._discovery(request, base)
            if path == "/oauth2/token":
                return self._token(request)
            if path == "/graphql":
                return self._graphql(request, base, self.schema)
            if path == "/stale/graphql":
                return self._graphql(request, base, self.stale_schema)
            if path.startswith("/uploads/"):
                return self._upload(request, path[len("/uploads/") :])
            parts = path.strip("/").split("/")
            if len(parts) == 2 and parts[1] in ("mcp", "health"):
                deployment = self.deployments.get(parts[0])
                if deployment is not None and deployment.live:
                    if parts[1] == "health":
                        return self._health(deployment)
                    return self._mcp(request, deployment)
            return json_response(404, {"message": f"no route for {request.method} {path}"})

    # --- discovery ---------------------------------------------------------------------------
    def _discovery(self, request: httpx.Request, base: str) -> httpx.Response:
        if request.method != "GET":
            return json_response(405, {"message": "Method Not Allowed"})
        graphql_path = (
            self.graphql_paths.pop(0) if len(self.graphql_paths) > 1 else self.graphql_paths[0]
        )
        host = request.url.netloc.decode("ascii")
        # Like the real service: a bare host for https; loopback emulators need the scheme.
        domain = host if request.url.scheme == "https" else base
        return json_response(
            200,
            {
                "cognito_client_id": PUBLIC_CLIENT_ID,
                "cognito_domain": domain,
                "graphql_url": f"{base}{graphql_path}",
                "mcp_url": base,
                "api_type": self.api_type,
                "version": "1.0",
            },
        )

    # --- Cognito ------------------------------------------------------------------------------
    def _mint(self, *, sub: str, client_id: str, now: float, ttl: int, use: str = "access") -> str:
        jti = uuid.uuid4().hex
        claims = {
            "sub": sub,
            "client_id": client_id,
            "token_use": use,
            "scope": "pmcp/deploy",
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_FAKEPOOL",
            "iat": int(now),
            "exp": int(now + ttl),
            "jti": jti,
        }
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "fake"}).encode())
        payload = _b64url(json.dumps(claims).encode())
        signature = hmac.new(self._signing_key, f"{header}.{payload}".encode(), "sha256").digest()
        self.issued[jti] = claims
        return f"{header}.{payload}.{_b64url(signature)}"

    def _verify(self, token: str) -> tuple[dict[str, Any] | None, str]:
        """Claims of a token this fake issued, or None and AppSync's message."""
        parts = token.split(".")
        if len(parts) != 3:
            return None, "Unable to parse JWT token."
        expected = hmac.new(self._signing_key, f"{parts[0]}.{parts[1]}".encode(), "sha256").digest()
        try:
            valid = hmac.compare_digest(_b64url_decode(parts[2]), expected)
            claims = json.loads(_b64url_decode(parts[1]))
        except (ValueError, binascii.Error):
            return None, "Unable to parse JWT token."
        if not valid or claims.get("jti") not in self.issued:
            return None, "Valid authorization header not provided."
        if claims.get("token_use") != "access":
            return None, "Valid authorization header not provided."
        if claims["exp"] <= self.clock():
            return None, "Token has expired."
        return claims, ""

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return json_response(405, {"error": "invalid_request"})
        content_type = request.headers.get("Content-Type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return json_response(400, {"error": "invalid_request"})
        form = {
            k: v[0] for k, v in parse_qs(request.content.decode(), keep_blank_values=True).items()
        }
        self.token_requests.append({k: v for k, v in form.items() if "token" not in k})
        grant = form.get("grant_type", "")
        now = self.clock()
        if grant == "client_credentials":
            client_id, secret = self._basic_auth(request)
            if client_id is None or self.clients.get(client_id) != secret:
                return json_response(400, {"error": "invalid_client"})
            if "scope" in form and form["scope"] != "pmcp/deploy":
                return json_response(400, {"error": "invalid_scope"})
            token = self._mint(sub=client_id, client_id=client_id, now=now, ttl=self.token_ttl)
            return json_response(
                200, {"access_token": token, "expires_in": self.token_ttl, "token_type": "Bearer"}
            )
        if grant == "refresh_token":
            if form.get("client_id") != PUBLIC_CLIENT_ID:
                return json_response(400, {"error": "invalid_client"})
            username = self.refresh_tokens.get(form.get("refresh_token", ""))
            if username is None:
                return json_response(400, {"error": "invalid_grant"})
            access = self._mint(
                sub=username, client_id=PUBLIC_CLIENT_ID, now=now, ttl=self.token_ttl
            )
            id_token = self._mint(
                sub=username, client_id=PUBLIC_CLIENT_ID, now=now, ttl=self.token_ttl, use="id"
            )
            return json_response(
                200,
                {
                    "access_token": access,
                    "id_token": id_token,
                    "expires_in": self.token_ttl,
                    "token_type": "Bearer",
                },
            )
        return json_response(400, {"error": "unsupported_grant_type"})

    @staticmethod
    def _basic_auth(request: httpx.Request) -> tuple[str | None, str]:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None, ""
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (ValueError, binascii.Error):
            return None, ""
        client_id, sep, secret = decoded.partition(":")
        return (client_id, secret) if sep else (None, "")

    # --- AppSync ------------------------------------------------------------------------------
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
            root_value=_Root(self, base, claims),
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
        error_type = original.error_type if isinstance(original, _ApiError) else "Unknown"
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

    # --- resolvers (called by _Root) ---------------------------------------------------------
    def presign(self, base: str, key: str) -> str:
        issued = int(self.clock())
        signature = hmac.new(self._signing_key, f"{key}|{issued}".encode(), "sha256").hexdigest()
        query = (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=ASIAFAKEKEY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
            f"&X-Amz-Date={issued}&X-Amz-Expires={_UPLOAD_EXPIRES}"
            f"&X-Amz-SignedHeaders=content-length%3Bhost&X-Amz-Signature={signature}"
        )
        return f"{base}/uploads/{quote(key)}?{query}"

    def get_upload_urls(
        self, base: str, project_name: str, template_size: int, bootstrap_size: int
    ) -> dict[str, Any]:
        if template_size <= 0 or bootstrap_size <= 0:
            raise _ApiError("templateSize and bootstrapSize must be positive")
        prefix = f"deployments/{project_name}/{uuid.uuid4().hex[:12]}"
        now = self.clock()
        keys = {"template": f"{prefix}/template.json", "bootstrap": f"{prefix}/bootstrap"}
        for kind, key in keys.items():
            size = template_size if kind == "template" else bootstrap_size
            self.uploads[key] = Upload(key, kind, project_name, size, now)
        return {
            "templateUploadUrl": self.presign(base, keys["template"]),
            "templateS3Key": keys["template"],
            "bootstrapUploadUrl": self.presign(base, keys["bootstrap"]),
            "bootstrapS3Key": keys["bootstrap"],
            "expiresIn": _UPLOAD_EXPIRES,
        }

    def create_deployment(self, base: str, variables: dict[str, Any]) -> dict[str, Any]:
        project = variables["projectName"]
        for kind, key in (
            ("template", variables["templateS3Key"]),
            ("bootstrap", variables["bootstrapS3Key"]),
        ):
            upload = self.uploads.get(key)
            if upload is None or upload.kind != kind or not upload.stored:
                raise _ApiError(f"The {kind} was not uploaded: s3://pmcp-run-uploads/{key}")
            if upload.project_name != project:
                raise _ApiError(f"{key} was issued for another project")
        runtime = variables.get("runtime")
        if runtime is not None and runtime != "provided.al2023":
            raise _ApiError(f"Unsupported runtime: {runtime}")
        memory, timeout = variables.get("memorySize"), variables.get("timeout")
        if memory is not None and not 128 <= memory <= 10240:
            raise _ApiError(f"memorySize must be 128-10240, got {memory}")
        if timeout is not None and not 1 <= timeout <= 900:
            raise _ApiError(f"timeout must be 1-900, got {timeout}")
        if variables.get("tier") not in (None, "foundation", "domain"):
            raise _ApiError(f"Unknown tier: {variables.get('tier')}")
        outcome = self.deployment_outcomes.pop(0) if self.deployment_outcomes else "success"
        deployment = Deployment(
            id="dep_" + uuid.uuid4().hex[:20],
            project_name=project,
            variables=dict(variables),
            base_url=base,
            created_at=self.clock(),
            outcome=outcome,
        )
        self.deployments[deployment.id] = deployment
        return {
            "deploymentId": deployment.id,
            "status": deployment.status,
            "projectName": project,
            "createdAt": _iso(deployment.created_at),
        }

    def _template_problem(self, deployment: Deployment) -> str:
        upload = self.uploads[deployment.variables["templateS3Key"]]
        try:
            template = json.loads(upload.data)
        except ValueError:
            return "Template format error: not valid JSON"
        resources = template.get("Resources") if isinstance(template, dict) else None
        if not isinstance(resources, dict) or not any(
            isinstance(r, dict) and r.get("Type") == "AWS::Lambda::Function"
            for r in resources.values()
        ):
            return "Template has no AWS::Lambda::Function resource"
        return ""

    def advance(self, deployment: Deployment) -> None:
        """One poll's worth of progress: pending → validating → deploying → outcome."""
        if deployment.status not in _STAGES:
            return
        deployment.polls += 1
        if deployment.polls % self.polls_per_stage:
            return
        index = _STAGES.index(deployment.status)
        if deployment.status == "validating":
            problem = self._template_problem(deployment)
            if problem:
                self._finish(deployment, "failed", problem)
                return
        if index + 1 < len(_STAGES):
            deployment.status = _STAGES[index + 1]
            return
        outcome = deployment.outcome
        if outcome == "never":
            return
        if outcome == "failed":
            self._finish(deployment, "failed", self.failure_message)
        elif outcome.startswith("status:"):
            deployment.status = outcome.split(":", 1)[1]
        else:
            self._finish(deployment, "success", "")

    def _finish(self, deployment: Deployment, status: str, message: str) -> None:
        deployment.status = status
        deployment.completed_at = self.clock()
        if status == "failed":
            deployment.error_message = message
            return
        deployment.url = f"{deployment.base_url}/{deployment.id}/mcp"
        # A successful deployment replaces the project's previous one.
        for other in list(self.deployments.values()):
            if other.project_name == deployment.project_name and other.id != deployment.id:
                if other.status == "success":
                    del self.deployments[other.id]
        deployment.live = True

    @staticmethod
    def deployment_view(deployment: Deployment) -> dict[str, Any]:
        return {
            "id": deployment.id,
            "projectName": deployment.project_name,
            "status": deployment.status,
            "url": deployment.url,
            "errorMessage": deployment.error_message,
            "serverVersion": deployment.variables.get("serverVersion"),
            "createdAt": _iso(deployment.created_at),
            "completedAt": _iso(deployment.completed_at) if deployment.completed_at else None,
        }

    def destroy(self, deployment_id: str) -> dict[str, Any]:
        deployment = self.deployments.get(deployment_id)
        if deployment is None:
            raise _ApiError(f"Deployment not found: {deployment_id}", "NotFoundException")
        outcome = self.destroy_outcomes.pop(0) if self.destroy_outcomes else "async"
        result = {
            "id": deployment_id,
            "stackName": f"{deployment.project_name}-stack",
            "executionArn": f"{_STATES_ARN}:{deployment_id}",
        }
        if outcome == "sync":
            self._remove(deployment_id)
            return {**result, "status": "deleted", "message": "Deployment destroyed"}
        if outcome == "failed-now":
            return {
                **result,
                "status": "delete_failed",
                "message": "Stack is in UPDATE_IN_PROGRESS",
            }
        steps = ["deleting", "deleted"] if outcome == "async" else ["deleting", "delete_failed"]
        self.operations[deployment_id] = Operation(
            deployment_id, outcome, steps=steps, updated_at=self.clock()
        )
        deployment.live = False
        deployment.status = "deleting"
        return {**result, "status": "initiated", "message": "Destroy initiated"}

    def operation_status(self, operation_id: str) -> dict[str, Any] | None:
        operation = self.operations.get(operation_id)
        if operation is None:
            return None
        view = {
            "id": operation.id,
            "status": operation.status,
            "message": operation.message or None,
            "executionArn": None,
            "updatedAt": _iso(operation.updated_at),
        }
        if operation.steps:
            operation.status = operation.steps.pop(0)
            operation.updated_at = self.clock()
            if operation.status == "deleted":
                self._remove(operation_id)
            elif operation.status == "delete_failed":
                operation.message = "DELETE_FAILED: LogGroup could not be deleted"
        return view

    def _remove(self, deployment_id: str) -> None:
        deployment = self.deployments.pop(deployment_id, None)
        if deployment is not None:
            self.oauth.pop(deployment.project_name, None)
            self.oauth.pop(deployment_id, None)

    def oauth_view(self, base: str, server_id: str, args: dict[str, Any]) -> dict[str, Any]:
        state = {
            "serverId": server_id,
            "oauthEnabled": True,
            "provider": "cognito",
            "userPoolId": "us-east-1_FAKEPOOL",
            "userPoolRegion": "us-east-1",
            "scopes": args.get("scopes") or ["openid", "email", "mcp/read"],
            "dcrEnabled": args.get("dcrEnabled", True),
            "publicClientPatterns": args.get("publicClientPatterns"),
            "discoveryUrl": f"{base}/{server_id}/.well-known/oauth-authorization-server",
            "registrationEndpoint": f"{base}/{server_id}/oauth2/register",
            "authorizationEndpoint": f"{base}/oauth2/authorize",
            "tokenEndpoint": f"{base}/oauth2/token",
        }
        self.oauth[server_id] = state
        return state

    # --- S3 -----------------------------------------------------------------------------------
    def _upload(self, request: httpx.Request, raw_key: str) -> httpx.Response:
        key = httpx.URL("/" + raw_key).path.lstrip("/")
        upload = self.uploads.get(key)
        params = request.url.params
        if request.method != "PUT":
            return _s3_error(405, "MethodNotAllowed", "Only PUT is allowed on this presigned URL.")
        if upload is None:
            return _s3_error(403, "AccessDenied", "Access Denied")
        upload.attempts += 1
        issued = params.get("X-Amz-Date", "")
        expected = hmac.new(self._signing_key, f"{key}|{issued}".encode(), "sha256").hexdigest()
        if not hmac.compare_digest(params.get("X-Amz-Signature", ""), expected):
            return _s3_error(403, "SignatureDoesNotMatch", "The signature does not match.")
        if self.clock() > int(issued) + _UPLOAD_EXPIRES:
            return _s3_error(403, "AccessDenied", "Request has expired")
        if "Authorization" in request.headers:
            return _s3_error(
                400, "InvalidArgument", "Only one auth mechanism allowed; presigned URL given."
            )
        if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            return _s3_error(501, "NotImplemented", "Transfer-Encoding: chunked is not supported.")
        length = request.headers.get("Content-Length")
        if length is None:
            return _s3_error(411, "MissingContentLength", "You must provide Content-Length.")
        if int(length) != upload.announced_size:
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                f"Content-Length {length} differs from the signed size {upload.announced_size}.",
            )
        body = request.content
        if len(body) != int(length):
            return _s3_error(400, "IncompleteBody", "The body is shorter than Content-Length.")
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        allowed = _TEMPLATE_TYPES if upload.kind == "template" else _BOOTSTRAP_TYPES
        if content_type not in allowed:
            return _s3_error(
                403, "SignatureDoesNotMatch", f"Content-Type {content_type!r} is not allowed."
            )
        upload.size = len(body)
        upload.sha256 = hashlib.sha256(body).hexdigest()
        upload.content_type = content_type
        upload.data = body
        return httpx.Response(200, headers={"ETag": f'"{hashlib.md5(body).hexdigest()}"'})

    # --- the deployed MCP servers ------------------------------------------------------------
    def _mode(self, deployment: Deployment) -> str:
        return self.mcp_modes.get(deployment.id) or self.mcp_modes.get("") or "ok"

    def _health(self, deployment: Deployment) -> httpx.Response:
        if self._mode(deployment) in ("http_500", "garbage"):
            return httpx.Response(500, text="Internal Server Error")
        return json_response(200, {"status": "healthy", "deploymentId": deployment.id})

    def _mcp(self, request: httpx.Request, deployment: Deployment) -> httpx.Response:
        mode = self._mode(deployment)
        if mode == "http_500":
            return httpx.Response(500, text="Internal Server Error")
        if mode == "garbage":
            return httpx.Response(
                200, headers={"Content-Type": "text/html"}, text="<html>Bad Gateway</html>"
            )
        if request.method != "POST":
            return httpx.Response(405, headers={"Allow": "POST"})
        accept = request.headers.get("Accept", "")
        if "application/json" not in accept or "text/event-stream" not in accept:
            return self._rpc_error(
                406,
                None,
                -32600,
                "Not Acceptable: Accept must list application/json and text/event-stream",
            )
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return self._rpc_error(415, None, -32600, "Content-Type must be application/json")
        try:
            message = json.loads(request.content)
        except ValueError:
            return self._rpc_error(400, None, -32700, "Parse error")
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return self._rpc_error(400, None, -32600, "Invalid Request")
        method = message.get("method")
        request_id = message.get("id")
        params = message.get("params") or {}
        if method == "initialize":
            return self._initialize(deployment, request_id, params)
        session = request.headers.get("Mcp-Session-Id")
        if not session:
            return self._rpc_error(400, request_id, -32600, "Bad Request: Mcp-Session-Id missing")
        if self.mcp_sessions.get(session) != deployment.id:
            return self._rpc_error(404, request_id, -32001, "Session not found")
        version = request.headers.get("MCP-Protocol-Version")
        if version is not None and version not in MCP_PROTOCOL_VERSIONS:
            return self._rpc_error(400, request_id, -32600, f"Unsupported protocol {version}")
        if request_id is None:  # a notification, e.g. notifications/initialized
            return httpx.Response(202)
        if method == "ping":
            return self._rpc_result(request_id, {})
        if method == "tools/list":
            tools = [] if mode == "no_tools" else [dict(t) for t in _TOOLS]
            return self._rpc_result(request_id, {"tools": tools})
        if method == "tools/call":
            return self._call_tool(request_id, params)
        return self._rpc_error(200, request_id, -32601, f"Method not found: {method}")

    def _initialize(
        self, deployment: Deployment, request_id: Any, params: dict[str, Any]
    ) -> httpx.Response:
        requested = params.get("protocolVersion")
        version = requested if requested in MCP_PROTOCOL_VERSIONS else _LATEST_PROTOCOL
        session = uuid.uuid4().hex
        self.mcp_sessions[session] = deployment.id
        result = {
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {
                "name": deployment.project_name,
                "version": deployment.variables.get("serverVersion") or "0.0.0",
            },
        }
        return json_response(
            200,
            {"jsonrpc": "2.0", "id": request_id, "result": result},
            headers={"Mcp-Session-Id": session},
        )

    def _call_tool(self, request_id: Any, params: dict[str, Any]) -> httpx.Response:
        name = params.get("name")
        arguments = params.get("arguments") or {}
        if name == "echo":
            text = str(arguments.get("text", ""))
        elif name == "add":
            text = str(arguments.get("a", 0) + arguments.get("b", 0))
        else:
            return self._rpc_error(200, request_id, -32602, f"Unknown tool: {name}")
        return self._rpc_result(
            request_id, {"content": [{"type": "text", "text": text}], "isError": False}
        )

    @staticmethod
    def _rpc_result(request_id: Any, result: dict[str, Any]) -> httpx.Response:
        return json_response(200, {"jsonrpc": "2.0", "id": request_id, "result": result})

    @staticmethod
    def _rpc_error(status: int, request_id: Any, code: int, message: str) -> httpx.Response:
        return json_response(
            status,
            {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}},
        )


class _Root:
    """GraphQL root value: graphql-core calls ``root.<field>(info, **args)``."""

    def __init__(self, fake: FakePmcpRun, base: str, claims: dict[str, Any]) -> None:
        self.fake = fake
        self.base = base
        self.claims = claims

    # Mutation
    def getUploadUrls(
        self, info: Any, projectName: str, templateSize: int, bootstrapSize: int
    ) -> dict[str, Any]:
        return self.fake.get_upload_urls(self.base, projectName, templateSize, bootstrapSize)

    def createDeploymentFromS3(self, info: Any, **variables: Any) -> dict[str, Any]:
        return self.fake.create_deployment(self.base, variables)

    def destroyDeployment(self, info: Any, id: str) -> dict[str, Any]:
        return self.fake.destroy(id)

    def configureServerOAuth(self, info: Any, serverId: str, **args: Any) -> dict[str, Any]:
        if not args.get("enabled"):
            raise _ApiError("enabled must be true; use disableServerOAuth")
        return self.fake.oauth_view(self.base, serverId, args)

    def disableServerOAuth(self, info: Any, serverId: str) -> dict[str, Any]:
        self.fake.oauth.pop(serverId, None)
        return {"serverId": serverId, "oauthEnabled": False}

    # Query
    def getDeployment(self, info: Any, id: str) -> dict[str, Any] | None:
        deployment = self.fake.deployments.get(id)
        if deployment is None:
            return None
        view = self.fake.deployment_view(deployment)
        self.fake.advance(deployment)
        return view

    def listDeployments(self, info: Any, **_: Any) -> dict[str, Any]:
        items = sorted(self.fake.deployments.values(), key=lambda d: d.created_at, reverse=True)
        return {"items": [self.fake.deployment_view(d) for d in items], "nextToken": None}

    def getDeploymentOperationStatus(self, info: Any, id: str) -> dict[str, Any] | None:
        return self.fake.operation_status(id)

    def fetchServerOAuthEndpoints(self, info: Any, serverId: str) -> dict[str, Any]:
        state = self.fake.oauth.get(serverId)
        if state is not None:
            return state
        return {"serverId": serverId, "oauthEnabled": False, "provider": None}


def create_fake() -> FakePmcpRun:
    """A fresh fake with the default credentials :data:`DEFAULT_CLIENT_ID`/`SECRET`."""
    return FakePmcpRun()


#: ``serve pmcp-run`` and the demo: the fake with its default client; the deploy reaches it
#: through PMCP_API_URL and the client-credentials pair (the secret as a secret).
EMULATOR = Emulator(
    name="pmcp-run",
    summary="pmcp.run: discovery, token endpoint, GraphQL API, uploads, the deployed MCP server",
    start=single_fake(
        "pmcp-run",
        create_fake,
        env=lambda url: {
            "PMCP_API_URL": url,
            "PMCP_CLIENT_ID": DEFAULT_CLIENT_ID,
            "PMCP_VERIFY_TOOLS": "echo",
        },
        secrets={"PMCP_CLIENT_SECRET": DEFAULT_CLIENT_SECRET},
    ),
    target=True,
    stand_in=write_stand_in_bootstrap,
)
