"""The oauth2 token endpoint ``/token``: the JWT-bearer grant of a service-account key,
its RS256 signature checked against the public keys registered in ``keys``."""

from __future__ import annotations

import base64
import json

import httpx

from ..server import json_response
from .state import GoogleState

__all__ = ["OAuth2"]


class OAuth2(GoogleState):
    """The oauth2 token endpoint over the shared state."""

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
