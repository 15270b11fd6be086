"""The MCP Registry's API: the GitHub OIDC sign-in, reading a version, publishing one.

- ``POST /v0/auth/github-oidc`` ``{"oidc_token": <GitHub Actions ID token>}`` →
  ``{"registry_token", "expires_at"}``: a short-lived registry token that may publish
  ``io.github.<repository owner>/*``; the ID token's audience is the registry's URL;
- ``GET /v0.1/servers/{name}/versions/{version}`` (name and version URL-encoded) →
  ``{"server": <server.json>, "_meta": {...}}``, or 404; reading needs no sign-in;
- ``POST /v0/publish`` with the server.json and ``Authorization: Bearer <registry token>``
  → the same shape as a read. Not idempotent: a version, once published, is immutable, and
  publishing it again answers 400 "cannot publish duplicate version".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from ..errors import RemoteApiError
from ..rest import RestApi
from .failures import RegistryEnvelope

__all__ = ["RegistryApi"]


def _segment(text: str) -> str:
    return quote(text, safe="")


class RegistryApi:
    """One registry's API over an injected client."""

    def __init__(self, client: httpx.Client, base: str) -> None:
        self.rest = RestApi(
            client, base, envelope=RegistryEnvelope(), reach_hint="input 'registry-url'"
        )

    def sign_in_with_github(self, id_token: str, on_token: Callable[[str], None]) -> str:
        """A registry token for a GitHub Actions ID token; ``on_token`` masks it first."""
        body = self.rest.call_json(
            "POST",
            "/v0/auth/github-oidc",
            "signing in to the MCP Registry with the job's OIDC token",
            json={"oidc_token": id_token},
            idempotent=True,
        )
        token = body.get("registry_token")
        if not isinstance(token, str) or not token:
            raise RemoteApiError(
                "The MCP Registry's sign-in answered without a registry_token.",
                remediation="Check that registry-url is an MCP Registry.",
            )
        on_token(token)
        return token

    def find_version(self, name: str, version: str) -> Mapping[str, Any] | None:
        """The published server.json of one version, or None when it is not published."""
        found = self.rest.find_json(
            f"/v0.1/servers/{_segment(name)}/versions/{_segment(version)}",
            f"reading {name} version {version} from the MCP Registry",
        )
        if found is None:
            return None
        server = found.get("server")
        return server if isinstance(server, Mapping) else None

    def publish(self, document: Mapping[str, Any], token: str) -> Mapping[str, Any]:
        """Publish a version (sent once: the caller reads whether a lost answer took)."""
        body = self.rest.call_json(
            "POST",
            "/v0/publish",
            f"publishing {document.get('name')} version {document.get('version')} to the "
            "MCP Registry",
            json=dict(document),
            headers={"Authorization": f"Bearer {token}"},
            once=True,
        )
        server = body.get("server")
        return server if isinstance(server, Mapping) else {}
