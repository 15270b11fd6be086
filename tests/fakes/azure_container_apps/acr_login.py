"""An ACR login server: what ``az acr login`` and docker speak to, without ``az``.

``/v2/`` challenges naming ``https://<host>/oauth2/token``; ``POST /oauth2/exchange``
(``grant_type=access_token`` with an Entra ID token the fake issued) answers a refresh
token; ``/oauth2/token`` (GET with Basic credentials as docker does: the user
``00000000-…`` and a refresh token, or the admin user and a password; or POST
``grant_type=refresh_token``) answers an access token. The registry behind it is an
in-memory :class:`~tests.fakes.oci_registry.FakeOciRegistry` per login server, or, with a
``signer``, a real ``docker-registry`` whose ``auth: token`` realm is this fake (the access
token is then the signer's JWT).
"""

from __future__ import annotations

import base64
import secrets as _secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import httpx

from ..oci_registry import FakeOciRegistry, _error
from ..server import FakeBase, json_response

if TYPE_CHECKING:
    from ..registry_token import FakeRegistryTokenServer
    from .arm import ArmBase

__all__ = ["ACR_USER", "AcrLoginServer", "LoginBackend", "LoginServers"]

#: The user name ACR's token service takes with a refresh token as the password.
ACR_USER = "00000000-0000-0000-0000-000000000000"


class LoginBackend(FakeOciRegistry):
    """An in-memory registry whose Bearer challenge names the ACR token service."""

    def _challenge(self, scope: str) -> httpx.Response:
        scheme = "http" if self.host.startswith(("127.", "localhost")) else "https"
        header = f'Bearer realm="{scheme}://{self.host}/oauth2/token",service="{self.host}"'
        if scope:
            header += f',scope="{scope}"'
        return _error(401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": header})


class AcrLoginServer:
    """The login servers of the subscription's registries (:class:`~.acr.FakeAcr` is one)."""

    arm: ArmBase
    #: Sign access tokens for a real docker-registry (None: in-memory registries).
    signer: FakeRegistryTokenServer | None
    backends: dict[str, LoginBackend]
    refresh_tokens: dict[str, str]  # refresh token -> login server
    passwords: dict[str, list[str]]  # registry id (lower) -> admin passwords
    exchanges: list[dict[str, str]]
    #: (user, password) the token service takes for any service.
    test_logins: set[tuple[str, str]]

    # --- seeding -------------------------------------------------------------------------
    def registries(self) -> list[dict[str, Any]]:
        return [
            r
            for r in self.arm.resources.values()
            if r.get("type") == "Microsoft.ContainerRegistry/registries"
        ]

    def by_login_server(self, host: str) -> dict[str, Any] | None:
        host = host.lower()
        for registry in self.registries():
            if str(registry["properties"]["loginServer"]).lower() == host:
                return registry
        return None

    def issue_refresh_token(self, login_server: str) -> str:
        """A refresh token for the test itself (e.g. to pull what the action pushed)."""
        token = "acr-refresh-" + _secrets.token_urlsafe(24)
        self.refresh_tokens[token] = login_server
        return token

    def login(self, request: httpx.Request) -> httpx.Response:
        """``/oauth2/exchange``, ``/oauth2/token`` and (in memory) ``/v2/…`` of a login server."""
        path = request.url.path
        if path == "/oauth2/exchange":
            return self._exchange(request)
        if path == "/oauth2/token":
            return self._token(request)
        host = request.url.netloc.decode().lower()
        backend = self.backends.get(host)
        if backend is None or not path.startswith("/v2/"):
            return _error(404, "NAME_UNKNOWN", f"no registry at {host}")
        return backend(request)

    def _exchange(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return _error(405, "UNSUPPORTED", "POST only")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.exchanges.append({k: v for k, v in form.items() if k != "access_token"})
        if form.get("grant_type") != "access_token":
            return _error(400, "UNSUPPORTED", "grant_type must be access_token")
        service = form.get("service", "")
        if self.by_login_server(service) is None:
            return _error(400, "UNKNOWN_SERVICE", f"unknown service {service!r}")
        client = self.arm.entra.issued.get(form.get("access_token", ""))
        if client is None:
            return _error(401, "UNAUTHORIZED", "the access token is not valid")
        if form.get("tenant", "") != self.arm.entra.apps[client].tenant_id:
            return _error(401, "UNAUTHORIZED", "the token is not for this tenant")
        return json_response(200, {"refresh_token": self.issue_refresh_token(service)})

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            form = {k: v for k, v in parse_qs(request.content.decode()).items()}
            service = form.get("service", [""])[0]
            scopes = form.get("scope", [])
            user, password = ACR_USER, form.get("refresh_token", [""])[0]
            if form.get("grant_type", [""])[0] != "refresh_token":
                return _error(400, "UNSUPPORTED", "grant_type must be refresh_token")
        else:
            service = request.url.params.get("service", "")
            scopes = request.url.params.get_list("scope")
            header = request.headers.get("Authorization", "")
            user, _, password = (
                base64.b64decode(header[6:]).decode().partition(":")
                if header.startswith("Basic ")
                else ("", "", "")
            )
        registry = self.by_login_server(service)
        valid = registry is not None and self._valid(registry, user, password)
        if not valid and (user, password) not in self.test_logins:
            return _error(401, "UNAUTHORIZED", "incorrect username or password")
        if self.signer is not None:
            token = self.signer.sign(user, scopes, audience=service)
        else:
            token = "acr-access-" + _secrets.token_urlsafe(24)
            backend = self.backends.get(service.lower())
            if backend is None:
                return _error(401, "UNAUTHORIZED", f"no registry {service!r}")
            backend.tokens[token] = set(scopes)
        return json_response(200, {"access_token": token, "token": token})

    def _valid(self, registry: dict[str, Any], user: str, password: str) -> bool:
        server = str(registry["properties"]["loginServer"]).lower()
        if user == ACR_USER:
            return self.refresh_tokens.get(password, "").lower() == server
        key = str(registry["id"]).lower()
        return (
            bool(registry["properties"]["adminUserEnabled"])
            and user == registry["name"]
            and password in self.passwords.get(key, [])
        )


class LoginServers(FakeBase):
    """The login servers as one fake of their own: ``/oauth2/…`` and ``/v2/…`` of every
    ``*.azurecr.io`` host recorded and open to faults (the registry behind answers after)."""

    name = "acr-login"

    def __init__(self, servers: AcrLoginServer) -> None:
        super().__init__()
        self.servers = servers

    def handle(self, request: httpx.Request) -> httpx.Response:
        return self.servers.login(request)
