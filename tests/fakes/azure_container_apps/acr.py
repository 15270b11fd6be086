"""ACR management under ARM: registries, their admin credentials, AcrPull role assignments.

Mounted by :class:`~.arm.ArmBase` (``arm.acr``), two faces:

* **ARM** (``Microsoft.ContainerRegistry``, api-versions :data:`REGISTRY_VERSIONS`):
  ``GET/PUT/PATCH …/registries/<name>`` (the PUT an async operation; names checked, a
  ``taken`` set answers 409 ``AlreadyInUse``; the provider must be registered), the
  subscription's registry list, ``POST …/listCredentials`` (only with ``adminUserEnabled``);
  and ``Microsoft.Authorization`` role assignments on a registry (``GET/PUT …/roleAssignments/
  <guid>``, ``refuse_role_assignments`` answers 403 ``AuthorizationFailed`` as for a
  Contributor, ``principal_lag`` answers ``PrincipalNotFound`` for a new identity that many
  times).
* **The login server** (``login``, :mod:`.acr_login`).

A revision whose image is on one of these login servers is pulled as Container Apps does
(:meth:`FakeAcr.pull_refusal`): with the app's identity holding AcrPull on the registry, or
the admin user and a secret holding its password; otherwise it fails to provision. ACR
Tasks endpoints live in :mod:`.acr_tasks`.
"""

from __future__ import annotations

import json
import re
import secrets as _secrets
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ..server import json_response
from .acr_login import ACR_USER, AcrLoginServer, LoginBackend

if TYPE_CHECKING:
    from ..registry_token import FakeRegistryTokenServer
    from .arm import ArmBase

__all__ = ["ACR_PULL", "ACR_USER", "AUTHORIZATION_VERSIONS", "REGISTRY_VERSIONS", "FakeAcr"]

REGISTRY_VERSIONS = frozenset({"2019-05-01", "2023-07-01", "2025-11-01"})
AUTHORIZATION_VERSIONS = frozenset({"2020-04-01-preview", "2022-04-01"})
ACR_PULL = "7f951dba-4ed5-480c-a3a5-b6fc5d2a7f82"
_NAME = re.compile(r"^[A-Za-z0-9]{5,50}$")
_REGISTRY_FIELDS = frozenset({"location", "tags", "sku", "properties", "identity"})
_REGISTRY_PROPERTIES = frozenset(
    {"adminUserEnabled", "publicNetworkAccess", "policies", "anonymousPullEnabled"}
)


def _failure(status: int, code: str, message: str) -> httpx.Response:
    return json_response(status, {"error": {"code": code, "message": message}})


