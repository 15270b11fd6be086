"""A stateful contract fake of Entra ID (the v2.0 token endpoint) for azure-container-apps.

The token endpoint takes client credentials as Entra ID does: a client secret, or a
``client_assertion`` (jwt-bearer) verified against the fake OIDC issuer and matched against
the app's federated-credential table (issuer, subject, audience, exact and case-sensitive),
answering AADSTS error JSON otherwise. ARM, ACR and the emulator come with the target's
deploy steps.
"""

from __future__ import annotations

import json
import secrets as _secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt

from .azure_acr import FakeAcr
from .azure_acr_tasks import FakeAcrTasks
from .emulators import Emulator, EmulatorError, Running
from .oidc_issuer import GITHUB_ISSUER, verify_token
from .server import FakeBase, LoopbackServer, json_response

__all__ = ["EMULATOR", "FakeArm", "FakeAzure", "FakeEntra", "FederatedCredential"]

_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
#: ``GET /<tenant>/v2.0/.well-known/openid-configuration``: MSAL's tenant discovery.
_DISCOVERY = ["v2.0", ".well-known", "openid-configuration"]


@dataclass(frozen=True)
class FederatedCredential:
    issuer: str
    subject: str
    audiences: tuple[str, ...] = (_EXCHANGE_AUDIENCE,)


@dataclass
class App:
    client_id: str
    tenant_id: str
    secrets: set[str] = field(default_factory=set)
    federated: list[FederatedCredential] = field(default_factory=list)


def _aadsts(status: int, error: str, code: int, text: str) -> httpx.Response:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    return json_response(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: "
            f"{correlation} Timestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}",
            "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": trace,
            "correlation_id": correlation,
        },
    )


