"""A Cognito-like token endpoint, ``POST <base>/oauth2/token``: ``client_credentials`` with
HTTP Basic auth, ``refresh_token`` with the public ``client_id``; JWT-shaped access tokens
carrying ``exp``, signed so the GraphQL API can tell which it issued."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import uuid
from typing import Any
from urllib.parse import parse_qs

import httpx

from ..server import json_response
from .state import DEFAULT_CLIENT_ID, PUBLIC_CLIENT_ID, PmcpRunState, iso_time


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenEndpoint(PmcpRunState):
    """The token endpoint, and the tokens a test hands the deploy directly."""

    def issue_user_tokens(
        self, *, username: str = "dev@example.com", expires_in: int = 3600
    ) -> dict[str, str]:
        """Tokens as ``cargo pmcp deploy login`` would store them (expires_in may be < 0)."""
        with self._lock:
            now = self.clock()
            refresh = "rt-" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = username
            access = self._mint(sub=username, client_id=PUBLIC_CLIENT_ID, now=now, ttl=expires_in)
            id_token = self._mint(
                sub=username, client_id=PUBLIC_CLIENT_ID, now=now, ttl=expires_in, use="id"
            )
            return {
                "access_token": access,
                "refresh_token": refresh,
                "id_token": id_token,
                "expires_at": iso_time(now + expires_in),
            }

    def credentials_toml(self, **kwargs: Any) -> str:
        """A whole ``~/.pmcp/credentials.toml`` content for :meth:`issue_user_tokens`."""
        tokens = self.issue_user_tokens(**kwargs)
        lines = ["[pmcp-run]"] + [f'{key} = "{value}"' for key, value in tokens.items()]
        return "\n".join(lines) + "\n"

    def mint_access_token(self, *, ttl: int = 3600, client_id: str = DEFAULT_CLIENT_ID) -> str:
        with self._lock:
            return self._mint(sub=client_id, client_id=client_id, now=self.clock(), ttl=ttl)

    def _mint(self, *, sub: str, client_id: str, now: float, ttl: int, use: str = "access") -> str:
        jti = uuid.uuid4().hex
        claims = {
            "sub": sub,
            "client_id": client_id,
            "token_use": use,
            "scope": "pmcp/deploy",
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_FAKEPOOL",
            "iat": int(now),
            "exp": int(now + ttl),
            "jti": jti,
        }
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "fake"}).encode())
        payload = _b64url(json.dumps(claims).encode())
        signature = hmac.new(self._signing_key, f"{header}.{payload}".encode(), "sha256").digest()
        self.issued[jti] = claims
        return f"{header}.{payload}.{_b64url(signature)}"

    def _verify(self, token: str) -> tuple[dict[str, Any] | None, str]:
        """Claims of a token this fake issued, or None and AppSync's message."""
        parts = token.split(".")
        if len(parts) != 3:
            return None, "Unable to parse JWT token."
        expected = hmac.new(self._signing_key, f"{parts[0]}.{parts[1]}".encode(), "sha256").digest()
        try:
            valid = hmac.compare_digest(_b64url_decode(parts[2]), expected)
            claims = json.loads(_b64url_decode(parts[1]))
        except (ValueError, binascii.Error):
            return None, "Unable to parse JWT token."
        if not valid or claims.get("jti") not in self.issued:
            return None, "Valid authorization header not provided."
        if claims.get("token_use") != "access":
            return None, "Valid authorization header not provided."
        if claims["exp"] <= self.clock():
            return None, "Token has expired."
        return claims, ""

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return json_response(405, {"error": "invalid_request"})
        content_type = request.headers.get("Content-Type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return json_response(400, {"error": "invalid_request"})
        form = {
            k: v[0] for k, v in parse_qs(request.content.decode(), keep_blank_values=True).items()
        }
        self.token_requests.append({k: v for k, v in form.items() if "token" not in k})
        grant = form.get("grant_type", "")
        now = self.clock()
        if grant == "client_credentials":
            client_id, secret = self._basic_auth(request)
            if client_id is None or self.clients.get(client_id) != secret:
                return json_response(400, {"error": "invalid_client"})
            if "scope" in form and form["scope"] != "pmcp/deploy":
                return json_response(400, {"error": "invalid_scope"})
            token = self._mint(sub=client_id, client_id=client_id, now=now, ttl=self.token_ttl)
            return json_response(
                200, {"access_token": token, "expires_in": self.token_ttl, "token_type": "Bearer"}
            )
        if grant == "refresh_token":
            if form.get("client_id") != PUBLIC_CLIENT_ID:
                return json_response(400, {"error": "invalid_client"})
            username = self.refresh_tokens.get(form.get("refresh_token", ""))
            if username is None:
                return json_response(400, {"error": "invalid_grant"})
            access = self._mint(
                sub=username, client_id=PUBLIC_CLIENT_ID, now=now, ttl=self.token_ttl
            )
            id_token = self._mint(
                sub=username, client_id=PUBLIC_CLIENT_ID, now=now, ttl=self.token_ttl, use="id"
            )
            return json_response(
                200,
                {
                    "access_token": access,
                    "id_token": id_token,
                    "expires_in": self.token_ttl,
                    "token_type": "Bearer",
                },
            )
        return json_response(400, {"error": "unsupported_grant_type"})

    @staticmethod
    def _basic_auth(request: httpx.Request) -> tuple[str | None, str]:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None, ""
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (ValueError, binascii.Error):
            return None, ""
        client_id, sep, secret = decoded.partition(":")
        return (client_id, secret) if sep else (None, "")
