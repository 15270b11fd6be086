"""A stateful contract fake of Cloud Run Admin API v2 (services, revisions, LROs, IAM).

Strict on request shapes: a Service body with a field the v2 API does not have, or a
writable field out of its enum, is refused with 400 INVALID_ARGUMENT, as the real API
refuses it. Operations finish on their first poll. Faults beyond the shared fault plan:
``never_ready`` (images whose revision never becomes ready) and ``org_policy_blocks_all_users``.

What Google's own clients send is accepted (tests/unit/google_cloud_run/test_gcr_peers.py):
enum numbers (answered in kind under ``$alt=json;enum-encoding=int``), omitted proto3
defaults, output-only fields sent back, ``updateMask``, ``validateOnly``, ``allowMissing``;
a query parameter the request message does not have is refused.

Also served: Artifact Registry repositories, and the credential endpoints (STS
``/v1/token``, iamcredentials ``generateAccessToken``, the oauth2 ``/token`` JWT-bearer
grant, signature checked against registered public keys). At the end: the EMULATOR
(:class:`FakeGoogleCloud` serves the ``*.run.app`` URLs too, and ``/v2/token`` as Artifact
Registry's token service for a real ``docker-registry``: tests/support/google_registry, the
container and act runs) and an in-process Docker registry of Artifact Registry for the unit
tests (:class:`FakeArtifactRegistryDocker`).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from .emulators import Emulator, EmulatorError, Running
from .google_logging import FakeCloudLogging, LogEntry
from .oci_registry import FakeOciRegistry
from .registry_token import FakeRegistryTokenServer
from .server import FakeBase, LoopbackServer, forward, json_response

__all__ = [
    "EMULATOR",
    "FakeArtifactRegistryDocker",
    "FakeCloudRun",
    "FakeGoogleCloud",
    "Service",
]

_SERVICE_FIELDS = {
    "name", "description", "uid", "generation", "labels", "annotations", "createTime",
    "updateTime", "deleteTime", "expireTime", "creator", "lastModifier", "client",
    "clientVersion", "ingress", "launchStage", "binaryAuthorization", "template", "traffic",
    "scaling", "invokerIamDisabled", "defaultUriDisabled", "urls", "customAudiences",
    "observedGeneration", "terminalCondition", "conditions", "latestReadyRevision",
    "latestCreatedRevision", "trafficStatuses", "uri", "satisfiesPzs", "reconciling", "etag",
    "iapEnabled", "multiRegionSettings", "threatDetectionEnabled", "buildConfig",
}  # fmt: skip
_TEMPLATE_FIELDS = {
    "revision", "labels", "annotations", "scaling", "vpcAccess", "timeout", "serviceAccount",
    "containers", "volumes", "executionEnvironment", "encryptionKey",
    "maxInstanceRequestConcurrency", "serviceMesh", "sessionAffinity", "healthCheckDisabled",
    "nodeSelector", "encryptionKeyRevocationAction", "encryptionKeyShutdownDuration",
    "gpuZonalRedundancyDisabled",
}  # fmt: skip
_CONTAINER_FIELDS = {
    "name", "image", "command", "args", "env", "resources", "ports", "volumeMounts",
    "workingDir", "livenessProbe", "startupProbe", "dependsOn", "sourceCode", "readinessProbe",
    "baseImageUri", "buildInfo",
}  # fmt: skip
_TRAFFIC_FIELDS = {"type", "revision", "percent", "tag"}
_INGRESS = {
    "INGRESS_TRAFFIC_ALL",
    "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
    "INGRESS_TRAFFIC_NONE",
}
_LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
_REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
_ROUTE = re.compile(r"^/v2/projects/([^/]+)/locations/([^/]+)/(.*)$")
_AR_ROUTE = re.compile(
    r"^/v1/projects/([^/]+)/locations/([^/]+)/(repositories|operations)(?:/([^/]+))?$"
)
_REPOSITORY_FIELDS = {"format", "description", "labels", "name", "mode", "kmsKeyName"}
#: Enum fields by JSON name -> {value name: proto number}. The REST surface takes the name or
#: the number; Google's client sends numbers (``$alt=json;enum-encoding=int``) and is answered
#: with numbers. The fake stores names.
_ENUMS: dict[str, dict[str, int]] = {
    "ingress": {
        "INGRESS_TRAFFIC_UNSPECIFIED": 0, "INGRESS_TRAFFIC_ALL": 1,
        "INGRESS_TRAFFIC_INTERNAL_ONLY": 2, "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER": 3,
        "INGRESS_TRAFFIC_NONE": 4,
    },
    "type": {"TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED": 0, _LATEST: 1, _REVISION: 2},
    "state": {
        "STATE_UNSPECIFIED": 0, "CONDITION_PENDING": 1, "CONDITION_RECONCILING": 2,
        "CONDITION_FAILED": 3, "CONDITION_SUCCEEDED": 4,
    },
    "executionEnvironment": {
        "EXECUTION_ENVIRONMENT_UNSPECIFIED": 0, "EXECUTION_ENVIRONMENT_GEN1": 1,
        "EXECUTION_ENVIRONMENT_GEN2": 2,
    },
    "scalingMode": {"SCALING_MODE_UNSPECIFIED": 0, "AUTOMATIC": 1, "MANUAL": 2},
    "launchStage": {
        "LAUNCH_STAGE_UNSPECIFIED": 0, "EARLY_ACCESS": 1, "ALPHA": 2, "BETA": 3, "GA": 4,
        "DEPRECATED": 5, "UNIMPLEMENTED": 6, "PRELAUNCH": 7,
    },
}  # fmt: skip
#: Output-only Service fields: accepted in a body (a read-modify-write sends them back), ignored.
_OUTPUT_ONLY = {
    "uid", "generation", "createTime", "updateTime", "deleteTime", "expireTime", "creator",
    "lastModifier", "observedGeneration", "terminalCondition", "conditions",
    "latestReadyRevision", "latestCreatedRevision", "trafficStatuses", "uri", "urls",
    "satisfiesPzs", "reconciling",
}  # fmt: skip
#: Map fields: their entries are data, kept as given.
_MAPS = {"labels", "annotations", "limits", "nodeSelector"}
#: Query parameters every Google REST API takes (system parameters).
_SYSTEM_PARAMS = {"$alt", "alt", "$fields", "fields", "key", "prettyPrint", "quotaUser"}


def _enum_name(field_name: str, value: Any) -> str | None:
    """The enum value's name, from its name or its number; None when it is neither."""
    values = _ENUMS[field_name]
    if isinstance(value, str) and value in values:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return next((n for n, i in values.items() if i == value), None)
    return None


