"""Demo Cloud's error envelope → the program's errors, with the way out named."""

from __future__ import annotations

import httpx

from pmcp_action.plugin import RemoteApiError, RestApi

__all__ = ["DemoCloudError", "DemoEnvelope", "MovedError"]

#: What to do about each error code of the API.
_REMEDIATION = {
    "unauthorized": "Pass a valid Demo Cloud API token in demo-token (from a secret).",
    "conflict": "Another deploy changed the service meanwhile; run the command again.",
    "not_found": "Check demo-endpoint, server-name and region.",
}


class DemoCloudError(RemoteApiError):
    """A Demo Cloud API call failed."""

    title = "Demo Cloud API error"

    def __init__(self, message: str, *, status: int, code: str, remediation: str) -> None:
        super().__init__(message, status=status, remediation=remediation)
        self.code = code


class MovedError(DemoCloudError):
    """Another version serves than the one this run read (a conditional write failed)."""


class DemoEnvelope:
    """``{"error": {"code": …, "message": …}}`` on every 4xx and 5xx."""

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code >= 400

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        body = RestApi.body(response)
        error = body.get("error") if isinstance(body, dict) else None
        code = str(error.get("code", "")) if isinstance(error, dict) else ""
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        kind = MovedError if code == "moved" else DemoCloudError
        return kind(
            f"{doing[:1].upper()}{doing[1:]} failed: HTTP {response.status_code}"
            + (f" ({code}: {message})." if code else "."),
            status=response.status_code,
            code=code,
            remediation=_REMEDIATION.get(
                code, "Run the command again; if it fails again, check the Demo Cloud status page."
            ),
        )
