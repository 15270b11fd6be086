"""IAM v1 (iam.googleapis.com): Workload Identity pools and OIDC providers, service accounts
and their IAM policies, and Resource Manager's ``GET v1/projects/<id>`` for the number.

What is created here is what the STS and iamcredentials fakes judge: a provider's
``attributeCondition`` (``assertion.X == 'v'`` joined by ``&&``, the form trust writes) becomes
the claims its tokens must carry, and a ``roles/iam.workloadIdentityUser`` binding of a pool's
``principalSet`` lets that pool's provider impersonate the service account. Creates answer a
long-running operation that is done.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from ..server import json_response
from .envelope import error
from .policy_versions import as_read, write_refusal
from .state import GoogleState

__all__ = ["IAM_ROUTE", "PROJECT_ROUTE", "IamAdmin", "condition_claims"]

IAM_ROUTE = re.compile(
    r"^/v1/projects/(?P<project>[^/:]+)/(?P<rest>(locations/global/workloadIdentityPools|"
    r"serviceAccounts)(/.*)?)$"
)
PROJECT_ROUTE = re.compile(r"^/v1/projects/(?P<project>[^/:]+)$")
_CLAIM = re.compile(r"^assertion\.([a-z_]+) == '((?:[^'\\]|\\.)*)'$")
#: What a create may write (the IAM v1 reference's fields; a provider's kinds other than
#: ``oidc`` are not kept here). An unknown name is refused; the output-only fields are
#: ignored, as Google ignores them (AIP-203).
_POOL_FIELDS = {"displayName", "description", "disabled", "mode", "sessionDuration"}
_PROVIDER_FIELDS = {
    "oidc", "attributeMapping", "attributeCondition", "displayName", "description", "disabled"
}  # fmt: skip
_OUTPUT_ONLY = {"name", "state", "expireTime"}


def _writable(body: Any, fields: set[str], kind: str) -> dict[str, Any] | httpx.Response:
    """The fields of ``body`` a create keeps, or Google's refusal of an unknown one."""
    if not isinstance(body, dict):
        return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    unknown = sorted(set(body) - fields - _OUTPUT_ONLY)
    if unknown:
        return error(
            400,
            "INVALID_ARGUMENT",
            f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at '{kind}': "
            "Cannot find field.",
        )
    return {k: v for k, v in body.items() if k in fields}


def condition_claims(condition: str) -> dict[str, str] | None:
    """The claims a condition of trust's form requires; None for any other form."""
    claims: dict[str, str] = {}
    for part in condition.split(" && "):
        match = _CLAIM.match(part.strip())
        if match is None:
            return None
        claims[match[1]] = match[2].replace("\\'", "'").replace("\\\\", "\\")
    return claims


def _done(name: str, resource: dict[str, Any]) -> httpx.Response:
    """The create's long-running operation, already done."""
    return json_response(
        200, {"name": f"{name}/operations/op-1", "done": True, "response": resource}
    )