class FakeAcr(AcrLoginServer):
    """Registries, role assignments and login servers of one fake subscription."""

    def __init__(self, arm: ArmBase) -> None:
        self.arm = arm
        #: How a registry's loginServer is spelled (a loopback host for served fakes).
        self.login_server_for: Callable[[str], str] = lambda name: f"{name.lower()}.azurecr.io"
        #: Sign access tokens for a real docker-registry (None: in-memory registries).
        self.signer: FakeRegistryTokenServer | None = None
        #: Called with the image and the revision's environment (its secrets resolved) after
        #: a revision pulled it (a container test runs it).
        self.on_pull: Callable[[str, dict[str, str]], None] | None = None
        self.reset_state()

    def reset_state(self) -> None:
        self.passwords: dict[str, list[str]] = {}  # registry id (lower) -> admin passwords
        self.assignments: dict[str, dict[str, Any]] = {}  # assignment id (lower) -> resource
        self.principals: set[str] = set()
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> login server
        self.backends: dict[str, LoginBackend] = {}
        self.taken: set[str] = set()
        self.refuse_role_assignments = False
        self.principal_lag = 0
        self.exchanges: list[dict[str, str]] = []
        #: (user, password) the token service takes for any service (a test's own pushes
        #: and pulls, e.g. the base image, before the action made the registry).
        self.test_logins: set[tuple[str, str]] = set()

    # --- ARM ----------------------------------------------------------------------------------
    @staticmethod
    def versions(low_path: str) -> frozenset[str] | None:
        """The api-versions a path takes, None when it is not one of these resources."""
        if "/providers/microsoft.authorization/" in low_path:
            return AUTHORIZATION_VERSIONS
        if "/providers/microsoft.containerregistry/registries" in low_path:
            return REGISTRY_VERSIONS
        return None

    def route(self, request: httpx.Request, parts: list[str]) -> httpx.Response | None:
        """ARM under the subscription (``parts`` after it), None for other resources."""
        lowered = [p.lower() for p in parts]
        if "microsoft.authorization" in lowered:
            at = lowered.index("microsoft.authorization")
            if lowered[at + 1 : at + 2] == ["roleassignments"] and len(parts) == at + 3:
                return self._assignment(request, parts[: at - 1], parts[at + 2])
            return None
        if lowered[:3] == ["providers", "microsoft.containerregistry", "registries"]:
            if len(parts) == 3 and request.method == "GET":
                return json_response(200, {"value": self.registries()})
            return None
        if len(parts) >= 6 and lowered[2:5] == [
            "providers",
            "microsoft.containerregistry",
            "registries",
        ]:
            return self._registry(request, parts[1], parts[5], parts[6:])
        return None

    def _rid(self, group: str, name: str) -> str:
        return (
            f"/subscriptions/{self.arm.subscription}/resourceGroups/{group}"
            f"/providers/Microsoft.ContainerRegistry/registries/{name}"
        )

    def _registry(
        self, request: httpx.Request, group: str, name: str, sub: list[str]
    ) -> httpx.Response:
        if group.lower() not in self.arm.groups:
            return _failure(404, "ResourceGroupNotFound", f"Resource group '{group}' not found.")
        rid = self._rid(group, name)
        key = rid.lower()
        registry = self.arm.resources.get(key)
        if sub:
            if registry is None:
                return _failure(404, "ResourceNotFound", f"Registry '{name}' was not found.")
            if sub == ["listCredentials"] and request.method == "POST":
                if not registry["properties"]["adminUserEnabled"]:
                    return _failure(
                        400,
                        "AdminUserDisabled",
                        f"Admin user is disabled for the registry '{name}'.",
                    )
                values = self.passwords[key]
                return json_response(
                    200,
                    {
                        "username": registry["name"],
                        "passwords": [
                            {"name": "password", "value": values[0]},
                            {"name": "password2", "value": values[1]},
                        ],
                    },
                )
            return _failure(404, "NotFound", "/".join(sub))
        if request.method == "GET":
            if registry is None:
                return _failure(
                    404,
                    "ResourceNotFound",
                    f"The Resource 'Microsoft.ContainerRegistry/registries/{name}' under "
                    f"resource group '{group}' was not found.",
                )
            return json_response(200, registry)
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            return _failure(400, "InvalidRequestContent", "The body is not JSON.")
        unknown = sorted(set(body) - _REGISTRY_FIELDS) or sorted(
            set(body.get("properties") or {}) - _REGISTRY_PROPERTIES
        )
        if unknown:
            return _failure(400, "InvalidRequestContent", f"Could not find member '{unknown[0]}'.")
        if request.method == "PATCH":
            if registry is None:
                return _failure(404, "ResourceNotFound", f"Registry '{name}' was not found.")
            enabled = (body.get("properties") or {}).get("adminUserEnabled")
            if enabled is not None:
                registry["properties"]["adminUserEnabled"] = bool(enabled)
            if "tags" in body:
                registry["tags"] = body["tags"]
            return json_response(200, registry)
        if request.method != "PUT":
            return _failure(405, "MethodNotAllowed", "")
        if self.arm.providers.get("Microsoft.ContainerRegistry") != "Registered":
            return _failure(
                409,
                "MissingSubscriptionRegistration",
                "The subscription is not registered to use namespace "
                "'Microsoft.ContainerRegistry'.",
            )
        if not _NAME.match(name):
            return _failure(
                400,
                "RegistryNameInvalid",
                "Registry names may contain only alpha numeric characters and must be "
                "between 5 and 50 characters.",
            )
        if registry is None and name.lower() in self.taken:
            return _failure(
                409,
                "AlreadyInUse",
                f"The registry DNS name {name.lower()}.azurecr.io is already in use.",
            )
        sku = (body.get("sku") or {}).get("name")
        if sku not in ("Basic", "Standard", "Premium") or not isinstance(body.get("location"), str):
            return _failure(400, "InvalidRequestContent", "location and sku.name are required.")
        login_server = self.login_server_for(name)
        props = body.get("properties") or {}
        self.arm.resources[key] = {
            "id": rid,
            "name": name,
            "type": "Microsoft.ContainerRegistry/registries",
            "location": body["location"],
            "tags": body.get("tags", {}),
            "sku": {"name": sku, "tier": sku},
            "properties": {
                "loginServer": login_server,
                "adminUserEnabled": bool(props.get("adminUserEnabled", False)),
                "provisioningState": "Creating",
                "creationDate": "2026-12-02T00:00:00Z",
            },
        }
        self.passwords.setdefault(key, [_secrets.token_urlsafe(24), _secrets.token_urlsafe(24)])
        if self.signer is None:
            self.backends.setdefault(
                login_server.lower(), LoginBackend(host=login_server, auth="bearer")
            )
        return self.arm._written(rid, key, created=registry is None, api_version="2023-07-01")

    def _assignment(
        self, request: httpx.Request, scope_parts: list[str], name: str
    ) -> httpx.Response:
        scope = f"/subscriptions/{self.arm.subscription}/" + "/".join(scope_parts)
        aid = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        key = aid.lower()
        found = self.assignments.get(key)
        if request.method == "GET":
            if found is None:
                return _failure(404, "RoleAssignmentNotFound", f"'{name}' was not found.")
            return json_response(200, found)
        if request.method == "DELETE":
            if self.refuse_role_assignments:
                return _failure(403, "AuthorizationFailed", "roleAssignments/delete is denied.")
            if found is None:
                return httpx.Response(204)
            return json_response(200, self.assignments.pop(key))
        if request.method != "PUT":
            return _failure(405, "MethodNotAllowed", "")
        if self.refuse_role_assignments:
            return _failure(
                403,
                "AuthorizationFailed",
                "The client does not have authorization to perform action "
                "'Microsoft.Authorization/roleAssignments/write' over scope "
                f"'{scope}' or the scope is invalid.",
            )
        try:
            uuid.UUID(name)
        except ValueError:
            return _failure(400, "InvalidRoleAssignmentId", f"'{name}' is not a GUID.")
        props = (json.loads(request.content or b"{}").get("properties")) or {}
        role = str(props.get("roleDefinitionId", ""))
        prefix = f"/subscriptions/{self.arm.subscription}/providers/Microsoft.Authorization/"
        if not role.startswith(prefix + "roleDefinitions/"):
            return _failure(400, "InvalidRoleDefinitionId", f"'{role}' is not a role definition.")
        principal = str(props.get("principalId", ""))
        if principal not in self.principals:
            return _failure(400, "PrincipalNotFound", f"Principal {principal} does not exist.")
        if self.principal_lag > 0:
            self.principal_lag -= 1
            return _failure(
                400,
                "PrincipalNotFound",
                f"Principal {principal} does not exist in the directory (replication).",
            )
        for other in self.assignments.values():
            same = other["properties"]
            if (
                other["id"].lower() != key
                and same["scope"].lower() == scope.lower()
                and same["principalId"] == principal
                and same["roleDefinitionId"] == role
            ):
                return _failure(409, "RoleAssignmentExists", "The role assignment already exists.")
        self.assignments[key] = {
            "id": aid,
            "name": name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": role,
                "principalId": principal,
                "principalType": props.get("principalType", "ServicePrincipal"),
                "scope": scope,
            },
        }
        return json_response(201, self.assignments[key])

    # --- what Container Apps does with it ---------------------------------------------------
    def identity(self, asked: Any, old: dict[str, Any] | None) -> dict[str, Any]:
        """The app's identity after a write: a principal id for a system-assigned one."""
        kind = str((asked or {}).get("type", "None")) if isinstance(asked, dict) else "None"
        if "SystemAssigned" not in kind:
            return {"type": "None"}
        previous = (old or {}).get("identity") or {}
        principal = str(previous.get("principalId") or "") or str(uuid.uuid4())
        self.principals.add(principal)
        tenants = sorted({app.tenant_id for app in self.arm.entra.apps.values()})
        return {"type": kind, "principalId": principal, "tenantId": tenants[0] if tenants else ""}

    def pull_refusal(
        self,
        app_key: str,
        image: str,
        configuration: dict[str, Any],
        identity: dict[str, Any],
        env: Mapping[str, str] | None = None,
    ) -> str:
        """Why a revision could not pull ``image`` ("" when it can, or it is not ACR's); a
        revision that pulls it runs it with ``env`` (:attr:`on_pull`)."""
        host = image.split("/", 1)[0].lower()
        registry = self.by_login_server(host)
        if registry is None:
            return ""
        entries = [
            e
            for e in configuration.get("registries") or []
            if str(e.get("server", "")).lower() == host
        ]
        denied = (
            f"Failed to pull image '{image}': GET https://{host}/oauth2/token: unauthorized: "
            "authentication required"
        )
        if not entries:
            return denied
        entry = entries[0]
        if entry.get("identity") == "system":
            principal = str(identity.get("principalId") or "")
            rid = str(registry["id"]).lower()
            granted = any(
                a["properties"]["principalId"] == principal
                and a["properties"]["roleDefinitionId"].endswith(ACR_PULL)
                and rid.startswith(a["properties"]["scope"].lower())
                for a in self.assignments.values()
            )
            if not granted:
                return denied + " (the identity has no AcrPull on the registry)"
        else:
            secret = self.arm.secrets.value(app_key, str(entry.get("passwordSecretRef")))
            key = str(registry["id"]).lower()
            if not (
                registry["properties"]["adminUserEnabled"]
                and entry.get("username") == registry["name"]
                and secret in self.passwords.get(key, [])
            ):
                return denied + " (incorrect username or password)"
        backend = self.backends.get(host)
        if backend is not None:
            rest = image.split("/", 1)[1]
            repository, _, digest = rest.partition("@")
            repository, _, tag = repository.partition(":")
            wanted = digest or backend.tags.get(repository, {}).get(tag or "latest", "")
            if wanted not in backend.manifests.get(repository, {}):
                return f"Failed to pull image '{image}': manifest unknown"
        if self.on_pull is not None:
            self.on_pull(image, dict(env or {}))
        return ""
