"""Cloud Resource Manager v1 and v3: a project's IAM policy (``getIamPolicy``,
``setIamPolicy`` with its etag) and ``testIamPermissions``, answered for the caller's access
token from the roles the policy binds to it (:data:`ROLE_PERMISSIONS`, Google's role
reference, cut to the permissions of Cloud Run deploys). The three methods take and answer
the same bodies in both versions; v3 is the one google-cloud-resource-manager speaks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import httpx

from ..server import json_response
from .envelope import error
from .policy_versions import as_read, write_refusal
from .state import GoogleState

__all__ = ["CRM_ROUTE", "ROLE_PERMISSIONS", "ResourceManager"]

CRM_ROUTE = re.compile(r"^/v[13]/projects/([^/:]+):(testIamPermissions|getIamPolicy|setIamPolicy)$")

#: What each role grants (only the permissions a Cloud Run deploy touches).
ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = {
    "roles/run.admin": frozenset(
        {
            "run.services.get", "run.services.list", "run.services.create",
            "run.services.update", "run.services.delete", "run.services.getIamPolicy",
            "run.services.setIamPolicy", "run.revisions.get", "run.revisions.list",
        }
    ),
    "roles/run.developer": frozenset(
        {"run.services.get", "run.services.list", "run.services.create", "run.services.update"}
    ),
    "roles/artifactregistry.admin": frozenset(
        {
            "artifactregistry.repositories.get", "artifactregistry.repositories.create",
            "artifactregistry.repositories.uploadArtifacts",
            "artifactregistry.repositories.downloadArtifacts",
        }
    ),
    "roles/artifactregistry.writer": frozenset(
        {
            "artifactregistry.repositories.get",
            "artifactregistry.repositories.uploadArtifacts",
            "artifactregistry.repositories.downloadArtifacts",
        }
    ),
    "roles/secretmanager.admin": frozenset(
        {
            "secretmanager.secrets.create", "secretmanager.secrets.get",
            "secretmanager.secrets.list", "secretmanager.secrets.update",
            "secretmanager.versions.add", "secretmanager.versions.access",
        }
    ),
    "roles/logging.viewer": frozenset({"logging.logEntries.list"}),
    "roles/iam.serviceAccountUser": frozenset({"iam.serviceAccounts.actAs"}),
}  # fmt: skip


class ResourceManager(GoogleState):
    """Project IAM over the shared state (``self.project_policies``)."""

    def _resource_manager(self, request: httpx.Request, project: str, verb: str) -> httpx.Response:
        caller = self.tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if caller is None:
            return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        body = json.loads(request.content or b"{}")
        policy = self.project_policies.setdefault(project, {"bindings": [], "etag": "BwY1"})
        if verb == "testIamPermissions":
            if not isinstance(body, dict) or set(body) - {"permissions"}:
                return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            members = {f"serviceAccount:{caller}", f"user:{caller}", caller}
            granted: set[str] = set()
            for binding in policy["bindings"]:
                if members & set(binding["members"]):
                    granted |= ROLE_PERMISSIONS.get(binding["role"], frozenset())
            held = [p for p in body.get("permissions", []) if p in granted]
            return json_response(200, {"permissions": held} if held else {})
        if verb == "getIamPolicy":
            return json_response(200, as_read(policy, body))
        wanted = body.get("policy", {}) if isinstance(body, dict) else {}
        if wanted.get("etag") != policy["etag"]:
            return error(409, "ABORTED", "There were concurrent policy changes.")
        refused = write_refusal(policy, wanted)
        if refused is not None:
            return error(400, "INVALID_ARGUMENT", refused)
        number = int(policy["etag"].removeprefix("BwY")) + 1
        self.project_policies[project] = {
            "bindings": list(wanted.get("bindings", [])),
            "etag": f"BwY{number}",
        }
        return json_response(
            200, as_read(self.project_policies[project], {"options": {"requestedPolicyVersion": 3}})
        )

    def grant_role(self, project: str, role: str, member: str) -> None:
        """Bind ``role`` to ``member`` on ``project`` (a test's own setup)."""
        policy = self.project_policies.setdefault(project, {"bindings": [], "etag": "BwY1"})
        for binding in policy["bindings"]:
            if binding["role"] == role:
                binding["members"].append(member)
                return
        policy["bindings"].append({"role": role, "members": [member]})