class FakeEntra(FakeBase):
    """``POST /<tenant>/oauth2/v2.0/token`` (client credentials, secret or assertion).

    ``GET /<tenant>/v2.0/.well-known/openid-configuration`` answers the tenant discovery that
    MSAL (azure-identity) makes before its first token; an unknown tenant is AADSTS90002.
    """

    name = "entra"

    def __init__(self, *, arm_audience: str = "https://management.azure.com") -> None:
        super().__init__()
        self.arm_audience = arm_audience.rstrip("/")
        self.apps: dict[str, App] = {}
        self.issued: dict[str, str] = {}  # access token -> client id

    def reset_state(self) -> None:
        with self._lock:
            self.apps.clear()
            self.issued.clear()

    def add_app(
        self,
        client_id: str,
        tenant_id: str,
        *,
        secret: str = "",
        federated: tuple[FederatedCredential, ...] = (),
    ) -> App:
        app = App(client_id, tenant_id, {secret} if secret else set(), list(federated))
        with self._lock:
            self.apps[client_id] = app
        return app

    def trust_github(
        self, client_id: str, repository: str, ref: str = "refs/heads/main"
    ) -> FederatedCredential:
        credential = FederatedCredential(GITHUB_ISSUER, f"repo:{repository}:ref:{ref}")
        with self._lock:
            self.apps[client_id].federated.append(credential)
        return credential

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"apps": sorted(self.apps), "tokens": len(self.issued)}

    def handle(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if request.method == "GET" and parts[1:] == _DISCOVERY:
            return self._discovery(request, parts[0])
        if request.method != "POST" or parts[1:] != ["oauth2", "v2.0", "token"]:
            return json_response(404, {"error": "not_found"})
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return _aadsts(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            )
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        tenant = parts[0]
        if form.get("grant_type") != "client_credentials":
            return _aadsts(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        scope = form.get("scope", "")
        if scope != f"{self.arm_audience}/.default":
            return _aadsts(
                400, "invalid_scope", 1002012, f"The provided value for scope {scope} is not valid."
            )
        with self._lock:
            app = self.apps.get(form.get("client_id", ""))
            if app is None or app.tenant_id != tenant:
                return _aadsts(
                    400,
                    "unauthorized_client",
                    700016,
                    f"Application with "
                    f"identifier '{form.get('client_id', '')}' was not found in the "
                    f"directory '{tenant}'.",
                )
            if "client_secret" in form:
                if form["client_secret"] not in app.secrets:
                    return _aadsts(
                        401, "invalid_client", 7000215, "Invalid client secret provided."
                    )
            elif form.get("client_assertion_type") == _JWT_BEARER:
                refused = self._check_assertion(app, form.get("client_assertion", ""))
                if refused is not None:
                    return refused
            else:
                return _aadsts(
                    401,
                    "invalid_client",
                    7000218,
                    "The request body must "
                    "contain the following parameter: 'client_assertion' or "
                    "'client_secret'.",
                )
            token = "eyJ0eXAiOiJKV1QifQ." + _secrets.token_urlsafe(32)
            self.issued[token] = app.client_id
        return json_response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

    def _discovery(self, request: httpx.Request, tenant: str) -> httpx.Response:
        """The tenant's OpenID configuration, which MSAL reads before its first token."""
        with self._lock:
            known = any(app.tenant_id == tenant for app in self.apps.values())
        if not known:
            return _aadsts(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud.",
            )
        root = f"{request.url.scheme}://{request.url.netloc.decode()}/{tenant}"
        return json_response(
            200,
            {
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{root}/v2.0",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            },
        )

    def _check_assertion(self, app: App, assertion: str) -> httpx.Response | None:
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return _aadsts(400, "invalid_request", 50027, "JWT token is invalid or malformed.")
        aud = unverified.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        for credential in app.federated:
            if credential.issuer != unverified.get("iss"):
                continue
            if credential.subject != unverified.get("sub"):
                continue
            audience = next((a for a in audiences if a in credential.audiences), None)
            if audience is None:
                continue
            try:
                verify_token(assertion, audience, issuer=credential.issuer)
            except jwt.InvalidTokenError:
                return _aadsts(
                    400,
                    "invalid_client",
                    700024,
                    "Client assertion is not within its valid time range.",
                )
            return None
        return _aadsts(
            400,
            "invalid_request",
            70021,
            "No matching federated identity "
            "record found for presented assertion. Assertion Issuer: "
            f"'{unverified.get('iss')}'. Assertion Subject: '{unverified.get('sub')}'. "
            f"Assertion Audience: '{aud}'.",
        )


# --- ARM -----------------------------------------------------------------------------------

RESOURCES_VERSIONS = frozenset({"2021-04-01", "2022-09-01"})
APP_VERSIONS = frozenset({"2023-05-01", "2024-03-01", "2025-01-01", "2026-07-01"})
#: Top-level members ARM takes on a Microsoft.App resource (``id``, ``name``, ``type`` and
#: ``systemData`` are read-only: accepted, ignored); the optional ones are kept as sent.
_KEPT_FIELDS = ("kind", "managedBy", "extendedLocation")
_APP_FIELDS = frozenset(
    {"location", "tags", "identity", "properties", "name", "type", "id", "systemData"}
    | set(_KEPT_FIELDS)
)


def arm_failure(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    return json_response(status, {"error": {"code": code, "message": message}}, headers)


@dataclass
class Operation:
    """A long-running operation: in progress for ``polls`` reads, then ``status``."""

    resource: str
    polls: int = 1
    status: str = "Succeeded"
    error: dict[str, str] | None = None
    deleting: bool = False


class FakeArm(FakeBase):
    """ARM for one subscription: providers, resource groups, environments, container apps."""

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
        #: Microsoft.ContainerRegistry, role assignments and the login servers (azure_acr).
        self.acr = FakeAcr(self)
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
            self.acr.reset_state()

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
        return request.headers.get("Authorization", "").removeprefix("Bearer ") in self.entra.issued

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
        if request.method != "GET" and any(low.startswith(f) for f in self.forbidden):
            return arm_failure(
                403,
                "AuthorizationFailed",
                f"The client '{self.entra.issued[token]}' does not have "
                f"authorization to perform action over scope '{path}'.",
            )
        rest = path[len(prefix) :]
        parts = rest.strip("/").split("/")
        with self._lock:
            if request.method != "GET":
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
        )
        self.busy.add(resource.lower())
        return op_id

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

    # --- Microsoft.App -----------------------------------------------------------------
    def _app_resource(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        group, kind, name = parts[1], parts[4], parts[5]
        rid = (
            f"/subscriptions/{self.subscription}/resourceGroups/{group}"
            f"/providers/Microsoft.App/{kind}/{name}"
        )
        key = rid.lower()
        if self.providers.get("Microsoft.App") != "Registered" and request.method == "PUT":
            return arm_failure(
                409,
                "MissingSubscriptionRegistration",
                "The subscription is not registered to use namespace 'Microsoft.App'.",
            )
        if group.lower() not in self.groups:
            return arm_failure(
                404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found."
            )
        if kind not in ("managedEnvironments", "containerApps"):
            return arm_failure(404, "InvalidResourceType", kind)
        resource = self.resources.get(key)
        sub = parts[6:]
        if sub:
            if kind != "containerApps" or resource is None:
                return arm_failure(404, "ContainerAppNotFound", f"'{name}' was not found.")
            return self._revision_call(request, key, sub)
        if request.method == "GET":
            if resource is None:
                code = "ContainerAppNotFound" if kind == "containerApps" else "ResourceNotFound"
                return arm_failure(404, code, f"The resource '{name}' was not found.")
            return json_response(200, resource)
        if request.method in ("PUT", "PATCH", "DELETE") and key in self.busy:
            return arm_failure(
                409,
                "ContainerAppOperationInProgress",
                f"Cannot modify '{name}': an operation is in progress.",
            )
        if request.method == "DELETE":
            if resource is None:
                return httpx.Response(204)
            del self.resources[key]
            self.revisions.pop(key, None)
            return self._accepted_location(rid, deleting=True)
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            return arm_failure(400, "InvalidRequestContent", "The body is not JSON.")
        unknown = sorted(set(body) - _APP_FIELDS)
        if unknown:
            return arm_failure(
                400,
                "InvalidRequestContent",
                f"Could not find member '{unknown[0]}' on the resource.",
            )
        if kind == "managedEnvironments":
            return self._put_environment(request, rid, key, name, body, resource)
        if request.method == "PATCH":
            if resource is None:
                return arm_failure(404, "ContainerAppNotFound", f"'{name}' was not found.")
            merged = _merge(json.loads(json.dumps(resource)), body)
            return self._write_app(rid, key, name, merged, resource, patch=True)
        if request.method == "PUT":
            return self._write_app(rid, key, name, body, resource, patch=False)
        return arm_failure(405, "MethodNotAllowed", "")

    def _put_environment(
        self,
        request: httpx.Request,
        rid: str,
        key: str,
        name: str,
        body: dict[str, Any],
        resource: dict[str, Any] | None,
    ) -> httpx.Response:
        if request.method != "PUT":
            return arm_failure(405, "MethodNotAllowed", "")
        properties = body.get("properties") or {}
        self.resources[key] = {
            "id": rid,
            "name": name,
            "type": "Microsoft.App/managedEnvironments",
            "location": body.get("location"),
            "tags": body.get("tags", {}),
            **{k: body[k] for k in _KEPT_FIELDS if k in body},
            "properties": {
                **properties,
                "provisioningState": "InitializationInProgress",
                "defaultDomain": f"{name}-{uuid.uuid4().hex[:8]}."
                f"{body.get('location')}.azurecontainerapps.io",
            },
        }
        return self._written(rid, key, created=resource is None)

    def _write_app(
        self,
        rid: str,
        key: str,
        name: str,
        body: dict[str, Any],
        old: dict[str, Any] | None,
        *,
        patch: bool,
    ) -> httpx.Response:
        props = body.get("properties") or {}
        env_id = str(props.get("managedEnvironmentId") or props.get("environmentId") or "")
        environment = self.resources.get(env_id.lower())
        if environment is None:
            return arm_failure(
                400, "ManagedEnvironmentNotFound", f"Managed environment '{env_id}' was not found."
            )
        config = props.get("configuration") or {}
        template = props.get("template") or {}
        containers = template.get("containers") or []
        if not containers or not all(c.get("image") for c in containers):
            return arm_failure(
                400, "ContainerAppInvalidSchema", "template.containers[].image is required."
            )
        mode = config.get("activeRevisionsMode", "Single")
        revisions = self.revisions.setdefault(key, {})
        old_template = (old or {}).get("properties", {}).get("template")
        new_revision = ""
        if old_template != template:
            suffix = template.get("revisionSuffix") or uuid.uuid4().hex[:7]
            new_revision = f"{name}--{suffix}"
            if new_revision in revisions:
                return arm_failure(
                    400,
                    "ContainerAppRevisionSuffixConflict",
                    f"Revision with suffix {suffix} already exists.",
                )
        ingress = config.get("ingress") or {}
        traffic = ingress.get("traffic") or [{"latestRevision": True, "weight": 100}]
        refused = self._check_traffic(traffic, mode, set(revisions) | {new_revision} - {""})
        if refused is not None:
            return refused
        domain = environment["properties"]["defaultDomain"]
        identity = self.acr.identity(body.get("identity"), old)
        config = {**config, "secrets": self.acr.remember_secrets(key, config)}
        reason = self.failing_images.get(containers[0]["image"], "")
        if new_revision:
            image = containers[0]["image"]
            reason = reason or self.acr.pull_refusal(key, image, config, identity)
            revisions[new_revision] = {
                "id": f"{rid}/revisions/{new_revision}",
                "name": new_revision,
                "type": "Microsoft.App/containerApps/revisions",
                "properties": {
                    "createdTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "fqdn": f"{new_revision}.{domain}",
                    "template": template,
                    "active": True,
                    "trafficWeight": 0,
                    "provisioningState": "Failed" if reason else "Provisioned",
                    "provisioningError": reason or None,
                    "healthState": "Unhealthy" if reason else "Healthy",
                    "runningState": "Failed" if reason else "Running",
                },
            }
            revisions[new_revision]["properties"].update(self.revision_states.get(image, {}))
            if mode == "Single":
                for other in revisions.values():
                    if other["name"] != new_revision:
                        other["properties"]["active"] = False
        latest = new_revision or (old or {}).get("properties", {}).get("latestRevisionName", "")
        latest_ready = (
            latest
            if not reason
            else ((old or {}).get("properties", {}).get("latestReadyRevisionName", ""))
        )
        for rev in revisions.values():
            rev["properties"]["trafficWeight"] = sum(
                int(t.get("weight", 0))
                for t in traffic
                if t.get("revisionName") == rev["name"]
                or (t.get("latestRevision") and rev["name"] == latest)
            )
        self.resources[key] = {
            "id": rid,
            "name": name,
            "type": "Microsoft.App/containerApps",
            "location": body.get("location"),
            "tags": body.get("tags", {}),
            "identity": identity,
            **{k: body[k] for k in _KEPT_FIELDS if k in body},
            "properties": {
                **props,
                "configuration": {
                    **config,
                    "activeRevisionsMode": mode,
                    "ingress": {**ingress, "traffic": traffic, "fqdn": f"{name}.{domain}"},
                },
                "provisioningState": "InProgress",
                "runningStatus": "Running",
                "latestRevisionName": latest,
                "latestReadyRevisionName": latest_ready,
                "latestRevisionFqdn": f"{latest}.{domain}" if latest else "",
            },
        }
        if patch:
            return self._accepted_location(rid)
        return self._written(rid, key, created=old is None)

    def _check_traffic(
        self, traffic: list[dict[str, Any]], mode: str, revisions: set[str]
    ) -> httpx.Response | None:
        total = sum(int(t.get("weight", 0)) for t in traffic)
        if total != 100:
            return arm_failure(
                400,
                "ContainerAppInvalidTrafficWeight",
                f"The traffic weights sum to {total}; they must sum to 100.",
            )
        named = [t for t in traffic if t.get("revisionName")]
        if mode == "Single" and (named or len(traffic) > 1):
            return arm_failure(
                400,
                "ContainerAppInvalidTrafficConfiguration",
                "Traffic can be split or pinned to a revision only when "
                "activeRevisionsMode is Multiple.",
            )
        for entry in named:
            if entry["revisionName"] not in revisions:
                return arm_failure(
                    400,
                    "ContainerAppRevisionNotFound",
                    f"Revision '{entry['revisionName']}' was not found.",
                )
        return None

    def _revision_call(self, request: httpx.Request, key: str, sub: list[str]) -> httpx.Response:
        revisions = self.revisions.get(key, {})
        if sub == ["revisions"] and request.method == "GET":
            items = sorted(revisions.values(), key=lambda r: r["properties"]["createdTime"])
            if not self.page_size:
                return json_response(200, {"value": items})
            skip = int(request.url.params.get("$skiptoken") or 0)
            page: dict[str, Any] = {"value": items[skip : skip + self.page_size]}
            if skip + self.page_size < len(items):
                query = httpx.QueryParams(
                    {
                        "api-version": request.url.params["api-version"],
                        "$skiptoken": skip + self.page_size,
                    }
                )
                page["nextLink"] = f"{self.base}{request.url.path}?{query}"
            return json_response(200, page)
        if len(sub) >= 2 and sub[0] == "revisions":
            revision = revisions.get(sub[1])
            if revision is None:
                return arm_failure(404, "ContainerAppRevisionNotFound", f"'{sub[1]}' not found.")
            if len(sub) == 2 and request.method == "GET":
                return json_response(200, revision)
            if sub[2:] in (["activate"], ["deactivate"]) and request.method == "POST":
                revision["properties"]["active"] = sub[2] == "activate"
                return httpx.Response(200)
        return arm_failure(404, "NotFound", "/".join(sub))


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7396): arrays replaced whole, null removes."""
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, dict) and isinstance(target.get(k), dict):
            target[k] = _merge(target[k], v)
        else:
            target[k] = v
    return target


# --- one origin for both, and the emulator ------------------------------------------------

EMULATOR_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
EMULATOR_CLIENT = "11111111-2222-3333-4444-555555555555"
EMULATOR_SUBSCRIPTION = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
EMULATOR_SECRET = "emulator~client.secret"
#: A prebuilt image reference: the emulator runs no registry and no container.
EMULATOR_IMAGE = "ghcr.io/paiml/hello-mcp@sha256:" + "0" * 64


class FakeAzure(FakeBase):
    """Entra ID and ARM on one origin (the token endpoint by its path)."""

    name = "azure"

    def __init__(self, base: str, subscription: str = EMULATOR_SUBSCRIPTION) -> None:
        super().__init__()
        self.entra = FakeEntra(arm_audience=base)
        self.arm = FakeArm(self.entra, subscription)
        self.arm.base = base.rstrip("/")

    def reset_state(self) -> None:
        self.entra.reset_state()
        self.arm.reset_state()

    def snapshot(self) -> dict[str, Any]:
        return {"entra": self.entra.snapshot(), "arm": self.arm.snapshot()}

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(("/oauth2/v2.0/token", "/.well-known/openid-configuration")):
            return self.entra.handle(request)
        if request.url.path.startswith(("/oauth2/", "/v2/")):
            return self.arm.acr.login(request)  # a login server on this origin
        return self.arm.handle(request)


@contextmanager
def emulate(*, host: str = "127.0.0.1", tls: bool = False) -> Iterator[Running]:
    """Entra ID + ARM, and one MCP server standing for every app and revision FQDN."""
    if tls:
        raise EmulatorError("azure-container-apps is emulated over plain http on loopback")
    from .mcp_servers import serve_mcp, unused_port

    port = unused_port()
    base = f"http://{host}:{port}"
    fake = FakeAzure(base)
    fake.entra.add_app(EMULATOR_CLIENT, EMULATOR_TENANT, secret=EMULATOR_SECRET)
    # A registry the action makes has this origin as its (in-memory) login server.
    fake.arm.acr.login_server_for = lambda _name: f"{host}:{port}"
    with serve_mcp() as mcp, LoopbackServer(fake, host=host, port=port) as server:
        url = str(server.url).rstrip("/")
        yield Running(
            urls=MappingProxyType({"azure-container-apps": url}),
            env=MappingProxyType(
                {
                    "AZURE_TENANT_ID": EMULATOR_TENANT,
                    "AZURE_CLIENT_ID": EMULATOR_CLIENT,
                    "AZURE_SUBSCRIPTION_ID": EMULATOR_SUBSCRIPTION,
                    "PMCP_AZURE_LOGIN_URL": url,
                    "PMCP_AZURE_ARM_URL": url,
                    "PMCP_AZURE_APPS_ORIGIN": str(mcp.url).rstrip("/"),
                    "PMCP_IMAGE": EMULATOR_IMAGE,
                }
            ),
            secrets=MappingProxyType({"AZURE_CLIENT_SECRET": EMULATOR_SECRET}),
            fakes=MappingProxyType({"azure-container-apps": fake, "mcp": mcp}),
        )


def _stand_in(project: Path) -> str:
    return f"nothing to build: the emulator deploys the prebuilt image {EMULATOR_IMAGE}"


#: ``serve azure-container-apps`` and the demo: Entra ID (client secret) and ARM on one
#: origin; every app and revision URL answers from one local MCP server.
EMULATOR = Emulator(
    name="azure-container-apps",
    summary="Entra ID + ARM (providers, groups, environments, container apps, revisions)",
    start=emulate,
    target=True,
    stand_in=_stand_in,
)
