"""Cloud Run Admin API v2's shapes as the fake checks them: the fields of each message, the
enums (names and proto numbers), output-only fields, update masks and query parameters.

Strict on request shapes: a Service body with a field the v2 API does not have (an env
entry's ``valueSource.secretKeyRef`` included), a reserved variable, or a writable field out
of its enum, is refused with 400 INVALID_ARGUMENT, as the real API refuses it. What
Google's own clients send is accepted (``test_peers.py``): enum numbers (answered in kind
under ``$alt=json;enum-encoding=int``), omitted proto3 defaults, output-only fields sent
back, ``updateMask``, ``validateOnly``, ``allowMissing``; a query parameter the request
message does not have is refused.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx

__all__ = [
    "CONTAINER_FIELDS",
    "ENUMS",
    "LATEST",
    "OUTPUT_ONLY",
    "REVISION",
    "SERVICE_FIELDS",
    "TEMPLATE_FIELDS",
    "TRAFFIC_FIELDS",
    "as_numbers",
    "masked",
    "problem",
    "query_problem",
    "stored",
]

SERVICE_FIELDS = {
    "name", "description", "uid", "generation", "labels", "annotations", "createTime",
    "updateTime", "deleteTime", "expireTime", "creator", "lastModifier", "client",
    "clientVersion", "ingress", "launchStage", "binaryAuthorization", "template", "traffic",
    "scaling", "invokerIamDisabled", "defaultUriDisabled", "urls", "customAudiences",
    "observedGeneration", "terminalCondition", "conditions", "latestReadyRevision",
    "latestCreatedRevision", "trafficStatuses", "uri", "satisfiesPzs", "reconciling", "etag",
    "iapEnabled", "multiRegionSettings", "threatDetectionEnabled", "buildConfig",
}  # fmt: skip
TEMPLATE_FIELDS = {
    "revision", "labels", "annotations", "scaling", "vpcAccess", "timeout", "serviceAccount",
    "containers", "volumes", "executionEnvironment", "encryptionKey",
    "maxInstanceRequestConcurrency", "serviceMesh", "sessionAffinity", "healthCheckDisabled",
    "nodeSelector", "encryptionKeyRevocationAction", "encryptionKeyShutdownDuration",
    "gpuZonalRedundancyDisabled",
}  # fmt: skip
CONTAINER_FIELDS = {
    "name", "image", "command", "args", "env", "resources", "ports", "volumeMounts",
    "workingDir", "livenessProbe", "startupProbe", "dependsOn", "sourceCode", "readinessProbe",
    "baseImageUri", "buildInfo",
}  # fmt: skip
TRAFFIC_FIELDS = {"type", "revision", "percent", "tag"}
_ENV_FIELDS = {"name", "value", "valueSource"}
#: Variables the container contract sets itself.
_RESERVED_ENV = {"PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"}
_INGRESS = {
    "INGRESS_TRAFFIC_ALL",
    "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
    "INGRESS_TRAFFIC_NONE",
}
LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
#: Enum fields by JSON name -> {value name: proto number}. The REST surface takes the name or
#: the number; Google's client sends numbers (``$alt=json;enum-encoding=int``) and is answered
#: with numbers. The fake stores names.
ENUMS: dict[str, dict[str, int]] = {
    "ingress": {
        "INGRESS_TRAFFIC_UNSPECIFIED": 0, "INGRESS_TRAFFIC_ALL": 1,
        "INGRESS_TRAFFIC_INTERNAL_ONLY": 2, "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER": 3,
        "INGRESS_TRAFFIC_NONE": 4,
    },
    "type": {"TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED": 0, LATEST: 1, REVISION: 2},
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
OUTPUT_ONLY = {
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
    values = ENUMS[field_name]
    if isinstance(value, str) and value in values:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return next((n for n, i in values.items() if i == value), None)
    return None


def as_numbers(payload: Any, key: str = "") -> Any:
    """A response for ``enum-encoding=int``: enum names of known fields become numbers."""
    if isinstance(payload, dict):
        return {k: v if k in _MAPS else as_numbers(v, k) for k, v in payload.items()}
    if isinstance(payload, list):
        return [as_numbers(v, key) for v in payload]
    if isinstance(payload, str) and key in ENUMS:
        return ENUMS[key].get(payload, payload)
    return payload


def _proto_defaults_dropped(value: Any) -> Any:
    """A message as proto3 sees it: null, 0, false, "" and [] are the unset default."""
    if isinstance(value, dict):
        kept = {k: v if k in _MAPS else _proto_defaults_dropped(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, 0, False, "", [])}
    if isinstance(value, list):
        return [_proto_defaults_dropped(v) for v in value]
    return value


def stored(body: dict[str, Any]) -> dict[str, Any]:
    """A Service body as the API keeps it: no output-only fields, no proto defaults."""
    kept = {k: v for k, v in body.items() if k not in OUTPUT_ONLY}
    dropped: dict[str, Any] = _proto_defaults_dropped(kept)
    return dropped


def masked(current: dict[str, Any], body: dict[str, Any], mask: str) -> tuple[dict[str, Any], str]:
    """``current`` with the ``updateMask`` paths (comma-separated, camelCase) from ``body``."""
    merged = copy.deepcopy(current)
    for path in mask.split(","):
        keys = path.strip().split(".")
        if keys[0] not in SERVICE_FIELDS or keys[0] in OUTPUT_ONLY | {"name", "etag"}:
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


def query_problem(method: str, rest: str, params: httpx.QueryParams) -> str:
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


#: A traffic tag: a DNS label's prefix (its length with the service's is checked on write).
_TAG = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")


def problem(body: Any) -> str:
    """What is wrong with a Service body (enum numbers become names in place); "" if nothing."""
    if not isinstance(body, dict):
        return "the body must be a Service object"
    unknown = set(body) - SERVICE_FIELDS
    template = body.get("template", {})
    if not isinstance(template, dict):
        return "template must be an object"
    unknown |= {f"template.{k}" for k in set(template) - TEMPLATE_FIELDS}
    for container in template.get("containers", []):
        unknown |= {f"template.containers.{k}" for k in set(container) - CONTAINER_FIELDS}
        if not container.get("image"):
            return "template.containers.image is required"
        reserved = sorted({str(e.get("name")) for e in container.get("env", [])} & _RESERVED_ENV)
        if reserved:
            return f"The following reserved env names were provided: {', '.join(reserved)}"
        for entry in container.get("env", []):
            unknown |= {f"template.containers.env.{k}" for k in set(entry) - _ENV_FIELDS}
            source = entry.get("valueSource")
            if source is None:
                continue
            if not isinstance(source, dict) or set(source) - {"secretKeyRef"}:
                names = sorted(set(source) - {"secretKeyRef"}) if isinstance(source, dict) else []
                first = names[0] if names else ""
                return f'Invalid JSON payload received. Unknown name "valueSource.{first}"'
            ref = source.get("secretKeyRef")
            if not isinstance(ref, dict) or not ref.get("secret"):
                return "template.containers.env.valueSource.secretKeyRef.secret is required"
            unknown |= {
                f"template.containers.env.valueSource.secretKeyRef.{k}"
                for k in set(ref) - {"secret", "version"}
            }
            if entry.get("value"):
                return f"env {entry.get('name')}: value and valueSource cannot both be set"
    for entry in body.get("traffic", []):
        unknown |= {f"traffic.{k}" for k in set(entry) - TRAFFIC_FIELDS}
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
    tags = [str(e["tag"]) for e in traffic or () if e.get("tag")]
    for tag in tags:
        if not _TAG.fullmatch(tag):
            return f"traffic tag {tag!r}: must match {_TAG.pattern}"
    if len(set(tags)) != len(tags):
        return "traffic tags must be unique"
    return ""
