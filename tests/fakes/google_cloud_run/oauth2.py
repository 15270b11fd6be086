"""The oauth2 token endpoint ``/token``: the JWT-bearer grant of a service-account key,
its RS256 signature checked against the public keys registered in ``keys``; the
refresh-token grant of a person's Application Default Credentials (``authorized_user``),
checked against ``refresh_tokens`` (:meth:`OAuth2.add_user` signs one in)."""

from __future__ import annotations

import base64
import json
import secrets as _secrets
from typing import Any

import httpx

from ..server import json_response
from .state import GoogleState

__all__ = ["OAuth2"]


class OAuth2(GoogleState):
    """The oauth2 token endpoint over the shared state."""

    #: gcloud's own OAuth client, which application-default login uses.
    GCLOUD_CLIENT_ID = "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com"

    def add_user(self, email: str = "dev@example.com") -> dict[str, Any]:
        """Sign ``email`` in as ``gcloud auth application-default login`` does: the
        ``authorized_user`` JSON it writes."""
        refresh = "1//0g" + _secrets.token_urlsafe(40)
        secret = "d-FL95Q" + _secrets.token_urlsafe(12)
        with self._lock:
            self.refresh_tokens[refresh] = (self.GCLOUD_CLIENT_ID, secret, email)
        return {
            "account": "",
            "client_id": self.GCLOUD_CLIENT_ID,
            "client_secret": secret,
            "quota_project_id": "",
            "refresh_token": refresh,
            "type": "authorized_user",
            "universe_domain": "googleapis.com",
        }

    def revoke(self, refresh_token: str) -> None:
        with self._lock:
            self.refresh_tokens.pop(refresh_token, None)

    def _token(self, request: httpx.Request) -> httpx.Response:
        """``POST /token``: the form's grant_type picks the grant."""
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return json_response(400, {"error": "invalid_request"})
        form = dict(httpx.QueryParams(request.content.decode()))
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        return self._jwt_bearer(request)

    def _refresh(self, form: dict[str, str]) -> httpx.Response:
        with self._lock:
            known = self.refresh_tokens.get(form.get("refresh_token", ""))
        if known is None:
            return json_response(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        client_id, secret, email = known
        if form.get("client_id") != client_id or form.get("client_secret") != secret:
            return json_response(
                401, {"error": "invalid_client", "error_description": "Unauthorized"}
            )
        with self._lock:
            token = self._mint(email)
        return json_response(
            200,
            {
                "access_token": token,
                "expires_in": 3599,
                "scope": "openid https://www.googleapis.com/auth/cloud-platform "
                "https://www.googleapis.com/auth/userinfo.email",
                "token_type": "Bearer",
            },
        )

    def _jwt_bearer(self, request: httpx.Request) -> httpx.Response:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        form = dict(httpx.QueryParams(request.content.decode()))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return json_response(400, {"error": "unsupported_grant_type"})
        try:
            head, claims_part, signature = form.get("assertion", "").split(".")
            claims = json.loads(base64.urlsafe_b64decode(claims_part + "=="))
        except ValueError:
            return json_response(400, {"error": "invalid_grant", "error_description": "bad JWT"})
        pem = self.keys.get(str(claims.get("iss", "")))
        if pem is None:
            return json_response(
                400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            )
        key = serialization.load_pem_public_key(pem)
        assert isinstance(key, rsa.RSAPublicKey)
        try:
            key.verify(
                base64.urlsafe_b64decode(signature + "=="),
                f"{head}.{claims_part}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return json_response(
                400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            )
        if claims.get("aud") != "https://oauth2.googleapis.com/token":
            return json_response(
                400, {"error": "invalid_grant", "error_description": "Invalid JWT audience."}
            )
        if int(claims.get("exp", 0)) - int(claims.get("iat", 0)) > 3600:
            return json_response(
                400, {"error": "invalid_grant", "error_description": "Invalid JWT: exp too far"}
            )
        return json_response(
            200,
            {"access_token": self._mint(str(claims["iss"])), "expires_in": 3599,
             "token_type": "Bearer"},
        )  # fmt: skip
