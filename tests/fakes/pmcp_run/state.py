"""The fake's state: machine clients and tokens, upload slots, deployments, destroy
operations, OAuth settings, the servers' secrets, and the log of GraphQL calls tests look
at."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..server import FakeBase

#: The machine client the fake accepts by default (client-credentials grant).
DEFAULT_CLIENT_ID = "pmcp-fake-ci-client"
DEFAULT_CLIENT_SECRET = "pmcp-fake-ci-secret-5f2b8c1e9d"
#: The public (PKCE) client discovery names; refresh_token grants use it.
PUBLIC_CLIENT_ID = "pmcp-fake-cli-public"


def iso_time(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).isoformat().replace("+00:00", "Z")


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
    #: The environment variable names the deployed server sees: its template's Lambda
    #: variables and the server's secrets when the deployment was created (pmcp.run injects
    #: secrets server-side; the values stay in the secret store).
    environment: frozenset[str] = frozenset()


@dataclass
class StoredSecret:
    """One secret pmcp.run keeps for a server (``{serverId}/{name}`` in its store)."""

    value: str
    description: str | None
    updated_at: float
    #: How many times it was written (1 on creation).
    writes: int = 1


@dataclass
class Operation:
    id: str
    outcome: str
    steps: list[str] = field(default_factory=list)
    status: str = "initiated"
    message: str = ""
    updated_at: float = 0.0


class PmcpRunState(FakeBase):
    """What pmcp.run keeps, shared by every API the fake serves (one lock guards it)."""

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
        self._signing_key = secrets.token_bytes(32)
        self.reset_state()

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
            #: The servers' secrets: (serverId, audience) -> name -> secret.
            self.server_secrets: dict[tuple[str, str], dict[str, StoredSecret]] = {}
            #: setServerSecret answers ``success: false`` with this error for these names.
            self.secret_failures: dict[str, str] = {}
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
            #: Where each API lives, as the real service spreads them over hosts ("cognito",
            #: "graphql", "uploads" -> an https origin); by default the request's own origin.
            #: The routes are by path, so one in-process fake answers on every host.
            self.origins: dict[str, str] = {}
            #: True: a successful deployment's URL is its project's,
            #: ``<base>/servers/<projectName>/mcp`` — the same for every deployment of the
            #: project, as pmcp.run's own host per server (``https://<server>.<region>.
            #: true-mcp.com/mcp``); False: ``<base>/<deploymentId>/mcp``.
            self.project_urls = False
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
                "secrets": {
                    f"{server}/{name}" + ("" if audience == "mcp" else f"@{audience}"): {
                        "writes": secret.writes,
                        "description": secret.description,
                    }
                    for (server, audience), stored in self.server_secrets.items()
                    for name, secret in stored.items()
                },
                "tokens_issued": len(self.issued),
            }

    def live_deployment(self, project_name: str) -> Deployment | None:
        with self._lock:
            for deployment in self.deployments.values():
                if deployment.project_name == project_name and deployment.live:
                    return deployment
        return None

    def secrets_of(self, server_id: str, audience: str = "mcp") -> dict[str, str]:
        """The secrets pmcp.run keeps for ``server_id``: name -> value (for assertions)."""
        with self._lock:
            stored = self.server_secrets.get((server_id, audience), {})
            return {name: secret.value for name, secret in stored.items()}

    def graphql_operations(self) -> list[str]:
        """Root field names of every executed GraphQL operation, in order."""
        with self._lock:
            return [name for names, _ in self.graphql_calls for name in names]
