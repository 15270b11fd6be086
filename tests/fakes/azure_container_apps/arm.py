"""ARM for one subscription: the bearer token, api-versions, scopes the identity may not
write, resource providers, resource groups and long-running operations.

Each resource provider's routes are their own module: Microsoft.App in
:mod:`.container_apps` (whose :class:`~.container_apps.FakeArm` is this with them),
Microsoft.ContainerRegistry and role assignments in :mod:`.acr`, ACR Tasks in
:mod:`.acr_tasks`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ..server import FakeBase, json_response
from .acr import FakeAcr
from .acr_tasks import FakeAcrTasks
from .app_secrets import AppSecrets
from .entra import FakeEntra

__all__ = ["APP_VERSIONS", "RESOURCES_VERSIONS", "ArmBase", "Operation", "arm_failure"]

RESOURCES_VERSIONS = frozenset({"2021-04-01", "2022-09-01", "2025-04-01"})
#: Microsoft.Authorization's api-versions of the permissions list.
AUTHORIZATION_VERSIONS = frozenset({"2015-07-01", "2022-04-01"})
APP_VERSIONS = frozenset({"2023-05-01", "2024-03-01", "2025-01-01", "2026-07-01"})


def arm_failure(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    return json_response(status, {"error": {"code": code, "message": message}}, headers)


@dataclass
class Operation:
    """A long-running operation: in progress for ``polls`` reads, then ``status``.

    Nobody may poll it (its answer was lost): it still ends, as ARM's do, once
    :data:`RUNS_FOR` more requests came to the fake (the fake's clock) and a write meets it.
    """

    resource: str
    polls: int = 1
    status: str = "Succeeded"
    error: dict[str, str] | None = None
    deleting: bool = False
    #: How many requests the fake had received when it began.
    started: int = 0
    #: Ended (polled to its end, or settled).
    done: bool = False


#: Requests after which an operation nobody polled has ended (see :meth:`ArmBase.settle`).
RUNS_FOR = 4


class ArmBase(FakeBase):
    """ARM for one subscription: its state, providers, resource groups and operations.

    The state of every resource is kept here (``resources`` by lower-case id, the apps'
    ``revisions``); the routes of Microsoft.App are :class:`~.container_apps.FakeArm`'s.
    """

    name = "arm"

    def __init__(self, entra: FakeEntra, subscription: str) -> None:
        super().__init__()
        self.entra = entra
        self.subscription = subscription
        self.base = "http://arm.invalid"
        #: The ``Retry-After`` of long-running answers (seconds; "0" keeps SDK pollers fast).
        self.retry_after = "1"
        #: Revisions per page of a list (0 = all on one page); pages link on with nextLink.
        self.page_size = 0
        #: Microsoft.ContainerRegistry, role assignments and the login servers (:mod:`.acr`).
        self.acr = FakeAcr(self)
        #: The container apps' secrets, values and all (:mod:`.app_secrets`).
        self.secrets = AppSecrets()
        self.reset_state()

    def reset_state(self) -> None:
        with self._lock:
            self.providers: dict[str, str] = {
                "Microsoft.App": "Registered",
                "Microsoft.ContainerRegistry": "Registered",
            }
            self.registering: dict[str, int] = {}
            self.groups: dict[str, dict[str, Any]] = {}
            self.resources: dict[str, dict[str, Any]] = {}  # lower-cased id -> resource
            self.revisions: dict[str, dict[str, dict[str, Any]]] = {}  # app id -> name -> rev
            self.operations: dict[str, Operation] = {}
            self.busy: set[str] = set()
            #: Path prefixes (lower-case) the identity may not write: 403 AuthorizationFailed.
            self.forbidden: list[str] = []
            #: What ``…/providers/Microsoft.Authorization/permissions`` answers at any scope
            #: (the fake's identity may do everything unless a test says otherwise).
            self.permissions: list[dict[str, Any]] = [{"actions": ["*"], "notActions": []}]
            #: Role assignments on subscriptions and resource groups, by lower-cased id.
            self.scope_assignments: dict[str, dict[str, Any]] = {}
            #: Images whose revisions fail to provision, with Azure's reason.
            self.failing_images: dict[str, str] = {}
            #: Resources (lower-case id) whose next long-running operation ends ``Failed``
            #: with this ARM error (``{"code", "message"}``).
            self.failing_operations: dict[str, dict[str, str]] = {}
            self.mutations: list[str] = []
            #: ACR Tasks builds and their blobs, under any registry of the subscription.
            self.tasks = FakeAcrTasks(self)
            #: Images whose new revisions show these properties (run states, stuck, …).
            self.revision_states: dict[str, dict[str, Any]] = {}
            #: Called with the app after each write of it, before the answer (a test samples
            #: every traffic split a run makes, or changes the world at one).
            self.on_app_write: Callable[[dict[str, Any]], None] | None = None
            #: Give each app write an ``etag`` and honour ``If-Match`` (412 when stale). Off by
            #: default, as Container Apps shows no etag on an app (azure-mgmt-appcontainers
            #: 5.1.0 has neither the field nor If-Match); on, it stands for ARM's convention.
            self.app_etags = False
            self.acr.reset_state()
            self.secrets.reset_state()

    def cold(self) -> None:
        """A subscription that never used Container Apps."""
        with self._lock:
            self.providers = {
                "Microsoft.App": "NotRegistered",
                "Microsoft.ContainerRegistry": "NotRegistered",
            }

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "groups": sorted(self.groups),
                "resources": sorted(self.resources),
                "providers": dict(self.providers),
            }

    # --- dispatch ----------------------------------------------------------------------
    def signed_in(self, request: httpx.Request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        audience = self.entra.audiences.get(token, self.entra.arm_audience)
        return token in self.entra.issued and audience == self.entra.arm_audience

    def handle(self, request: httpx.Request) -> httpx.Response:
        routed = self.tasks.handle(request)
        if routed is not None:
            return routed
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.entra.issued:
            return arm_failure(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                **{"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        audience = self.entra.audiences.get(token, self.entra.arm_audience)
        if audience != self.entra.arm_audience:
            return arm_failure(
                401,
                "InvalidAuthenticationTokenAudience",
                f"The access token has been obtained for wrong audience or resource "
                f"'{audience}'. It should exactly match with one of the allowed audiences "
                f"'{self.entra.arm_audience}/'.",
                **{"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        path = request.url.path
        low = path.lower()
        version = request.url.params.get("api-version", "")
        if not version:
            return arm_failure(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required.",
            )
        if low.startswith("/__ops__/"):
            return self._operation(request, path.rsplit("/", 1)[-1])
        media = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if request.method in ("PUT", "PATCH") and request.content and media != "application/json":
            return arm_failure(
                415,
                "UnsupportedMediaType",
                f"The content media type '{media}' is not supported. Only 'application/json' is "
                "supported.",
            )
        prefix = f"/subscriptions/{self.subscription}"
        if not low.startswith(prefix.lower()):
            return arm_failure(
                404,
                "SubscriptionNotFound",
                f"The subscription '{path.split('/')[2:3]}' could not be found.",
            )
        if low.endswith("/providers/microsoft.authorization/permissions"):
            return self._permissions(request, version)
        if "/providers/microsoft.authorization/roleassignments" in low and (
            "/providers/microsoft.containerregistry/" not in low
        ):
            return self._scope_assignments(request, path, version)
        in_app = "/resourcegroups/" in low and "/providers/microsoft.app/" in low
        allowed = self.acr.versions(low) or (APP_VERSIONS if in_app else RESOURCES_VERSIONS)
        if version not in allowed and in_app:
            # A resource provider's type: ARM finds no provider registration for the version.
            at = low.index("/providers/microsoft.app/") + len("/providers/microsoft.app/")
            kind = path[at:].split("/")[0]
            return arm_failure(
                400,
                "NoRegisteredProviderFound",
                f"No registered resource provider found for API version '{version}' and type "
                f"'{kind}'. The supported api-versions are '{', '.join(sorted(allowed))}'.",
            )
        if version not in allowed:
            return arm_failure(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported "
                f"versions are '{', '.join(sorted(allowed))}'.",
            )
        if request.method not in ("GET", "HEAD") and any(low.startswith(f) for f in self.forbidden):
            return arm_failure(
                403,
                "AuthorizationFailed",
                f"The client '{self.entra.issued[token]}' does not have "
                f"authorization to perform action over scope '{path}'.",
            )
        rest = path[len(prefix) :]
        parts = rest.strip("/").split("/")
        with self._lock:
            if request.method not in ("GET", "HEAD"):
                self.mutations.append(f"{request.method} {rest}")
            routed = self.acr.route(request, parts)
            if routed is not None:
                return routed
            if parts[0] == "providers" and len(parts) in (2, 3):
                return self._provider(request, parts)
            if parts[0].lower() == "resourcegroups" and len(parts) == 2:
                return self._group(request, parts[1])
            if (
                parts[0].lower() == "resourcegroups"
                and len(parts) >= 6
                and parts[2:4] == ["providers", "Microsoft.App"]
            ):
                return self._app_resource(request, parts)
        return arm_failure(404, "NotFound", f"No route for {request.method} {path}.")

    # --- permissions -------------------------------------------------------------------
    def _permissions(self, request: httpx.Request, version: str) -> httpx.Response:
        """ARM's ``permissions`` list of the caller (Microsoft.Authorization 2022-04-01)."""
        if request.method != "GET":
            return arm_failure(405, "MethodNotAllowed", "")
        if version not in AUTHORIZATION_VERSIONS:
            return arm_failure(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions are "
                f"'{', '.join(sorted(AUTHORIZATION_VERSIONS))}'.",
            )
        entries = [{"dataActions": [], "notDataActions": [], **p} for p in self.permissions]
        return json_response(200, {"value": entries})

    def _scope_assignments(self, request: httpx.Request, path: str, version: str) -> httpx.Response:
        """Role assignments at a subscription or resource group: list (``$filter`` by
        principalId), GET one by name, PUT (a second one of the same role and principal is
        refused)."""
        if version not in AUTHORIZATION_VERSIONS:
            return arm_failure(400, "InvalidApiVersionParameter", f"api-version {version}")
        scope, _, name = path.partition("/providers/Microsoft.Authorization/roleAssignments")
        name = name.strip("/")
        if request.method == "GET" and not name:
            wanted = request.url.params.get("$filter", "")
            found = [
                a
                for a in self.scope_assignments.values()
                if a["properties"]["scope"].lower() == scope.lower()
                and (not wanted or f"'{a['properties']['principalId']}'" in wanted)
            ]
            return json_response(200, {"value": found})
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        if request.method == "GET" and name:
            one = self.scope_assignments.get(assignment_id.lower())
            if one is None:
                return arm_failure(
                    404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found."
                )
            return json_response(200, one)
        if request.method != "PUT" or not name:
            return arm_failure(405, "MethodNotAllowed", "")
        body = json.loads(request.content or b"{}")
        properties = body.get("properties", {}) if isinstance(body, dict) else {}
        for existing in self.scope_assignments.values():
            same = existing["properties"]
            if (
                same["scope"].lower() == scope.lower()
                and same["principalId"] == properties.get("principalId")
                and same["roleDefinitionId"] == properties.get("roleDefinitionId")
            ):
                return arm_failure(
                    409, "RoleAssignmentExists", "The role assignment already exists."
                )
        self.scope_assignments[assignment_id.lower()] = {
            "id": assignment_id,
            "name": name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {**properties, "scope": scope},
        }
        self.mutations.append(f"PUT {assignment_id}")
        return json_response(201, self.scope_assignments[assignment_id.lower()])

    # --- providers ---------------------------------------------------------------------
    def _provider(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        namespace = parts[1]
        if len(parts) == 3 and parts[2] == "register" and request.method == "POST":
            if self.providers.get(namespace) != "Registered":
                self.providers[namespace] = "Registering"
                self.registering[namespace] = 2
            return json_response(
                200, {"namespace": namespace, "registrationState": self.providers[namespace]}
            )
        if request.method != "GET":
            return arm_failure(405, "MethodNotAllowed", "")
        state = self.providers.get(namespace, "NotRegistered")
        if state == "Registering":
            self.registering[namespace] -= 1
            if self.registering[namespace] <= 0:
                self.providers[namespace] = state = "Registered"
        return json_response(200, {"namespace": namespace, "registrationState": state})

    # --- resource groups ---------------------------------------------------------------
    def _group(self, request: httpx.Request, name: str) -> httpx.Response:
        key = name.lower()
        group = self.groups.get(key)
        if request.method == "HEAD":  # CheckExistence: 204 or 404, no body
            return httpx.Response(404 if group is None else 204)
        if request.method == "GET":
            if group is None:
                return arm_failure(
                    404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found."
                )
            return json_response(200, group)
        if request.method == "PUT":
            body = json.loads(request.content or b"{}")
            if not isinstance(body.get("location"), str):
                return arm_failure(400, "LocationRequired", "The location property is required.")
            created = group is None
            self.groups[key] = {
                "id": f"/subscriptions/{self.subscription}/resourceGroups/{name}",
                "name": name,
                "location": body["location"],
                "tags": body.get("tags", {}),
                "properties": {"provisioningState": "Succeeded"},
            }
            return json_response(201 if created else 200, self.groups[key])
        if request.method == "DELETE":
            if group is None:
                return arm_failure(
                    404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found."
                )
            prefix = group["id"].lower()
            del self.groups[key]
            for rid in [r for r in self.resources if r.startswith(prefix + "/")]:
                del self.resources[rid]
                self.revisions.pop(rid, None)
            return self._accepted_location(group["id"], deleting=True)
        return arm_failure(405, "MethodNotAllowed", "")

    # --- operations --------------------------------------------------------------------
    def _new_operation(self, resource: str, *, deleting: bool = False) -> str:
        op_id = uuid.uuid4().hex
        error = self.failing_operations.pop(resource.lower(), None)
        self.operations[op_id] = Operation(
            resource.lower(),
            deleting=deleting,
            status="Failed" if error else "Succeeded",
            error=error,
            started=len(self.requests),
        )
        self.busy.add(resource.lower())
        return op_id

    def settle(self, resource: str) -> None:
        """End the operations on ``resource`` that have run their time though nobody polled
        them (the answer that named them was lost): the resource is busy no more."""
        running = [op for op in self.operations.values() if op.resource == resource and not op.done]
        if not running or any(len(self.requests) - op.started < RUNS_FOR for op in running):
            return
        for op in running:
            op.polls, op.done = 0, True
        self.busy.discard(resource)
        found = self.resources.get(resource)
        if found is not None:
            found["properties"]["provisioningState"] = running[-1].status

    def _accepted_location(self, resource: str, *, deleting: bool = False) -> httpx.Response:
        op_id = self._new_operation(resource, deleting=deleting)
        url = f"{self.base}/__ops__/location/{op_id}?api-version=2021-04-01"
        return httpx.Response(202, headers={"Location": url, "Retry-After": self.retry_after})

    def _written(
        self, rid: str, key: str, *, created: bool, api_version: str = "2024-03-01"
    ) -> httpx.Response:
        """A PUT's answer: the resource (201 when it is new), its operation to follow."""
        op_id = self._new_operation(rid)
        url = f"{self.base}/__ops__/async/{op_id}?api-version={api_version}"
        return json_response(
            201 if created else 200,
            self.resources[key],
            {"Azure-AsyncOperation": url, "Retry-After": self.retry_after},
        )

    def _operation(self, request: httpx.Request, op_id: str) -> httpx.Response:
        with self._lock:
            op = self.operations.get(op_id)
            if op is None:
                return arm_failure(404, "OperationNotFound", "")
            kind = request.url.path.split("/")[2]
            if op.polls > 0:
                op.polls -= 1
                if kind == "location":
                    return httpx.Response(
                        202, headers={"Location": str(request.url), "Retry-After": self.retry_after}
                    )
                return json_response(200, {"id": op_id, "name": op_id, "status": "InProgress"})
            op.done = True
            self.busy.discard(op.resource)
            resource = self.resources.get(op.resource)
            if resource is not None:
                resource["properties"]["provisioningState"] = op.status
            if kind == "location":
                if op.error:  # a failed operation's Location answers ARM's error envelope
                    return json_response(400, {"error": op.error})
                return httpx.Response(204) if op.deleting else json_response(200, resource or {})
            body: dict[str, Any] = {"id": op_id, "name": op_id, "status": op.status}
            if op.error:
                body["error"] = op.error
            return json_response(200, body)

    # --- Microsoft.App (routed by the subclass) -----------------------------------------
    def _app_resource(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        return arm_failure(404, "NotFound", f"No route for {request.method} {request.url.path}.")
