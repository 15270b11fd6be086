"""ARM's error envelope → the program's errors, with the missing role and scope named."""

from __future__ import annotations

from typing import Any

import httpx

from ...errors import DeployError, RemoteApiError

__all__ = ["ArmError", "CloudBuildError", "arm_error", "role_for"]


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


class CloudBuildError(DeployError):
    """An ACR Tasks build run ended without an image: its status, error and log tail."""

    title = "Cloud build failed"

    def __init__(
        self, message: str, *, run_id: str, status: str, remediation: str, details: str
    ) -> None:
        super().__init__(
            message, target="azure-container-apps", remediation=remediation, details=details
        )
        self.run_id = run_id
        self.status = status


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
    try:
        payload: Any = response.json()
    except ValueError:
        payload = {}
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