class IamAdmin(GoogleState):
    """IAM admin over the shared state (``self.pools``, ``self.provider_bodies``,
    ``self.accounts``, ``self.account_policies``)."""

    def _number(self, project: str) -> str:
        if project.isdigit():
            return project
        return self.project_numbers.setdefault(project, str(100000000000 + len(project) * 7919))

    def _project(self, request: httpx.Request, project: str) -> httpx.Response:
        if self._caller(request) is None:
            return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        return json_response(
            200, {"projectId": project, "projectNumber": self._number(project), "name": project}
        )

    def _caller(self, request: httpx.Request) -> str | None:
        return self.tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))

    def _iam(self, request: httpx.Request, project: str, rest: str) -> httpx.Response:
        if self._caller(request) is None:
            return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        number = self._number(project)
        body: Any = json.loads(request.content) if request.content else {}
        if rest.startswith("serviceAccounts"):
            return self._accounts(request, project, rest.removeprefix("serviceAccounts"), body)
        base = f"projects/{number}/locations/global/workloadIdentityPools"
        parts = rest.removeprefix("locations/global/workloadIdentityPools").strip("/").split("/")
        method = request.method
        if parts == [""] and method == "POST":
            pool_id = request.url.params.get("workloadIdentityPoolId", "")
            kept = _writable(body, _POOL_FIELDS, "workload_identity_pool")
            if isinstance(kept, httpx.Response):
                return kept
            name = f"{base}/{pool_id}"
            if name in self.pools:
                return error(409, "ALREADY_EXISTS", f"Requested entity already exists: {name}")
            self.pools[name] = {**kept, "name": name, "state": "ACTIVE"}
            return _done(name, self.pools[name])
        if len(parts) == 1 and method == "GET":
            found_pool = self.pools.get(f"{base}/{parts[0]}")
            if found_pool is None:
                return error(404, "NOT_FOUND", "pool not found")
            return json_response(200, found_pool)
        if len(parts) == 2 and parts[1] == "providers" and method == "POST":
            pool = f"{base}/{parts[0]}"
            if pool not in self.pools:
                return error(404, "NOT_FOUND", f"{pool} not found")
            kept = _writable(body, _PROVIDER_FIELDS, "workload_identity_pool_provider")
            if isinstance(kept, httpx.Response):
                return kept
            name = f"{pool}/providers/{request.url.params.get('workloadIdentityPoolProviderId')}"
            if name in self.provider_bodies:
                return error(409, "ALREADY_EXISTS", f"Requested entity already exists: {name}")
            claims = condition_claims(str(kept.get("attributeCondition", "")))
            if claims is None:
                return error(400, "INVALID_ARGUMENT", "this fake reads trust's conditions only")
            self.provider_bodies[name] = {**kept, "name": name, "state": "ACTIVE"}
            self.providers[name] = claims
            return _done(name, self.provider_bodies[name])
        if len(parts) == 3 and parts[1] == "providers" and method == "GET":
            found = self.provider_bodies.get(f"{base}/{parts[0]}/providers/{parts[2]}")
            return json_response(200, found) if found else error(404, "NOT_FOUND", "not found")
        return error(404, "NOT_FOUND", f"no route {method} {rest}")

    def _accounts(
        self, request: httpx.Request, project: str, rest: str, body: Any
    ) -> httpx.Response:
        method = request.method
        if rest == "" and method == "POST":
            if not isinstance(body, dict) or set(body) - {"accountId", "serviceAccount"}:
                return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            email = f"{body.get('accountId')}@{project}.iam.gserviceaccount.com"
            if email in self.accounts:
                return error(409, "ALREADY_EXISTS", f"Service account {email} already exists.")
            self.accounts[email] = {"email": email, **body.get("serviceAccount", {})}
            return json_response(200, self.accounts[email])
        email, _, verb = rest.strip("/").partition(":")
        known = self.accounts.get(email) or (
            {"email": email} if email in self.service_accounts or email in self.keys else None
        )
        if known is None:
            return error(404, "NOT_FOUND", f"Unknown service account {email}")
        if not verb and method == "GET":
            return json_response(200, known)
        policy = self.account_policies.setdefault(email, {"bindings": [], "etag": "BwA1"})
        if verb == "getIamPolicy" and method == "POST":
            asked = request.url.params.get("options.requestedPolicyVersion")
            if asked is not None:  # the IAM API takes it as a query parameter
                body = {"options": {"requestedPolicyVersion": asked}}
            return json_response(200, as_read(policy, body))
        if verb == "setIamPolicy" and method == "POST":
            wanted = body.get("policy", {}) if isinstance(body, dict) else {}
            if wanted.get("etag") != policy["etag"]:
                return error(409, "ABORTED", "There were concurrent policy changes.")
            refused = write_refusal(policy, wanted)
            if refused is not None:
                return error(400, "INVALID_ARGUMENT", refused)
            bindings = list(wanted.get("bindings", []))
            number = int(policy["etag"].removeprefix("BwA")) + 1
            self.account_policies[email] = {"bindings": bindings, "etag": f"BwA{number}"}
            self._bind_pools(email, bindings)
            return json_response(
                200,
                as_read(self.account_policies[email], {"options": {"requestedPolicyVersion": 3}}),
            )
        return error(404, "NOT_FOUND", f"no route {method} {rest}")

    def _bind_pools(self, email: str, bindings: list[dict[str, Any]]) -> None:
        """A pool's principalSet bound as workloadIdentityUser: its provider may act as email."""
        for binding in bindings:
            if binding.get("role") != "roles/iam.workloadIdentityUser":
                continue
            for member in binding.get("members", []):
                pool = str(member).removeprefix("principalSet://iam.googleapis.com/")
                pool = pool.split("/attribute.", 1)[0]
                for provider in self.providers:
                    if provider.startswith(pool + "/providers/"):
                        self.service_accounts[email] = provider
