"""An OAuth authorization server for client credentials, and an MCP server it protects.

:class:`FakeAuthorizationServer` publishes RFC 8414 metadata and issues bearer tokens for
``grant_type=client_credentials`` to the clients it knows (HTTP Basic, or the secret in the
form when ``form_auth``), checking ``resource`` (RFC 8707) when it is given. The tokens it
issued are what :func:`serve_protected_mcp`'s official-SDK ``MCPServer`` accepts: a 401 with
``WWW-Authenticate: Bearer resource_metadata=…`` otherwise, and the SDK's own RFC 9728
metadata at ``/.well-known/oauth-protected-resource/mcp``.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from .mcp_servers import HOST, RunningServer, _only, _Recorder, _run_asgi, unused_port
from .server import FakeBase, json_response, serve

__all__ = ["FakeAuthorizationServer", "ProtectedServer", "serve_protected_mcp"]


class FakeAuthorizationServer(FakeBase):
    name = "oauth"

    def __init__(
        self, *, form_auth: bool = False, grants: tuple[str, ...] = ("client_credentials",)
    ):
        super().__init__()
        self.issuer = ""
        self.clients: dict[str, str] = {}
        self.issued: dict[str, dict[str, str]] = {}
        self.form_auth = form_auth
        self.grants = grants

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/.well-known/oauth-authorization-server":
            methods = ["client_secret_post"] if self.form_auth else ["client_secret_basic"]
            return json_response(
                200,
                {
                    "issuer": self.issuer,
                    "token_endpoint": f"{self.issuer}/token",
                    "grant_types_supported": list(self.grants),
                    "token_endpoint_auth_methods_supported": methods,
                    "response_types_supported": ["code"],
                },
            )
        if request.method == "POST" and path == "/token":
            return self._token(request)
        return json_response(404, {"error": "not_found"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        elif not self.form_auth:
            return json_response(401, {"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        if self.clients.get(client_id) != secret or not client_id:
            return json_response(401, {"error": "invalid_client", "error_description": "unknown"})
        token = "at-" + secrets.token_hex(16)
        self.issued[token] = {"client_id": client_id, **form}
        return json_response(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": 300}
        )


@dataclass
class ProtectedServer:
    mcp: RunningServer
    authorization: FakeAuthorizationServer
    issuer: str
    requests: list[Any] = field(default_factory=list)


class _IssuedTokens:
    """The SDK's token verifier over the tokens the fake issued (for this resource only)."""

    def __init__(self, issuer: FakeAuthorizationServer, resource: str) -> None:
        self.issuer = issuer
        self.resource = resource

    async def verify_token(self, token: str) -> Any:
        from mcp.server.auth.provider import AccessToken

        grant = self.issuer.issued.get(token)
        if grant is None or grant.get("resource") not in (None, self.resource):
            return None
        scopes = grant.get("scope", "").split()
        return AccessToken(token=token, client_id=grant["client_id"], scopes=scopes)


@contextlib.contextmanager
def serve_protected_mcp(
    authorization: FakeAuthorizationServer, *, resource_path: str = ""
) -> Iterator[ProtectedServer]:
    """The fake authorization server and an ``MCPServer`` protected by it, both on loopback.
    ``resource_path``: the metadata names ``http://127.0.0.1:PORT/<it>`` as the resource
    instead of the endpoint (a misconfigured server)."""
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer

    with serve(authorization) as issuer_url:
        authorization.issuer = str(issuer_url)
        port = unused_port()
        endpoint = f"http://{HOST}:{port}/mcp"
        server = MCPServer(
            "protected-mcp",
            version="1.0.0",
            log_level="WARNING",
            auth=AuthSettings(
                issuer_url=authorization.issuer,  # type: ignore[arg-type]
                resource_server_url=f"http://{HOST}:{port}/{resource_path}"
                if resource_path
                else endpoint,  # type: ignore[arg-type]
                validate_token_resource=False,
            ),
            token_verifier=_IssuedTokens(authorization, endpoint),
        )

        def whoami() -> str:
            return "protected"

        server.add_tool(whoami, name="whoami", description="Proof of access.")
        app: Any = _only(server.streamable_http_app(json_response=True), "handshake")
        running = RunningServer(url=endpoint, port=port)
        app = _Recorder(app, running.requests)
        with _run_asgi(app, port, 0.0):
            yield ProtectedServer(running, authorization, authorization.issuer)
