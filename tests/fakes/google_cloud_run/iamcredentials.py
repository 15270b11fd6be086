"""IAM Credentials ``generateAccessToken``: a federated principal impersonates a service
account it is bound to (``roles/iam.workloadIdentityUser``)."""

from __future__ import annotations

import json

import httpx

from ..server import json_response
from .envelope import error
from .state import GoogleState

__all__ = ["IamCredentials"]


class IamCredentials(GoogleState):
    """generateAccessToken over the shared state."""

    def _generate(self, request: httpx.Request, path: str) -> httpx.Response:
        email = path.removeprefix("/v1/projects/-/serviceAccounts/").removesuffix(
            ":generateAccessToken"
        )
        caller = self.tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if caller is None:
            return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        body = json.loads(request.content or b"null")
        if not isinstance(body, dict) or set(body) - {"scope", "lifetime", "delegates"}:
            return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        provider = self.service_accounts.get(email)
        if provider is None or not caller.startswith(f"principal://{provider}/"):
            return error(
                403,
                "PERMISSION_DENIED",
                "Permission 'iam.serviceAccounts.getAccessToken' denied on resource "
                "(or it may not exist).",
                reason="IAM_PERMISSION_DENIED",
                domain="iam.googleapis.com",
                metadata={"permission": "iam.serviceAccounts.getAccessToken"},
            )
        return json_response(
            200, {"accessToken": self._mint(email), "expireTime": "2030-01-01T00:00:00Z"}
        )
