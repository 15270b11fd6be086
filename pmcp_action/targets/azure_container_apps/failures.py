"""Each remote API's error envelope → the program's errors, with the way out named.

- ARM (``{"error": {"code", "message"}}``): :class:`ArmEnvelope`; a 401/403 names the role
  and the scope that would allow the call;
- Entra ID (the OAuth error: ``error``, ``error_codes``, ``error_description``):
  :class:`EntraEnvelope`; no matching federated credential (``AADSTS70021``) says exactly
  which one to add;
- an ACR login server (``{"errors": [{"code", "message"}]}``): :class:`AcrExchangeEnvelope`;
- Blob Storage through a SAS (XML with ``x-ms-error-code``): :class:`StorageEnvelope`;
- a failed ACR Tasks build: :class:`CloudBuildError`.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from ...errors import CredentialExchangeError, DeployError, RemoteApiError
from ...oidc import decode_claims, describe_claims_for_error
from ...rest import json_or_none
from .config import AzureConfig
from .declaration import NAME

__all__ = [
    "AcrExchangeEnvelope",
    "ArmEnvelope",
    "ArmError",
    "CloudBuildError",
    "EntraEnvelope",
    "EntraError",
    "StorageEnvelope",
    "arm_error",
    "federated_credential_hint",
    "role_for",
]

#: Entra ID's code for "no federated credential matches the presented assertion".
_NO_MATCHING_CREDENTIAL = 70021
_STORAGE_CODE = re.compile(r"<Code>([^<]+)</Code>")


class ArmError(RemoteApiError):
    """An ARM call answered with ``{"error": {"code", "message"}}`` (or no envelope)."""

    title = "Azure Resource Manager error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        code: str = "",
        body: str = "",
        remediation: str = "",
    ) -> None:
        super().__init__(message, status=status, body=body, remediation=remediation)
        self.code = code


class EntraError(CredentialExchangeError, RemoteApiError):
    """Entra ID refused to sign the identity in (an OAuth error from its token endpoint)."""

    title = CredentialExchangeError.title


class CloudBuildError(DeployError):
    """An ACR Tasks build run ended without an image: its status, error and log tail."""

    title = "Cloud build failed"

    def __init__(
        self, message: str, *, run_id: str, status: str, remediation: str, details: str
    ) -> None:
        super().__init__(message, target=NAME, remediation=remediation, details=details)
        self.run_id = run_id
        self.status = status


# --- ARM -------------------------------------------------------------------------------------


def role_for(path: str) -> tuple[str, str]:
    """The role a call on ``path`` needs and the scope to grant it at."""
    parts = path.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    subscription = "/".join(parts[:2])
    if "resourcegroups" in lowered:
        at = lowered.index("resourcegroups")
        group_scope = "/" + "/".join(parts[: at + 2])
        if len(parts) > at + 2:
            return "Contributor", f"{group_scope} (the resource group)"
        return "Contributor", f"/{subscription} (the subscription, to create the resource group)"
    if "providers" in lowered:
        return (
            "Contributor (it includes */register/action)",
            f"/{subscription} (the subscription, to register resource providers)",
        )
    return "Reader", f"/{subscription}"


def arm_error(response: httpx.Response, what: str, client_id: str = "") -> ArmError:
    """The error for a failed ARM call; 401/403 name the role and scope that would allow it."""
    payload: Any = json_or_none(response)
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code", "")) or f"HTTP {response.status_code}"
    message = " ".join(str(error.get("message", "")).split())[:400]
    try:
        path = response.request.url.path
    except RuntimeError:  # a response built without its request
        path = ""
    remediation = ""
    status = response.status_code
    if status in (401, 403):
        role, scope = role_for(path)
        who = f"app {client_id}" if client_id else "the signed-in identity"
        remediation = (
            f"Grant {who} the role {role} at {scope}: az role assignment create --assignee "
            f"{client_id or '<client-id>'} --role Contributor --scope {scope.split(' ')[0]}."
        )
        if status == 401:
            remediation = "The ARM token was refused (expired or for another cloud). " + (
                "Check azure-cloud and azure-tenant-id. " + remediation
            )
    elif code == "MissingSubscriptionRegistration":
        remediation = (
            "Register the resource provider named above (az provider register --namespace "
            "<namespace>), or grant the identity Contributor on the subscription so "
            "pmcp-action registers it."
        )
    elif status == 429:
        remediation = "ARM throttled the identity; wait and run again."
    return ArmError(
        f"{what} failed: {code}" + (f": {message}" if message else ""),
        status=status,
        code=code,
        body=response.text[:2000],
        remediation=remediation,
    )


class ArmEnvelope:
    """ARM's envelope: 4xx/5xx carry ``{"error": {"code", "message"}}``."""

    def __init__(self, client_id: str = "") -> None:
        #: The deploying app, named in a refusal's role assignment command.
        self.client_id = client_id

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code >= 400

    def error(self, response: httpx.Response, doing: str) -> ArmError:
        return arm_error(response, doing, self.client_id)