def _as_numbers(payload: Any, key: str = "") -> Any:
    """A response for ``enum-encoding=int``: enum names of known fields become numbers."""
    if isinstance(payload, dict):
        return {k: v if k in _MAPS else _as_numbers(v, k) for k, v in payload.items()}
    if isinstance(payload, list):
        return [_as_numbers(v, key) for v in payload]
    if isinstance(payload, str) and key in _ENUMS:
        return _ENUMS[key].get(payload, payload)
    return payload


def _proto_defaults_dropped(value: Any) -> Any:
    """A message as proto3 sees it: null, 0, false, "" and [] are the unset default."""
    if isinstance(value, dict):
        kept = {k: v if k in _MAPS else _proto_defaults_dropped(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, 0, False, "", [])}
    if isinstance(value, list):
        return [_proto_defaults_dropped(v) for v in value]
    return value


def _stored(body: dict[str, Any]) -> dict[str, Any]:
    """A Service body as the API keeps it: no output-only fields, no proto defaults."""
    kept = {k: v for k, v in body.items() if k not in _OUTPUT_ONLY}
    dropped: dict[str, Any] = _proto_defaults_dropped(kept)
    return dropped


def _masked(current: dict[str, Any], body: dict[str, Any], mask: str) -> tuple[dict[str, Any], str]:
    """``current`` with the ``updateMask`` paths (comma-separated, camelCase) from ``body``."""
    merged = copy.deepcopy(current)
    for path in mask.split(","):
        keys = path.strip().split(".")
        if keys[0] not in _SERVICE_FIELDS or keys[0] in _OUTPUT_ONLY | {"name", "etag"}:
            return {}, f"Invalid field mask path: {path.strip()!r}"
        source: Any = body
        target = merged
        for key in keys[:-1]:
            source = source.get(key) if isinstance(source, dict) else None
            target = target.setdefault(key, {})
        if isinstance(source, dict) and keys[-1] in source:
            target[keys[-1]] = copy.deepcopy(source[keys[-1]])
        else:
            target.pop(keys[-1], None)
    return merged, ""


