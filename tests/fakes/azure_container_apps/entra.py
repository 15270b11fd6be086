"""Entra ID's v2.0 token endpoint, as a stateful contract fake.

The token endpoint takes client credentials as Entra ID does: a client secret, or a
``client_assertion`` (jwt-bearer) verified against the fake OIDC issuer and matched against
the app's federated-credential table (issuer, subject, audience, exact and case-sensitive),
answering AADSTS error JSON otherwise. The tenant's OpenID configuration answers the
discovery MSAL (azure-identity) makes before its first token.
"""

from __future__ import annotations

import secrets as _secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt

from ..oidc_issuer import GITHUB_ISSUER, verify_token
from ..server import FakeBase, json_response

__all__ = ["GRAPH_AUDIENCE", "App", "FakeEntra", "FederatedCredential"]

#: Microsoft Graph's resource id: the token endpoint issues Graph tokens as well as ARM's.
GRAPH_AUDIENCE = "https://graph.microsoft.com"
_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
#: ``GET /<tenant>/v2.0/.well-known/openid-configuration``: MSAL's tenant discovery.
_DISCOVERY = ["v2.0", ".well-known", "openid-configuration"]


@dataclass(frozen=True)
class FederatedCredential:
    issuer: str
    subject: str
    audiences: tuple[str, ...] = (_EXCHANGE_AUDIENCE,)


@dataclass
class App:
    client_id: str
    tenant_id: str
    secrets: set[str] = field(default_factory=set)
    federated: list[FederatedCredential] = field(default_factory=list)


def _aadsts(status: int, error: str, code: int, text: str) -> httpx.Response:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    return json_response(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: "
            f"{correlation} Timestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}",
            "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": trace,
            "correlation_id": correlation,
        },
    )


class FakeEntra(FakeBase):
    """``POST /<tenant>/oauth2/v2.0/token`` (client credentials, secret or assertion).

    ``GET /<tenant>/v2.0/.well-known/openid-configuration`` answers the tenant discovery that
    MSAL (azure-identity) makes before its first token; an unknown tenant is AADSTS90002.
    """

    name = "entra"

    def __init__(self, *, arm_audience: str = "https://management.azure.com") -> None:
        #: ARM's resource id in this Entra ID's cloud: a token's scope must be
        #: ``<it>/.default``, as Entra ID checks it, wherever ARM itself is reached (an
        #: emulator's loopback URL is no resource Entra ID knows: AADSTS500011).
        super().__init__()
        self.arm_audience = arm_audience.rstrip("/")
        self.apps: dict[str, App] = {}
        self.issued: dict[str, str] = {}  # access token -> client id
        #: The resource each token of the token endpoint is for (ARM's or Graph's): ARM
        #: refuses Graph's, as Graph refuses ARM's. (Tokens of the managed identity and the
        #: az stub are not in it: either API takes them.)
        self.audiences: dict[str, str] = {}

    def reset_state(self) -> None:
        with self._lock:
            self.apps.clear()
            self.issued.clear()
            self.audiences.clear()

    def add_app(
        self,
        client_id: str,
        tenant_id: str,
        *,
        secret: str = "",
        federated: tuple[FederatedCredential, ...] = (),
    ) -> App:
        app = App(client_id, tenant_id, {secret} if secret else set(), list(federated))
        with self._lock:
            self.apps[client_id] = app
        return app

    def trust_github(
        self, client_id: str, repository: str, ref: str = "refs/heads/main"
    ) -> FederatedCredential:
        credential = FederatedCredential(GITHUB_ISSUER, f"repo:{repository}:ref:{ref}")
        with self._lock:
            self.apps[client_id].federated.append(credential)
        return credential

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"apps": sorted(self.apps), "tokens": len(self.issued)}

    def handle(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if request.method == "GET" and parts[1:] == _DISCOVERY:
            return self._discovery(request, parts[0])
        if request.method != "POST" or parts[1:] != ["oauth2", "v2.0", "token"]:
            return json_response(404, {"error": "not_found"})
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return _aadsts(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            )
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        tenant = parts[0]
        if form.get("grant_type") != "client_credentials":
            return _aadsts(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return _aadsts(
                400, "invalid_scope", 1002012, f"The provided value for scope {scope} is not valid."
            )
        resource = scope.removesuffix("/.default")
        if resource not in (self.arm_audience, GRAPH_AUDIENCE):
            return _aadsts(
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {resource} was not found in the tenant named "
                f"{tenant}. This can happen if the application has not been installed by the "
                "administrator of the tenant or consented to by any user in the tenant. You "
                "might have sent your authentication request to the wrong tenant.",
            )
        with self._lock:
            app = self.apps.get(form.get("client_id", ""))
            if app is None or app.tenant_id != tenant:
                return _aadsts(
                    400,
                    "unauthorized_client",
                    700016,
                    f"Application with "
                    f"identifier '{form.get('client_id', '')}' was not found in the "
                    f"directory '{tenant}'.",
                )
            if "client_secret" in form:
                if form["client_secret"] not in app.secrets:
                    return _aadsts(
                        401, "invalid_client", 7000215, "Invalid client secret provided."
                    )
            elif form.get("client_assertion_type") == _JWT_BEARER:
                refused = self._check_assertion(app, form.get("client_assertion", ""))
                if refused is not None:
                    return refused
            else:
                return _aadsts(
                    401,
                    "invalid_client",
                    7000218,
                    "The request body must "
                    "contain the following parameter: 'client_assertion' or "
                    "'client_secret'.",
                )
            token = "eyJ0eXAiOiJKV1QifQ." + _secrets.token_urlsafe(32)
            self.issued[token] = app.client_id
            self.audiences[token] = resource
        return json_response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

    def _discovery(self, request: httpx.Request, tenant: str) -> httpx.Response:
        """The tenant's OpenID configuration, which MSAL reads before its first token."""
        with self._lock:
            known = any(app.tenant_id == tenant for app in self.apps.values())
        if not known:
            return _aadsts(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud.",
            )
        root = f"{request.url.scheme}://{request.url.netloc.decode()}/{tenant}"
        return json_response(
            200,
            {
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{root}/v2.0",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            },
        )

    def _check_assertion(self, app: App, assertion: str) -> httpx.Response | None:
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return _aadsts(400, "invalid_request", 50027, "JWT token is invalid or malformed.")
        aud = unverified.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        for credential in app.federated:
            if credential.issuer != unverified.get("iss"):
                continue
            if credential.subject != unverified.get("sub"):
                continue
            audience = next((a for a in audiences if a in credential.audiences), None)
            if audience is None:
                continue
            try:
                verify_token(assertion, audience, issuer=credential.issuer)
            except jwt.InvalidTokenError:
                return _aadsts(
                    400,
                    "invalid_client",
                    700024,
                    "Client assertion is not within its valid time range.",
                )
            return None
        return _aadsts(
            400,
            "invalid_request",
            70021,
            "No matching federated identity "
            "record found for presented assertion. Assertion Issuer: "
            f"'{unverified.get('iss')}'. Assertion Subject: '{unverified.get('sub')}'. "
            f"Assertion Audience: '{aud}'.",
        )
