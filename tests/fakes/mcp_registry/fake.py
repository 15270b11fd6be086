"""A stateful contract fake of the MCP Registry's API: GitHub OIDC sign-in, publish, reads.

Routes (each also under ``/v0.1`` where the registry has both):

- ``POST /v0/auth/github-oidc`` ``{"oidc_token"}``: the token is verified as the registry
  verifies GitHub's (RS256 against the issuer's key, issuer, audience = this registry's URL,
  a ``repository_owner`` claim) and exchanged for a registry token that may publish
  ``io.github.<repository_owner>/*`` for five minutes;
- ``POST /v0/publish``: ``Authorization: Bearer <registry token>``; the document checked
  against the schema (422) and the registry's own rules (400, :mod:`.rules`); a version is
  immutable (400 "invalid version: cannot publish duplicate version"); a remote URL another
  server lists is refused;
- ``GET /v0.1/servers/{name}/versions/{version|latest}``, ``GET /v0.1/servers/{name}/versions``,
  ``GET /v0.1/servers?search=``: reads, no sign-in; ``GET /v0/health``.

Errors are problem documents (``application/problem+json``: title, status, detail, errors),
404s of the read API included. ``official=False`` stands for a private registry (the
``registry-url`` of a self-hosted one): the schema's rules only, so a remote on a loopback
emulator may be published.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
import jwt

from ..oidc_issuer import GITHUB_ISSUER, verify_token
from ..server import FakeBase
from .rules import PUBLISHER_META, schema_violations, semantic_violations

__all__ = ["FakeMcpRegistry", "PublishedVersion"]

OFFICIAL_META = "io.modelcontextprotocol.registry/official"
TOKEN_SECONDS = 300
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def problem(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return httpx.Response(
        status,
        headers={"Content-Type": "application/problem+json"},
        content=json.dumps(body).encode(),
    )


def ok(payload: Any) -> httpx.Response:
    return httpx.Response(
        200, headers={"Content-Type": "application/json"}, content=json.dumps(payload).encode()
    )


@dataclass
class PublishedVersion:
    server: dict[str, Any]
    published_at: str
    #: The order versions arrived in (the tie-breaker of "latest" for non-semver versions).
    sequence: int
    status: str = "active"


@dataclass(frozen=True)
class Grant:
    patterns: tuple[str, ...]
    expires_at: int
    subject: str


def _sort_key(entry: PublishedVersion) -> tuple[int, tuple[int, int, int], int, int]:
    match = _SEMVER.match(str(entry.server["version"]))
    if match is None:
        return (0, (0, 0, 0), 0, entry.sequence)
    numbers = (int(match[1]), int(match[2]), int(match[3]))
    return (1, numbers, 0 if match[4] else 1, entry.sequence)


@dataclass
class _State:
    servers: dict[str, list[PublishedVersion]] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    sequence: int = 0


class FakeMcpRegistry(FakeBase):
    """The registry's API with its state: servers, versions, registry tokens."""

    name = "mcp-registry"

    def __init__(
        self,
        *,
        official: bool = True,
        audience: str | None = None,
        issuer: str = GITHUB_ISSUER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.official = official
        #: The audience a GitHub ID token must carry; None: this registry's own URL.
        self.audience = audience
        self.issuer = issuer
        self.clock = clock
        self.state = _State()

    # --- state for tests ------------------------------------------------------------------
    @property
    def tokens(self) -> list[str]:
        """Every registry token issued (for the tests' secret scans)."""
        with self._lock:
            return list(self.state.grants)

    def versions(self, name: str) -> list[str]:
        with self._lock:
            return [str(v.server["version"]) for v in self.state.servers.get(name, [])]

    def entry(self, name: str, version: str) -> dict[str, Any] | None:
        with self._lock:
            for published in self.state.servers.get(name, []):
                if published.server["version"] == version:
                    return published.server
        return None

    def seed(self, document: Mapping[str, Any]) -> None:
        """A version published by someone else (no checks), e.g. with another remote."""
        with self._lock:
            self._store(dict(document))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                name: [v.server for v in versions] for name, versions in self.state.servers.items()
            }

    def reset_state(self) -> None:
        self.state = _State()

    # --- HTTP -------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        raw = request.url.raw_path.decode("ascii").split("?", 1)[0]
        parts = [unquote(part) for part in raw.strip("/").split("/")]
        if len(parts) < 2 or parts[0] not in ("v0", "v0.1"):
            return problem(404, "Not Found", "no such endpoint")
        route = parts[1:]
        method = request.method
        with self._lock:
            if method == "GET" and route == ["health"]:
                return ok({"status": "ok", "github_client_id": "fake"})
            if method == "POST" and route == ["auth", "github-oidc"]:
                return self._sign_in(request)
            if method == "POST" and route == ["publish"]:
                return self._publish(request)
            if method == "GET" and route[:1] == ["servers"]:
                return self._read(request, route[1:])
        return problem(405 if route else 404, "Method Not Allowed", f"{method} {raw}")

    def _audience(self, request: httpx.Request) -> str:
        if self.audience is not None:
            return self.audience
        url = request.url
        default = {"http": 80, "https": 443}.get(url.scheme)
        port = f":{url.port}" if url.port and url.port != default else ""
        return f"{url.scheme}://{url.host}{port}"

    def _json(self, request: httpx.Request) -> tuple[Any, httpx.Response | None]:
        try:
            return json.loads(request.content or b"null"), None
        except ValueError:
            return None, problem(400, "Bad Request", "request body is not valid JSON")

    def _sign_in(self, request: httpx.Request) -> httpx.Response:
        body, error = self._json(request)
        if error is not None:
            return error
        if not isinstance(body, Mapping) or set(body) != {"oidc_token"}:
            return problem(
                422,
                "Unprocessable Entity",
                "validation failed",
                [{"location": "body", "message": "expected exactly the property oidc_token"}],
            )
        token = str(body["oidc_token"])
        audience = self._audience(request)
        try:
            claims = verify_token(token, audience, issuer=self.issuer)
        except jwt.InvalidAudienceError:
            unverified = jwt.decode(token, options={"verify_signature": False})
            return problem(
                401,
                "Unauthorized",
                "Token exchange failed",
                [
                    {
                        "message": f"failed to validate OIDC token: invalid audience: expected "
                        f"{audience}, got {unverified.get('aud')}"
                    }
                ],
            )
        except jwt.InvalidTokenError as exc:
            return problem(
                401,
                "Unauthorized",
                "Token exchange failed",
                [{"message": f"failed to validate OIDC token: {exc}"}],
            )
        owner = str(claims.get("repository_owner") or "")
        if not owner:
            return problem(
                401,
                "Unauthorized",
                "Token exchange failed",
                [{"message": "repository owner claim is required"}],
            )
        registry_token = "mcpreg_" + secrets.token_urlsafe(32)
        expires = int(self.clock()) + TOKEN_SECONDS
        self.state.grants[registry_token] = Grant((f"io.github.{owner}/*",), expires, claims["sub"])
        return ok({"registry_token": registry_token, "expires_at": expires})

    def _grant(self, request: httpx.Request) -> Grant | httpx.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return problem(
                401,
                "Unauthorized",
                "Invalid Authorization header format. Expected 'Bearer <token>'",
            )
        grant = self.state.grants.get(token.strip())
        if grant is None or grant.expires_at <= self.clock():
            return problem(401, "Unauthorized", "Invalid or expired Registry JWT token")
        return grant

    def _publish(self, request: httpx.Request) -> httpx.Response:
        grant = self._grant(request)
        if isinstance(grant, httpx.Response):
            return grant
        body, error = self._json(request)
        if error is not None:
            return error
        violations = schema_violations(body)
        if violations:
            return problem(
                422,
                "Unprocessable Entity",
                "validation failed",
                [violation.to_json() for violation in violations],
            )
        name = str(body["name"])
        if not any(_matches(name, pattern) for pattern in grant.patterns):
            return problem(
                403,
                "Forbidden",
                "You do not have permission to publish this server. You have permission to "
                f"publish: {', '.join(grant.patterns)}. Attempting to publish: {name}",
            )
        failures = semantic_violations(body, official=self.official)
        version = str(body["version"])
        if any(v.server["version"] == version for v in self.state.servers.get(name, [])):
            failures.append("invalid version: cannot publish duplicate version")
        for remote in body.get("remotes", []):
            for other, versions in self.state.servers.items():
                if other != name and any(
                    remote.get("url") == listed.get("url")
                    for v in versions
                    for listed in v.server.get("remotes", [])
                ):
                    failures.append(
                        f"remote URL {remote.get('url')} is already used by server {other}"
                    )
        if failures:
            return problem(
                400,
                "Bad Request",
                "Failed to publish server",
                [{"message": failure} for failure in failures],
            )
        document = dict(body)
        meta = document.get("_meta")
        if isinstance(meta, Mapping):  # only the publisher's own metadata is kept
            kept = {k: v for k, v in meta.items() if k == PUBLISHER_META}
            document["_meta"] = kept
            if not kept:
                del document["_meta"]
        return ok(self._response(name, self._store(document)))

    def _store(self, document: dict[str, Any]) -> PublishedVersion:
        self.state.sequence += 1
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))
        published = PublishedVersion(document, stamp, self.state.sequence)
        self.state.servers.setdefault(str(document["name"]), []).append(published)
        return published

    def _latest(self, name: str) -> PublishedVersion | None:
        active = [v for v in self.state.servers.get(name, []) if v.status != "deleted"]
        return max(active, key=_sort_key) if active else None

    def _response(self, name: str, published: PublishedVersion) -> dict[str, Any]:
        return {
            "server": published.server,
            "_meta": {
                OFFICIAL_META: {
                    "status": published.status,
                    "publishedAt": published.published_at,
                    "updatedAt": published.published_at,
                    "isLatest": self._latest(name) is published,
                }
            },
        }

    def _read(self, request: httpx.Request, route: list[str]) -> httpx.Response:
        if not route:
            search = request.url.params.get("search", "")
            listed = [
                self._response(name, latest)
                for name in sorted(self.state.servers)
                if search in name and (latest := self._latest(name)) is not None
            ]
            return ok({"servers": listed, "metadata": {"count": len(listed)}})
        name = route[0]
        versions = self.state.servers.get(name)
        if not versions:
            return problem(404, "Not Found", "Server not found")
        if len(route) == 1:
            latest = self._latest(name)
            if latest is None:
                return problem(404, "Not Found", "Server not found")
            return ok(self._response(name, latest))
        if route[1:] == ["versions"]:
            newest_first = sorted(versions, key=lambda v: v.sequence, reverse=True)
            listed = [self._response(name, v) for v in newest_first]
            return ok({"servers": listed, "metadata": {"count": len(listed)}})
        if len(route) == 3 and route[1] == "versions":
            wanted = route[2]
            found = (
                self._latest(name)
                if wanted == "latest"
                else next((v for v in versions if v.server["version"] == wanted), None)
            )
            if found is None or found.status == "deleted":
                return problem(404, "Not Found", "Server not found")
            return ok(self._response(name, found))
        return problem(404, "Not Found", "no such endpoint")


def _matches(name: str, pattern: str) -> bool:
    return name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern
