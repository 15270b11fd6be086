"""Google STS ``/v1/token``: the RFC 8693 token exchange of Workload Identity Federation.

Our JSON body and google-auth's form (snake_case) are both taken; an unknown field is
refused. The provider's attribute condition is a set of claims the subject token must carry.
"""

from __future__ import annotations

import base64
import json

import httpx

from ..server import json_response
from .state import GoogleState

__all__ = ["Sts"]


class Sts(GoogleState):
    """STS over the shared state."""

    def _sts(self, request: httpx.Request) -> httpx.Response:
        fields = {
            "grantType", "audience", "scope", "requestedTokenType", "subjectToken",
            "subjectTokenType", "options",
        }  # fmt: skip
        if request.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(request.content or b"null")
        else:  # google-auth's RFC 8693 form, snake_case
            form = dict(httpx.QueryParams(request.content.decode()))
            body = {"".join(w.title() if i else w for i, w in enumerate(k.split("_"))): v
                    for k, v in form.items()}  # fmt: skip
        if not isinstance(body, dict) or set(body) - fields:
            return json_response(
                400, {"error": "invalid_request", "error_description": "unknown field"}
            )
        if body.get("grantType") != "urn:ietf:params:oauth:grant-type:token-exchange":
            return json_response(400, {"error": "unsupported_grant_type"})
        provider = str(body.get("audience", "")).removeprefix("//iam.googleapis.com/")
        condition = self.providers.get(provider)
        if condition is None:
            return json_response(
                400, {"error": "invalid_target", "error_description": "provider not found"}
            )
        try:
            payload = str(body.get("subjectToken", "")).split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            return json_response(400, {"error": "invalid_grant", "error_description": "not a JWT"})
        if any(claims.get(k) != v for k, v in condition.items()):
            return json_response(
                400,
                {
                    "error": "unauthorized_client",
                    "error_description": "The given credential is rejected by the attribute "
                    "condition.",
                },
            )
        token = self._mint(f"principal://{provider}/subject/{claims.get('sub', '')}")
        return json_response(
            200,
            {
                "access_token": token,
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "token_type": "Bearer",
                "expires_in": 3600,
            },
        )