def _query_problem(method: str, rest: str, params: httpx.QueryParams) -> str:
    """Cloud Run v2 refuses a query parameter its request message does not have."""
    if rest.startswith("operations/") or rest.endswith(":setIamPolicy"):
        allowed: set[str] = set()
    elif rest == "services" and method == "POST":
        allowed = {"serviceId", "validateOnly"}
    elif rest.endswith(":getIamPolicy"):
        allowed = {"options.requestedPolicyVersion"}
    elif rest == "services" or rest.endswith("/revisions"):
        allowed = {"pageSize", "pageToken", "showDeleted"}
    elif method == "PATCH":
        allowed = {"updateMask", "validateOnly", "allowMissing"}
    elif method == "DELETE":
        allowed = {"validateOnly", "etag"}
    else:
        allowed = set()
    unknown = sorted(set(params) - allowed - _SYSTEM_PARAMS)
    if unknown:
        return (
            f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot bind query '
            "parameter."
        )
    for flag in ("validateOnly", "allowMissing", "showDeleted"):
        if params.get(flag, "false") not in ("true", "false"):
            return f"Invalid value at '{flag}' (TYPE_BOOL), \"{params[flag]}\""
    return ""


def error(code: int, status: str, message: str, **info: Any) -> httpx.Response:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", **info}] if info else []
    body = {"error": {"code": code, "status": status, "message": message, "details": details}}
    return json_response(code, body)


@dataclass
class Revision:
    name: str
    template: dict[str, Any]
    ready: bool

    def to_api(self, service: str) -> dict[str, Any]:
        state = "CONDITION_SUCCEEDED" if self.ready else "CONDITION_FAILED"
        message = (
            ""
            if self.ready
            else (
                "The user-provided container failed to start and listen on the port defined "
                "provided by the PORT=8080 environment variable."
            )
        )
        return {
            "name": f"{service}/revisions/{self.name}",
            "service": service,
            "containers": self.template.get("containers", []),
            "labels": self.template.get("labels", {}),
            "conditions": [{"type": "Ready", "state": state, "message": message}],
        }


@dataclass
class Service:
    name: str  # full resource name
    body: dict[str, Any]
    revisions: list[Revision] = field(default_factory=list)
    traffic: list[dict[str, Any]] = field(default_factory=list)
    generation: int = 1
    etag: str = ""
    #: "ACAB" is the etag of an empty policy; etags are base64 (``bytes`` in the proto).
    policy: dict[str, Any] = field(default_factory=lambda: {"version": 1, "etag": "ACAB"})

    @property
    def short(self) -> str:
        return self.name.rsplit("/", 1)[1]

    def latest_ready(self) -> Revision | None:
        return next((r for r in reversed(self.revisions) if r.ready), None)

    def host(self, tag: str = "") -> str:
        prefix = f"{tag}---" if tag else ""
        return f"https://{prefix}{self.short}-abc123-uc.a.run.app"

    def to_api(self) -> dict[str, Any]:
        body = copy.deepcopy(self.body)
        ready = self.latest_ready()
        statuses = []
        for entry in self.traffic:
            status = dict(entry)
            if entry.get("type") == _LATEST and ready is not None:
                status["revision"] = ready.name
            if entry.get("tag"):
                status["uri"] = self.host(entry["tag"])
            statuses.append(status)
        body.update(
            name=self.name,
            uid="uid-" + self.short,
            generation=str(self.generation),
            observedGeneration=str(self.generation),
            etag=self.etag,
            traffic=copy.deepcopy(self.traffic),
            trafficStatuses=statuses,
            uri=self.host(),
            urls=[self.host()],
            latestCreatedRevision=(
                f"{self.name}/revisions/{self.revisions[-1].name}" if self.revisions else ""
            ),
            latestReadyRevision=f"{self.name}/revisions/{ready.name}" if ready else "",
            reconciling=False,
            terminalCondition={"type": "Ready", "state": "CONDITION_SUCCEEDED"},
        )
        return body


