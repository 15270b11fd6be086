"""Google's error answers -> the program's errors, with the API or permission named.

Two shapes: the Google error envelope of every googleapis.com JSON API
(``{"error": {"code", "message", "status", "details": [...]}}``) and the OAuth-style
body of the STS and oauth2 token endpoints (``{"error", "error_description"}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from ...errors import RemoteApiError

__all__ = [
    "GoogleError",
    "granting_role",
    "json_object",
    "oauth_error_text",
    "parse_error",
    "raise_for_google",
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


def granting_role(permission: str) -> str:
    for prefix, role in _ROLES.items():
        if permission == prefix or (prefix.endswith(".") and permission.startswith(prefix)):
            return role
    return "a role that includes it (see https://cloud.google.com/iam/docs/roles-permissions)"


def parse_error(response: httpx.Response) -> GoogleError:
    """The envelope of an error answer; anything else gives the status code only."""
    try:
        body: Any = response.json()
    except ValueError:
        return GoogleError(response.status_code)
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


def oauth_error_text(response: httpx.Response) -> str:
    """``"<error>: <error_description>"`` of an STS/oauth2 refusal (as google-auth shows it)."""
    try:
        body: Any = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = str(body.get("error_description", ""))[:500]
        return f"{body['error']}: {description}" if description else str(body["error"])
    return f"HTTP {response.status_code}"


def raise_for_google(response: httpx.Response, doing: str, *, project: str = "") -> None:
    """Raise a :class:`RemoteApiError` for an error answer, saying how to fix it."""
    if response.status_code < 400:
        return
    error = parse_error(response)
    message = f"{doing} failed: HTTP {error.status_code} {error.status}".rstrip()
    if error.message:
        message += f": {error.message}"
    remediation = ""
    if error.reason == "SERVICE_DISABLED":
        api = error.metadata.get("service", "the API")
        link = error.metadata.get("activationUrl") or (
            f"https://console.cloud.google.com/apis/library/{api}"
            + (f"?project={project}" if project else "")
        )
        remediation = (
            f"enable {api} in the project: {link} (or gcloud services enable {api}), "
            "wait a minute, then deploy again"
        )
    elif error.status == "PERMISSION_DENIED" or error.status_code == 403:
        permission = error.permission
        if permission:
            remediation = (
                f"grant the deploying identity the permission {permission}, e.g. with "
                f"{granting_role(permission)}"
            )
        else:
            remediation = "grant the deploying identity roles/run.admin and "
            remediation += "roles/artifactregistry.writer in the project"
    raise RemoteApiError(message, status=error.status_code, remediation=remediation)


def json_object(response: httpx.Response, doing: str, *, project: str = "") -> dict[str, Any]:
    """The JSON object of a successful answer; an error answer, or one that is not a JSON
    object, raises :class:`RemoteApiError` saying what was being done."""
    raise_for_google(response, doing, project=project)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RemoteApiError(
            f"{doing}: {response.request.url.host} answered HTTP {response.status_code} "
            "without a JSON object",
            status=response.status_code,
        )
    return body
