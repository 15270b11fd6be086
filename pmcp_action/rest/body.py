"""Reading an answer's body: JSON or nothing, and the JSON object a success must carry."""

from __future__ import annotations

from typing import Any

import httpx

from ..errors import RemoteApiError

__all__ = ["json_object", "json_or_none"]


def json_or_none(response: httpx.Response) -> Any:
    """The decoded JSON body, or None when there is none or it is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _host(response: httpx.Response) -> str:
    try:
        return response.request.url.host or "the API"
    except RuntimeError:  # a response built without its request
        return "the API"


def json_object(response: httpx.Response, doing: str) -> dict[str, Any]:
    """The JSON object of an answer already known to be a success; anything else (no body,
    HTML from a proxy, a list) raises :class:`RemoteApiError` naming the host and the call."""
    body = json_or_none(response)
    if not isinstance(body, dict):
        what = "an empty body" if not response.content else "a body that is not a JSON object"
        raise RemoteApiError(
            f"{doing[:1].upper()}{doing[1:]}: {_host(response)} answered HTTP "
            f"{response.status_code} with {what}.",
            status=response.status_code,
            body=response.text[:500],
            remediation="A proxy, firewall or captive portal may have answered instead of the "
            "API; check the endpoint and any proxy settings, then run again.",
        )
    return body