class FakeCloudRun(FakeBase):
    """Cloud Run Admin API v2 for one or more projects (any project and region accepted)."""

    name = "google-cloud-run"

    def __init__(self) -> None:
        super().__init__()
        #: Called with a ready revision's image when it is created (its container pulls it).
        self.on_revision: Callable[[str], None] | None = None
        self.reset_state()

    def reset_state(self) -> None:
        self.services: dict[str, Service] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.never_ready: set[str] = set()
        self.org_policy_blocks_all_users = False
        self.repositories: dict[str, dict[str, Any]] = {}
        #: WIF providers: resource name -> required claims (an "attribute condition").
        self.providers: dict[str, dict[str, str]] = {}
        #: Service accounts -> the provider whose principals may impersonate them.
        self.service_accounts: dict[str, str] = {}
        #: Service-account keys: client email -> PEM public key.
        self.keys: dict[str, bytes] = {}
        #: Access tokens handed out, with who they speak for.
        self.tokens: dict[str, str] = {}
        #: Create a repository behind the caller's back between its read and its create.
        self.race_repository_create = False
        self._ids = itertools.count(1)

    def snapshot(self) -> dict[str, Any]:
        return {name: s.to_api() for name, s in self.services.items()}

    # --- routing ----------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        """Routes; ``$alt=json;enum-encoding=int`` (Google's clients) is answered in numbers."""
        answer = self._route(request)
        if "enum-encoding=int" not in request.url.params.get("$alt", ""):
            return answer
        return json_response(answer.status_code, _as_numbers(json.loads(answer.content)))

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/token":
            return self._sts(request)
        if path == "/token":
            return self._jwt_bearer(request)
        if path.startswith("/v1/projects/-/serviceAccounts/") and path.endswith(
            ":generateAccessToken"
        ):
            return self._generate(request, path)
        ar = _AR_ROUTE.match(request.url.path)
        if ar is not None:
            return self._artifact_registry(request, *ar.groups())
        match = _ROUTE.match(request.url.path)
        if match is None:
            return error(404, "NOT_FOUND", f"no route {request.url.path}")
        project, region, rest = match.groups()
        query_problem = _query_problem(request.method, rest, request.url.params)
        if query_problem:
            return error(400, "INVALID_ARGUMENT", query_problem)
        parent = f"projects/{project}/locations/{region}"
        method = request.method
        if rest.startswith("operations/"):
            op = self.operations.get(f"{parent}/{rest}")
            if op is None or method != "GET":
                return error(404, "NOT_FOUND", "operation not found")
            return json_response(200, op)
        if rest == "services" and method == "POST":
            return self._create(request, parent)
        parts = rest.split("/")
        if len(parts) < 2 or parts[0] != "services":
            return error(404, "NOT_FOUND", f"no route {rest}")
        short, _, verb = parts[1].partition(":")
        name = f"{parent}/services/{short}"
        service = self.services.get(name)
        if service is None and method == "PATCH" and len(parts) == 2 and not verb:
            if request.url.params.get("allowMissing") == "true":
                return self._create(request, parent, short)
        if service is None:
            return error(404, "NOT_FOUND", f"Resource '{name}' was not found")
        if verb == "getIamPolicy" and method == "GET":
            return json_response(200, service.policy)
        if verb == "setIamPolicy" and method == "POST":
            return self._set_policy(request, service)
        if len(parts) == 3 and parts[2] == "revisions" and method == "GET":
            revisions = [r.to_api(name) for r in reversed(service.revisions)]
            return json_response(200, {"revisions": revisions})
        if len(parts) == 4 and parts[2] == "revisions" and method == "GET":
            found = next((r for r in service.revisions if r.name == parts[3]), None)
            if found is None:
                return error(
                    404, "NOT_FOUND", f"Resource '{name}/revisions/{parts[3]}' was not found"
                )
            return json_response(200, found.to_api(name))
        if len(parts) == 2 and not verb:
            if method == "GET":
                return json_response(200, service.to_api())
            if method == "PATCH":
                return self._update(request, service)
            if method == "DELETE":
                etag = request.url.params.get("etag")
                if etag and etag != service.etag:
                    return error(409, "ABORTED", "etag mismatch: the service was modified")
                if request.url.params.get("validateOnly") != "true":
                    del self.services[name]
                return self._operation(parent, service.to_api())
        return error(404, "NOT_FOUND", f"no route {method} {rest}")

    # --- strictness -------------------------------------------------------------------
    def _problem(self, body: Any) -> str:
        if not isinstance(body, dict):
            return "the body must be a Service object"
        unknown = set(body) - _SERVICE_FIELDS
        template = body.get("template", {})
        if not isinstance(template, dict):
            return "template must be an object"
        unknown |= {f"template.{k}" for k in set(template) - _TEMPLATE_FIELDS}
        for container in template.get("containers", []):
            unknown |= {f"template.containers.{k}" for k in set(container) - _CONTAINER_FIELDS}
            if not container.get("image"):
                return "template.containers.image is required"
            if any(e.get("name") == "PORT" for e in container.get("env", [])):
                return "The following reserved env names were provided: PORT"
        for entry in body.get("traffic", []):
            unknown |= {f"traffic.{k}" for k in set(entry) - _TRAFFIC_FIELDS}
        if unknown:
            return f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}"'
        for where, holder, key in (
            ("", body, "ingress"),
            ("", body, "launchStage"),
            ("scaling.", body.get("scaling") or {}, "scalingMode"),
            ("template.", template, "executionEnvironment"),
            *(("traffic.", entry, "type") for entry in body.get("traffic", [])),
        ):
            if key in holder:
                name = _enum_name(key, holder[key])
                if name is None:
                    return f"Invalid value at 'service.{where}{key}', {holder[key]!r}"
                holder[key] = name
        if "ingress" in body and body["ingress"] not in _INGRESS:
            return f"ingress: invalid value {body['ingress']!r}"
        traffic = body.get("traffic")
        if traffic and sum(int(e.get("percent", 0)) for e in traffic) != 100:
            return "traffic percentages must sum to 100"
        return ""

    def _operation(
        self,
        parent: str,
        response: dict[str, Any],
        err: str = "",
        type_url: str = "type.googleapis.com/google.cloud.run.v2.Service",
        metadata_type: str = "",
    ) -> httpx.Response:
        """An LRO, done at its first poll; ``metadata`` and ``response`` are typed ``Any``s.

        Cloud Run's metadata is the Service itself; other APIs name their own type.
        """
        name = f"{parent}/operations/op-{next(self._ids)}"
        metadata = {"@type": metadata_type} if metadata_type else {"@type": type_url, **response}
        done: dict[str, Any] = {"name": name, "metadata": metadata, "done": True}
        if err:
            done["error"] = {"code": 9, "message": err}
        else:
            done["response"] = {"@type": type_url, **response}
        self.operations[name] = done
        return json_response(200, {"name": name, "metadata": metadata, "done": False})

    def _new_revision(self, service: Service, template: dict[str, Any]) -> Revision:
        name = template.get("revision") or f"{service.short}-{len(service.revisions) + 1:05d}-x"
        if any(r.name == name for r in service.revisions):
            raise ValueError(
                f"Revision named '{name}' with different configuration already exists."
            )
        image = template["containers"][0]["image"]
        revision = Revision(name, copy.deepcopy(template), ready=image not in self.never_ready)
        service.revisions.append(revision)
        return revision

    def _create(self, request: httpx.Request, parent: str, service_id: str = "") -> httpx.Response:
        """``name`` in the body is ignored (v2: composed from parent and serviceId)."""
        service_id = service_id or request.url.params.get("serviceId", "")
        if not re.match(r"^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$", service_id):
            return error(400, "INVALID_ARGUMENT", "serviceId is invalid or missing")
        name = f"{parent}/services/{service_id}"
        if name in self.services:
            return error(409, "ALREADY_EXISTS", f"Resource '{name}' already exists.")
        body = json.loads(request.content or b"null")
        problem = self._problem(body)
        if not problem and not (body.get("template") or {}).get("containers"):
            problem = "template.containers: at least one container is required"
        if problem:
            return error(400, "INVALID_ARGUMENT", problem)
        body = _stored(body)
        service = Service(name, body, etag=f'"e{next(self._ids)}"')
        revision = self._new_revision(service, body["template"])
        if request.url.params.get("validateOnly") == "true":
            service.traffic = body.get("traffic") or [{"type": _LATEST, "percent": 100}]
            return self._operation(parent, service.to_api())
        if not revision.ready:
            message = revision.to_api(name)["conditions"][0]["message"]
            self.services[name] = service
            service.traffic = []
            return self._operation(
                parent, {}, f"Revision '{revision.name}' is not ready. {message}"
            )
        service.traffic = body.get("traffic") or [{"type": _LATEST, "percent": 100}]
        self.services[name] = service
        self._created(revision)
        return self._operation(parent, service.to_api())

    def _created(self, revision: Revision) -> None:
        """A ready revision was created: it pulls its image (``on_revision``, when set)."""
        if self.on_revision is not None:
            self.on_revision(revision.template["containers"][0]["image"])

    def _update(self, request: httpx.Request, service: Service) -> httpx.Response:
        body = json.loads(request.content or b"null")
        problem = self._problem(body)
        if problem:
            return error(400, "INVALID_ARGUMENT", problem)
        if body.get("etag") and body["etag"] != service.etag:
            return error(409, "ABORTED", "etag mismatch: the service was modified")
        parent = service.name.rsplit("/services/", 1)[0]
        body = _stored(body)
        if request.url.params.get("updateMask"):
            current = {**service.body, "traffic": copy.deepcopy(service.traffic)}
            body, problem = _masked(current, body, request.url.params["updateMask"])
            if problem:
                return error(400, "INVALID_ARGUMENT", problem)
        if request.url.params.get("validateOnly") == "true":
            # Validated; nothing persisted (traffic against revisions is not checked here).
            return self._operation(parent, {**service.to_api(), **body})
        old_template = service.body.get("template", {})
        new_template = body.get("template", old_template)
        revision: Revision | None = None
        if new_template != old_template or (
            new_template.get("revision")
            and not any(r.name == new_template["revision"] for r in service.revisions)
        ):
            try:
                revision = self._new_revision(service, new_template)
            except ValueError as exc:
                return error(409, "ALREADY_EXISTS", str(exc))
        traffic = body.get("traffic") or [{"type": _LATEST, "percent": 100}]
        known = {r.name for r in service.revisions if r.ready}
        for entry in traffic:
            if entry.get("type") == _REVISION and entry.get("revision") not in known:
                if (
                    revision is not None
                    and entry["revision"] == revision.name
                    and not revision.ready
                ):
                    message = revision.to_api(service.name)["conditions"][0]["message"]
                    return self._operation(
                        parent, {}, f"Revision '{revision.name}' is not ready. {message}"
                    )
                return error(400, "INVALID_ARGUMENT", f"revision {entry.get('revision')} not found")
        if (
            revision is not None
            and not revision.ready
            and any(e.get("type") == _LATEST and int(e.get("percent", 0)) for e in traffic)
        ):
            message = revision.to_api(service.name)["conditions"][0]["message"]
            return self._operation(
                parent, {}, f"Revision '{revision.name}' is not ready. {message}"
            )
        service.body = {k: v for k, v in body.items() if k not in ("etag", "traffic")}
        service.body.setdefault("template", new_template)
        service.traffic = traffic
        service.generation += 1
        service.etag = f'"e{next(self._ids)}"'
        if revision is not None and revision.ready:
            self._created(revision)
        return self._operation(parent, service.to_api())

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

    # --- Artifact Registry ------------------------------------------------------------
    def _artifact_registry(
        self, request: httpx.Request, project: str, region: str, kind: str, item: str | None
    ) -> httpx.Response:
        parent = f"projects/{project}/locations/{region}"
        if kind == "operations":
            op = self.operations.get(f"{parent}/operations/{item}")
            return json_response(200, op) if op else error(404, "NOT_FOUND", "no operation")
        if item and request.method == "GET":
            repo = self.repositories.get(f"{parent}/repositories/{item}")
            if repo is None:
                return error(404, "NOT_FOUND", "Requested entity was not found.")
            return json_response(200, repo)
        if item is None and request.method == "POST":
            repo_id = request.url.params.get("repositoryId", "")
            body = json.loads(request.content or b"null")
            if not isinstance(body, dict) or set(body) - _REPOSITORY_FIELDS:
                return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            if body.get("format") != "DOCKER" or not re.match(
                r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", repo_id
            ):
                return error(400, "INVALID_ARGUMENT", "invalid repositoryId or format")
            name = f"{parent}/repositories/{repo_id}"
            if self.race_repository_create:
                self.repositories[name] = {"name": name, "format": "DOCKER"}
            if name in self.repositories:
                return error(409, "ALREADY_EXISTS", "the repository already exists")
            self.repositories[name] = {**body, "name": name}
            return self._operation(
                parent,
                self.repositories[name],
                type_url="type.googleapis.com/google.devtools.artifactregistry.v1.Repository",
                metadata_type="type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata",
            )
        return error(404, "NOT_FOUND", "no route")

    # --- credentials ------------------------------------------------------------------
    def _mint(self, who: str) -> str:
        token = f"ya29.fake-{next(self._ids)}"
        self.tokens[token] = who
        return token

    def issue_token(self, who: str) -> str:
        """An access token for ``who`` (e.g. the test's own pulls), as the fake mints them."""
        return self._mint(who)

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


