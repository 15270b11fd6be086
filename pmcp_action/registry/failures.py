"""The MCP Registry's error answers → the program's errors, with the way out named.

The registry answers an error as a problem document (``application/problem+json``):
``{"title", "status", "detail", "errors": [{"message", "location", "value"}]}``; the
``detail`` says what failed and each ``errors[].message`` why.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ..errors import RemoteApiError
from ..rest import json_or_none

__all__ = ["RegistryApiError", "RegistryEnvelope"]

_DUPLICATE = "duplicate version"


class RegistryApiError(RemoteApiError):
    """The MCP Registry refused a call."""

    title = "MCP Registry error"

    @property
    def duplicate_version(self) -> bool:
        """The version is published already (versions are immutable)."""
        return self.status == 400 and _DUPLICATE in self.message.lower()


def _reasons(payload: object) -> str:
    if not isinstance(payload, Mapping):
        return ""
    parts = [str(payload.get("detail") or payload.get("title") or "").strip()]
    for item in payload.get("errors") or []:
        if isinstance(item, Mapping) and item.get("message"):
            parts.append(str(item["message"]).strip())
    if isinstance(payload.get("error"), str):  # the read API's {"error": "..."}
        parts.append(str(payload["error"]).strip())
    return ": ".join(part for part in parts if part)


def _remediation(status: int) -> str:
    if status == 401:
        return (
            "The registry refused the sign-in. The job needs `permissions: id-token: write`, "
            "and registry-url must be the registry the token is for (its audience)."
        )
    if status == 403:
        return (
            "GitHub's OIDC sign-in may publish io.github.<repository owner>/* only: leave "
            "registry-name empty, or give a name in that namespace."
        )
    if status in (400, 422):
        return "Correct what the registry names (the server.json it was sent is in the log)."
    if status == 404:
        return "Check registry-url: it must be the registry's base URL."
    return "Run the job again later: the registry (still a preview service) may be unavailable."


class RegistryEnvelope:
    """The registry's envelope: any 4xx or 5xx is an error, its problem document read."""

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code >= 400

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        reasons = _reasons(json_or_none(response)) or response.text[:300].strip()
        text = f"{doing[:1].upper()}{doing[1:]} failed: HTTP {response.status_code}"
        return RegistryApiError(
            f"{text}: {reasons}." if reasons else f"{text}.",
            status=response.status_code,
            body=response.text[:500],
            remediation=_remediation(response.status_code),
        )