# --- Entra ID --------------------------------------------------------------------------------


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


class EntraEnvelope:
    """Entra ID's token endpoint: anything but 200 with an ``access_token`` is a refusal,
    answered with the OAuth error (``error``, ``error_codes``, ``error_description``)."""

    def __init__(self, config: AzureConfig, *, mode: str, assertion: str) -> None:
        self.config = config
        #: "oidc" or "client-secret": what to check differs.
        self.mode = mode
        #: The CI's OIDC token sent (its claims are shown, never the token).
        self.assertion = assertion

    def failed(self, response: httpx.Response) -> bool:
        body = json_or_none(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        return response.status_code != 200 or not isinstance(token, str)

    def error(self, response: httpx.Response, doing: str) -> EntraError:
        config, assertion = self.config, self.assertion
        payload = json_or_none(response)
        body: dict[str, Any] = payload if isinstance(payload, dict) else {}
        status = response.status_code
        codes = body.get("error_codes") if isinstance(body.get("error_codes"), list) else []
        description = str(body.get("error_description", "")).splitlines()[0:1]
        summary = description[0][:300] if description else f"HTTP {status}"
        error = str(body.get("error", "")) or f"HTTP {status}"
        if self.mode == "oidc" and _NO_MATCHING_CREDENTIAL in (codes or []):
            return EntraError(
                f"Entra ID found no federated credential on app {config.client_id} matching "
                f"this run's OIDC token ({summary}).",
                status=status,
                details=describe_claims_for_error(assertion),
                remediation=federated_credential_hint(config, assertion),
            )
        if self.mode == "client-secret":
            remediation = (
                "Check azure-client-id and azure-tenant-id, and that azure-client-secret is the "
                "secret's value (not its id) and has not expired (Certificates & secrets)."
            )
        else:
            remediation = (
                "Check azure-client-id and azure-tenant-id, and that the app registration has a "
                f"federated credential for this run with the audience {config.audience}."
            )
        return EntraError(
            f"Entra ID refused to sign in app {config.client_id} in tenant {config.tenant_id}: "
            f"{error}: {summary}",
            status=status,
            details=describe_claims_for_error(assertion) if assertion else "",
            remediation=remediation,
        )


# --- an ACR login server ---------------------------------------------------------------------


class AcrExchangeEnvelope:
    """``/oauth2/exchange`` of a login server: a refresh token, else the registry's errors."""

    def __init__(self, login_server: str) -> None:
        self.login_server = login_server

    def failed(self, response: httpx.Response) -> bool:
        body = json_or_none(response)
        token = body.get("refresh_token") if isinstance(body, dict) else None
        return response.status_code != 200 or not isinstance(token, str) or not token

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        body = json_or_none(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        text = ""
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            text = f"{errors[0].get('code', '')}: {errors[0].get('message', '')}"
        return RemoteApiError(
            f"{self.login_server} refused to exchange the Entra ID token for a registry token: "
            f"HTTP {response.status_code} {text or '(no error text)'}.",
            status=response.status_code,
            remediation="Grant the deploying identity AcrPush (or Contributor) on the registry "
            "(az role assignment create --assignee <client-id> --role AcrPush --scope "
            "<registry id>), and keep the registry's 'Azure AD authentication as ARM' "
            "policy enabled (the default).",
        )


# --- Blob Storage ----------------------------------------------------------------------------


class StorageEnvelope:
    """Blob Storage: 4xx/5xx, the code in ``x-ms-error-code`` (else the XML ``<Code>``).

    The message names the call and the code only: a SAS URL is a secret, so none is quoted.
    """

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code >= 400

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        code = response.headers.get("x-ms-error-code", "")
        if not code:
            found = _STORAGE_CODE.search(response.text)
            code = found[1] if found else f"HTTP {response.status_code}"
        remediation = ""
        if response.status_code == 403:
            remediation = (
                "The SAS URL ACR Tasks issued was refused (expired, or the clock of the runner "
                "is off); run again."
            )
        return RemoteApiError(
            f"{doing} failed: HTTP {response.status_code} {code}.",
            status=response.status_code,
            remediation=remediation,
        )
