"""Google's error answers -> the program's errors, with the API or permission named.

Two envelopes, each a :class:`~pmcp_action.rest.ErrorEnvelope` of the REST kit:

- :class:`GoogleEnvelope`: the error body of every googleapis.com JSON API
  (``{"error": {"code", "message", "status", "details": [...]}}``), an ``ErrorInfo``
  detail naming the reason (``SERVICE_DISABLED``) or the missing permission;
- :class:`OAuthEnvelope`: the OAuth-style body of the STS and oauth2 token endpoints
  (``{"error", "error_description"}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx

from ...errors import PmcpActionError, RemoteApiError
from ...rest import json_or_none

__all__ = [
    "CredentialsError",
    "GoogleApiError",
    "GoogleEnvelope",
    "GoogleError",
    "OAuthEnvelope",
    "OAuthRefusal",
    "granting_role",
    "oauth_error_text",
    "parse_error",
]

_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_PERMISSION = re.compile(r"[Pp]ermission '?([a-zA-Z]+(?:\.[a-zA-Z]+){2,})'? denied")

#: The smallest predefined role that grants a permission this target needs.
_ROLES = {
    "run.": "roles/run.admin",
    "artifactregistry.repositories.create": "roles/artifactregistry.admin",
    "artifactregistry.": "roles/artifactregistry.writer",
    "iam.serviceAccounts.getAccessToken": "roles/iam.workloadIdentityUser (for a federated "
    "principal) or roles/iam.serviceAccountTokenCreator",
    "iam.serviceAccounts.actAs": "roles/iam.serviceAccountUser on the service's runtime "
    "service account",
    "logging.": "roles/logging.viewer",
    "secretmanager.": "roles/secretmanager.admin",
}


@dataclass(frozen=True)
class GoogleError:
    """One decoded error answer."""

    status_code: int
    status: str = ""
    message: str = ""
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def permission(self) -> str:
        found = self.metadata.get("permission", "")
        if found:
            return found
        match = _PERMISSION.search(self.message)
        return match.group(1) if match else ""


class CredentialsError(PmcpActionError):
    """Google refused the credentials, or they cannot be used."""

    title = "Google credentials refused"


class GoogleApiError(RemoteApiError):
    """A googleapis.com call answered with an error; ``google`` is what its envelope said."""

    def __init__(
        self, message: str, *, google: GoogleError, body: str = "", remediation: str = ""
    ) -> None:
        super().__init__(message, status=google.status_code, body=body, remediation=remediation)
        self.google = google


class OAuthRefusal(RemoteApiError):
    """STS or the oauth2 token endpoint refused; ``text`` is ``"<error>: <description>"``."""

    def __init__(self, message: str, *, status: int, text: str, body: str = "") -> None:
        super().__init__(message, status=status, body=body)
        self.text = text


def granting_role(permission: str) -> str:
    for prefix, role in _ROLES.items():
        if permission == prefix or (prefix.endswith(".") and permission.startswith(prefix)):
            return role
    return "a role that includes it (see https://cloud.google.com/iam/docs/roles-permissions)"


def parse_error(response: httpx.Response) -> GoogleError:
    """The envelope of an error answer; anything else gives the status code only."""
    body = json_or_none(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return GoogleError(response.status_code)
    reason = ""
    metadata: dict[str, str] = {}
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and detail.get("@type") == _ERROR_INFO:
            reason = str(detail.get("reason", ""))
            raw = detail.get("metadata")
            if isinstance(raw, dict):
                metadata = {str(k): str(v) for k, v in raw.items()}
            break
    return GoogleError(
        response.status_code,
        status=str(error.get("status", "")),
        message=str(error.get("message", ""))[:500],
        reason=reason,
        metadata=metadata,
    )


def _remedy(error: GoogleError, project: str) -> str:
    if error.reason == "SERVICE_DISABLED":
        api = error.metadata.get("service", "the API")
        link = error.metadata.get("activationUrl") or (
            f"https://console.cloud.google.com/apis/library/{api}"
            + (f"?project={project}" if project else "")
        )
        return (
            f"enable {api} in the project: {link} (or gcloud services enable {api}), "
            "wait a minute, then deploy again"
        )
    if error.status == "PERMISSION_DENIED" or error.status_code == 403:
        permission = error.permission
        if permission:
            return (
                f"grant the deploying identity the permission {permission}, e.g. with "
                f"{granting_role(permission)}"
            )
        return (
            "grant the deploying identity roles/run.admin and roles/artifactregistry.writer "
            "in the project"
        )
    return ""


class GoogleEnvelope:
    """Google's JSON APIs: 4xx/5xx with ``{"error": {...}}``; the fix names the API to
    enable or the permission (and a role that grants it) the identity lacks."""

    def __init__(self, project: str = "") -> None:
        #: The project an "enable the API" link opens.
        self.project = project

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code >= 400

    def error(self, response: httpx.Response, doing: str) -> GoogleApiError:
        error = parse_error(response)
        message = f"{doing[:1].upper()}{doing[1:]} failed: HTTP {error.status_code} {error.status}"
        message = message.rstrip()
        if error.message:
            message += f": {error.message}"
        return GoogleApiError(
            message,
            google=error,
            body=response.text[:500],
            remediation=_remedy(error, self.project),
        )


def oauth_error_text(response: httpx.Response) -> str:
    """``"<error>: <error_description>"`` of an STS/oauth2 refusal (as google-auth shows it)."""
    body = json_or_none(response)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = str(body.get("error_description", ""))[:500]
        return f"{body['error']}: {description}" if description else str(body["error"])
    return f"HTTP {response.status_code}"


class OAuthEnvelope:
    """The token endpoints (STS, oauth2): 4xx/5xx with ``{"error", "error_description"}``."""

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code >= 400

    def error(self, response: httpx.Response, doing: str) -> OAuthRefusal:
        text = oauth_error_text(response)
        return OAuthRefusal(
            f"{doing[:1].upper()}{doing[1:]} failed: {text}",
            status=response.status_code,
            text=text,
            body=response.text[:500],
        )
