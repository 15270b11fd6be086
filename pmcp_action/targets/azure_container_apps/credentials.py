"""Entra ID: the CI's OIDC token (or a client secret) → an ARM access token.

OIDC (the default): the ID token is the ``client_assertion`` (jwt-bearer) of a
client-credentials request to the tenant's v2.0 token endpoint, with the scope
``<ARM resource id>/.default`` (azure-cloud's ARM, or PMCP_AZURE_ARM_RESOURCE; never the
URL requests go to); it must match a federated credential of the app registration. When
Entra ID finds none (``AADSTS70021``), the error shows the token's issuer, subject and
audience and exactly the federated credential to add (:class:`.failures.EntraEnvelope`).
A client secret works too, with a warning recommending OIDC. ``auth: ambient`` takes the
machine's or the person's own token instead (:mod:`.ambient`). Every token and the secret are
masked the moment they exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ...context import RunContext
from ...errors import ConfigError
from ...rest import RestApi
from .ambient import ambient_token
from .config import LOGIN_URL_ENV, AzureConfig
from .failures import EntraEnvelope

__all__ = ["ArmSession", "sign_in"]

_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class ArmSession:
    """An ARM bearer token and how it was obtained (for the summary)."""

    access_token: str
    identity: str
    mode: str  # "oidc", "client-secret" or "ambient"
    expires_in: int = 0


def _mode(config: AzureConfig) -> str:
    auth = config.auth
    if auth == "secrets" or (auth == "auto" and config.client_secret):
        if not config.client_secret:
            raise ConfigError(
                "auth: secrets, but azure-client-secret is empty.",
                remediation="Pass azure-client-secret from a secret, or use OIDC.",
            )
        return "client-secret"
    return "oidc"


def sign_in(context: RunContext, config: AzureConfig, client: httpx.Client) -> ArmSession:
    """An ARM access token for the configured identity."""
    if config.auth == "ambient":
        found = ambient_token(context, config, client)
        context.console.info(f"Signed in to Azure with {found.identity} (auth: ambient).")
        return ArmSession(
            access_token=found.access_token,
            identity=found.identity,
            mode="ambient",
            expires_in=found.expires_in,
        )
    mode = _mode(config)
    form = {
        "client_id": config.client_id,
        "scope": config.scope,
        "grant_type": "client_credentials",
    }
    assertion = ""
    if mode == "client-secret":
        context.console.mask(config.client_secret)
        context.console.warning(
            "azure-container-apps signs in with a client secret. A federated credential "
            "(OIDC) needs no stored secret and cannot leak: add one to the app registration "
            "and drop azure-client-secret."
        )
        form["client_secret"] = config.client_secret
    else:
        assertion = context.id_token(config.audience)
        context.console.mask(assertion)
        form["client_assertion_type"] = _JWT_BEARER
        form["client_assertion"] = assertion
    entra = RestApi(
        client,
        config.login_url,
        envelope=EntraEnvelope(config, mode=mode, assertion=assertion),
        reach_hint=f"azure-cloud, or {LOGIN_URL_ENV}",
    )
    body = entra.call_json(
        "POST",
        f"/{config.tenant_id}/oauth2/v2.0/token",
        f"signing in app {config.client_id} at Entra ID",
        data=form,
    )
    token = str(body["access_token"])  # the envelope refuses an answer without one
    context.console.mask(token)
    how = "federated credential (OIDC)" if mode == "oidc" else "client secret"
    return ArmSession(
        access_token=token,
        identity=f"app {config.client_id} in tenant {config.tenant_id} ({how})",
        mode=mode,
        expires_in=int(body.get("expires_in") or 0),
    )
