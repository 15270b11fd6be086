"""Entra ID: the CI's OIDC token (or a client secret) → an ARM access token.

OIDC (the default): the ID token is the ``client_assertion`` (jwt-bearer) of a
client-credentials request to the tenant's v2.0 token endpoint, with the scope
``<ARM>/.default``; it must match a federated credential of the app registration. When
Entra ID finds none (``AADSTS70021``), the error shows the token's issuer, subject and
audience and exactly the federated credential to add. A client secret works too, with a
warning recommending OIDC. Every token and the secret are masked the moment they exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from ...context import RunContext
from ...errors import ConfigError, CredentialExchangeError
from ...oidc import decode_claims, describe_claims_for_error
from .config import AzureConfig

__all__ = ["ArmSession", "federated_credential_hint", "sign_in"]

_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_NO_MATCHING_CREDENTIAL = 70021


@dataclass(frozen=True)
class ArmSession:
    """An ARM bearer token and how it was obtained (for the summary)."""

    access_token: str
    identity: str
    mode: str  # "oidc" or "client-secret"
    expires_in: int = 0


def _mode(config: AzureConfig) -> str:
    auth = config.auth
    if auth == "ambient":
        raise ConfigError(
            "auth: ambient (Azure managed identity) is not offered by azure-container-apps in "
            "this version.",
            remediation="Use OIDC (a federated credential on azure-client-id) or "
            "azure-client-secret.",
        )
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
    url = f"{config.login_url}/{config.tenant_id}/oauth2/v2.0/token"
    response = client.post(url, data=form)
    body = _json(response)
    if response.status_code == 200 and isinstance(body.get("access_token"), str):
        token = str(body["access_token"])
        context.console.mask(token)
        how = "federated credential (OIDC)" if mode == "oidc" else "client secret"
        return ArmSession(
            access_token=token,
            identity=f"app {config.client_id} in tenant {config.tenant_id} ({how})",
            mode=mode,
            expires_in=int(body.get("expires_in") or 0),
        )
    raise _refused(config, response.status_code, body, assertion, mode)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _refused(
    config: AzureConfig, status: int, body: dict[str, Any], assertion: str, mode: str
) -> CredentialExchangeError:
    codes = body.get("error_codes") if isinstance(body.get("error_codes"), list) else []
    description = str(body.get("error_description", "")).splitlines()[0:1]
    summary = description[0][:300] if description else f"HTTP {status}"
    error = str(body.get("error", "")) or f"HTTP {status}"
    if mode == "oidc" and _NO_MATCHING_CREDENTIAL in (codes or []):
        return CredentialExchangeError(
            f"Entra ID found no federated credential on app {config.client_id} matching "
            f"this run's OIDC token ({summary}).",
            details=describe_claims_for_error(assertion),
            remediation=federated_credential_hint(config, assertion),
        )
    if mode == "client-secret":
        remediation = (
            "Check azure-client-id and azure-tenant-id, and that azure-client-secret is the "
            "secret's value (not its id) and has not expired (Certificates & secrets)."
        )
    else:
        remediation = (
            "Check azure-client-id and azure-tenant-id, and that the app registration has a "
            f"federated credential for this run with the audience {config.audience}."
        )
    return CredentialExchangeError(
        f"Entra ID refused to sign in app {config.client_id} in tenant {config.tenant_id}: "
        f"{error}: {summary}",
        details=describe_claims_for_error(assertion) if assertion else "",
        remediation=remediation,
    )


def federated_credential_hint(config: AzureConfig, assertion: str) -> str:
    """Exactly what to add as the app's federated credential for this token."""
    claims = decode_claims(assertion)
    issuer = str(claims.get("iss", "<issuer>"))
    subject = str(claims.get("sub", "<subject>"))
    aud = claims.get("aud", config.audience)
    audience = str(aud[0] if isinstance(aud, list) and aud else aud)
    if "project_path" in claims:
        forms = (
            "GitLab subjects look like project_path:<group>/<project>:ref_type:branch:ref:<branch> "
            "(or ref_type:tag:ref:<tag>)."
        )
    else:
        forms = (
            "GitHub subjects look like repo:<owner>/<repo>:ref:refs/heads/<branch>, "
            "repo:<owner>/<repo>:environment:<environment> or repo:<owner>/<repo>:pull_request."
        )
    return (
        f"Add a federated credential to the app registration {config.client_id} (Entra ID → "
        "App registrations → Certificates & secrets → Federated credentials) with "
        f"issuer {issuer}, subject {subject} and audience {audience}; or run: az ad app "
        f"federated-credential create --id {config.client_id} --parameters "
        f'\'{{"name": "pmcp-deploy", "issuer": "{issuer}", "subject": "{subject}", '
        f'"audiences": ["{audience}"]}}\'. {forms}'
    )