# --- the emulator: run.app on loopback, Google's registry login, one origin ---------------

#: What the emulator is set up with (the OIDC fake's repository is the attribute condition).
EMULATOR_PROJECT = "pmcp-emulator"
EMULATOR_PROVIDER = (
    "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github"
)
EMULATOR_SERVICE_ACCOUNT = "deployer@pmcp-emulator.iam.gserviceaccount.com"
#: A prebuilt image reference pinned by digest: the emulator runs no container.
EMULATOR_IMAGE = "us-central1-docker.pkg.dev/pmcp-emulator/pmcp/hello-mcp@sha256:" + "0" * 64


class FakeGoogleCloud(FakeCloudRun):
    """The Cloud Run fake plus the ``*.run.app`` hosts, served under its own origin.

    ``<origin>/<host>/<path>`` answers for ``https://<host>/<path>``: the service's URL
    (the revision with the most traffic) and each tag's URL (``<tag>---<service>-…``)
    forward to one real MCP server (``mcp_url``), so every revision speaks MCP. A
    revision whose image is in ``broken_images`` answers 503 instead (a candidate that
    fails verification). Like Cloud Run, a service without ``allUsers`` as
    ``roles/run.invoker`` answers 403; ``settling_403s`` more 403s follow the grant that
    adds it (IAM propagation).

    With ``origin_for`` (image -> the loopback origin its container answers on, None while
    it starts) a revision's URLs forward to its own container instead of ``mcp_url``. With
    ``registry_signer``, ``GET /v2/token`` is Artifact Registry's token service for a real
    ``docker-registry`` (``auth: token``, this realm): Basic ``oauth2accesstoken`` and an
    access token this fake minted answer the signer's JWT for the requested scopes.
    """

    def __init__(self, mcp_url: str = "") -> None:
        super().__init__()
        self.mcp_url = mcp_url
        self.origin_for: Callable[[str], str | None] | None = None
        self.registry_signer: FakeRegistryTokenServer | None = None

    def reset_state(self) -> None:
        super().reset_state()
        self.broken_images: set[str] = set()
        self.settling_403s = 0
        self._pending_403s = 0
        #: Cloud Logging's entries:list, for the tokens this fake handed out.
        self.logging = FakeCloudLogging(accepts=lambda token: token in self.tokens)
        #: The registry JWTs ``/v2/token`` answered, and whom each login's access token
        #: speaks for.
        self.registry_tokens: list[str] = []
        self.registry_logins: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        first, _, rest = request.url.path.lstrip("/").partition("/")
        if first.endswith(".run.app"):
            return self._run_app(request, first, "/" + rest)
        if request.url.path == "/v2/token" and self.registry_signer is not None:
            return self._registry_token(request, self.registry_signer)
        if request.url.path == "/v2/entries:list" and request.method == "POST":
            return self.logging.entries_list(request)
        if request.url.path.startswith(("/v1/projects/", "/v2/projects/")):
            # Cloud Run, Artifact Registry and iamcredentials take only a token Google gave.
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                return error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                )
        return super().handle(request)

    def _registry_token(
        self, request: httpx.Request, signer: FakeRegistryTokenServer
    ) -> httpx.Response:
        """Artifact Registry's token service: ``oauth2accesstoken`` + a minted access token."""
        header = request.headers.get("Authorization", "")
        user, _, password = (
            base64.b64decode(header[6:]).decode().partition(":")
            if header.startswith("Basic ")
            else ("", "", "")
        )
        if request.method != "GET" or user != "oauth2accesstoken" or password not in self.tokens:
            return json_response(
                401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication failed"}]}
            )
        service = request.url.params.get("service", "")
        token = signer.sign(user, request.url.params.get_list("scope"), audience=service)
        self.registry_tokens.append(token)
        self.registry_logins.append(self.tokens[password])
        return json_response(200, {"token": token, "access_token": token, "expires_in": 300})

    def log(self, service: Service, revision: Revision, text: str) -> None:
        """What the revision's container writes to stderr, timestamped now."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        project = service.name.split("/")[1]
        self.logging.add(
            LogEntry(
                project,
                service.short,
                revision.name,
                stamp,
                text,
                stream="stderr",
                severity="ERROR",
            )
        )

    def _set_policy(self, request: httpx.Request, service: Service) -> httpx.Response:
        was_public = _public(service.policy)
        answer = super()._set_policy(request, service)
        if answer.status_code == 200 and not was_public and _public(service.policy):
            self._pending_403s = self.settling_403s
        return answer

    def served_revision(self, host: str) -> tuple[Service, Revision] | None:
        label = host.split(".", 1)[0]
        tag, sep, rest = label.partition("---")
        if not sep:
            tag, rest = "", label
        short = rest.removesuffix("-abc123-uc")
        service = next((s for s in self.services.values() if s.short == short), None)
        if service is None:
            return None
        api = service.to_api()
        wanted = ""
        best = -1
        for status in api["trafficStatuses"]:
            name = str(status.get("revision", ""))
            if tag and status.get("tag") == tag:
                wanted = name
                break
            if not tag and int(status.get("percent", 0) or 0) > best:
                wanted, best = name, int(status.get("percent", 0) or 0)
        revision = next((r for r in service.revisions if r.name == wanted and r.ready), None)
        return (service, revision) if revision is not None else None

    def _run_app(self, request: httpx.Request, host: str, path: str) -> httpx.Response:
        found = self.served_revision(host)
        if found is None:
            return httpx.Response(404, text=f"Page not found ({host}).")
        service, revision = found
        if not _public(service.policy) or self._pending_403s > 0:
            self._pending_403s = max(0, self._pending_403s - 1)
            return httpx.Response(
                403,
                headers={"Content-Type": "text/html; charset=UTF-8"},
                text="<h1>Error: Forbidden</h1><h2>Your client does not have permission to "
                "get URL from this server.</h2>",
            )
        if revision.template["containers"][0]["image"] in self.broken_images:
            self.log(service, revision, "thread 'main' panicked at src/main.rs:12: no tools")
            return httpx.Response(503, text="Service Unavailable")
        if self.origin_for is not None:
            container = self.origin_for(revision.template["containers"][0]["image"])
            if container is None:
                return httpx.Response(503, text=f"revision {revision.name} is starting")
            return forward(request, container, path, f"revision {revision.name}'s container")
        if not self.mcp_url:
            return httpx.Response(503, text="the fake has no MCP server behind run.app")
        origin = self.mcp_url.split("/mcp", 1)[0]
        return forward(request, origin, path, "the MCP server")


def _public(policy: dict[str, Any]) -> bool:
    return any(
        b.get("role") == "roles/run.invoker" and "allUsers" in (b.get("members") or ())
        for b in policy.get("bindings") or ()
    )


class FakeArtifactRegistryDocker(FakeOciRegistry):
    """``<region>-docker.pkg.dev``: the login is ``oauth2accesstoken`` and an access token
    the Google fake minted (and has not forgotten)."""

    def __init__(self, google: FakeCloudRun, *, host: str = "127.0.0.1:5000") -> None:
        super().__init__(host=host, auth="bearer", username="oauth2accesstoken", password="")
        self.google = google

    def _basic_ok(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == "oauth2accesstoken" and password in self.google.tokens


@contextmanager
def emulate(*, host: str = "127.0.0.1", tls: bool = False) -> Iterator[Running]:
    """STS, iamcredentials, Cloud Run and Artifact Registry on one origin, the OIDC fake
    (whose repository the provider's attribute condition names), and one MCP server
    behind every ``*.run.app`` URL (``PMCP_GOOGLE_RUN_APP_ORIGIN``)."""
    if tls:
        raise EmulatorError("google-cloud-run is emulated over plain http on loopback")
    from . import oidc_issuer
    from .mcp_servers import serve_mcp

    with ExitStack() as stack:
        oidc = stack.enter_context(oidc_issuer.EMULATOR.start(host=host))
        issuer = oidc.fakes["oidc"]
        mcp = stack.enter_context(serve_mcp())
        fake = FakeGoogleCloud(mcp.url)
        fake.providers[EMULATOR_PROVIDER] = {"repository": issuer.repository}
        fake.service_accounts[EMULATOR_SERVICE_ACCOUNT] = EMULATOR_PROVIDER
        url = str(stack.enter_context(LoopbackServer(fake, host=host)).url).rstrip("/")
        yield Running(
            urls=MappingProxyType(
                {"google-cloud-run": url, "google-cloud-run/oidc": oidc.urls["oidc"]}
            ),
            env=MappingProxyType(
                {
                    "PMCP_GOOGLE_API_URL": url,
                    "PMCP_GOOGLE_RUN_APP_ORIGIN": url,
                    "GOOGLE_CLOUD_PROJECT": EMULATOR_PROJECT,
                    "GCP_WORKLOAD_IDENTITY_PROVIDER": EMULATOR_PROVIDER,
                    "GCP_SERVICE_ACCOUNT": EMULATOR_SERVICE_ACCOUNT,
                    "PMCP_IMAGE": EMULATOR_IMAGE,
                    **oidc.env,
                }
            ),
            fakes=MappingProxyType({"google-cloud-run": fake, "oidc": issuer, "mcp": mcp}),
        )


def _stand_in(project: Path) -> str:
    return f"nothing to build: the emulator deploys the prebuilt image {EMULATOR_IMAGE}"


#: ``serve google-cloud-run`` and the demo: WIF (the OIDC fake's token through STS, then
#: impersonation), Cloud Run v2 and Artifact Registry on one origin; every service and tag
#: URL answers from one local MCP server.
EMULATOR = Emulator(
    name="google-cloud-run",
    summary="Google STS + iamcredentials + Cloud Run v2 + Artifact Registry; run.app URLs "
    "served by one MCP server",
    start=emulate,
    target=True,
    stand_in=_stand_in,
)
