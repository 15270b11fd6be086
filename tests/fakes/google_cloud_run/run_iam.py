"""Cloud Run v2 ``:getIamPolicy`` / ``:setIamPolicy``: the etag checked, an organisation
policy that refuses ``allUsers`` on request (``org_policy_blocks_all_users``)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from ..server import json_response
from .envelope import error
from .run_resources import Service
from .state import GoogleState

__all__ = ["CloudRunIam", "public"]


class CloudRunIam(GoogleState):
    """Cloud Run's IAM policy calls over the shared state."""

    def _set_policy(self, request: httpx.Request, service: Service) -> httpx.Response:
        body = json.loads(request.content or b"null")
        if not isinstance(body, dict) or set(body) - {"policy", "updateMask"}:
            return error(400, "INVALID_ARGUMENT", "unknown field in SetIamPolicyRequest")
        policy = body.get("policy") or {}
        if policy.get("etag") and policy["etag"] != service.policy.get("etag"):
            return error(409, "ABORTED", "There were concurrent policy changes.")
        members = {m for b in policy.get("bindings", []) for m in b.get("members", [])}
        if "allUsers" in members and self.org_policy_blocks_all_users:
            return error(
                400,
                "FAILED_PRECONDITION",
                "One or more users named in the policy do not belong to a permitted customer.",
            )
        etag = base64.b64encode(b"\x07\x06" + next(self._ids).to_bytes(4, "big")).decode()
        service.policy = {**policy, "etag": etag, "version": 1}
        return json_response(200, service.policy)


def public(policy: dict[str, Any]) -> bool:
    """``allUsers`` holds ``roles/run.invoker`` in ``policy``."""
    return any(
        b.get("role") == "roles/run.invoker" and "allUsers" in (b.get("members") or ())
        for b in policy.get("bindings") or ()
    )
