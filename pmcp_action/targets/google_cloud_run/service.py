"""The Cloud Run service this target wants, and how it differs from what is there.

Pure functions over v2 JSON: the desired body (what v2 accepts, nothing output-only),
the list of changes against the current service (empty = unchanged, no new revision),
and the traffic lists for stage (a tagged revision at 0 %), promote and rollback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ...ownership import labels

__all__ = [
    "CANDIDATE_TAG",
    "all_to",
    "INGRESS",
    "SERVER_LABEL",
    "SERVICE_NAME",
    "SecretRef",
    "ServiceSettings",
    "changes",
    "desired_body",
    "pinned_traffic",
    "revision_name",
    "runtime_service_account",
    "secret_refs",
    "serving_revision",
    "short_name",
    "staged_traffic",
    "tagged_uri",
]

CANDIDATE_TAG = "candidate"
#: The label that names the server a service was deployed for.
SERVER_LABEL = "pmcp-server"
REVISION_TYPE = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
LATEST_TYPE = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
#: Cloud Run service names: lower-case letters, digits and hyphens, starting with a letter,
#: not ending with a hyphen, at most 49 characters.
SERVICE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$")
#: cargo-pmcp's ``[server].ingress`` values -> v2 enum names.
INGRESS = MappingProxyType(
    {
        "all": "INGRESS_TRAFFIC_ALL",
        "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
        "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
    }
)


@dataclass(frozen=True)
class SecretRef:
    """A variable the container reads from Secret Manager: the secret's id and the version
    pinned (a number, so a new value is a new revision)."""

    secret: str
    version: str

    def to_api(self) -> dict[str, Any]:
        return {"secretKeyRef": {"secret": self.secret, "version": self.version}}


@dataclass(frozen=True)
class ServiceSettings:
    """What a deploy sets on the service (defaults: cargo-pmcp's)."""

    server_name: str
    image: str
    memory: str = "512Mi"
    cpu: str = "1"
    max_instances: int = 10
    min_instances: int = 0
    ingress: str = "INGRESS_TRAFFIC_ALL"
    port: int = 8080
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The server's secrets: variable name -> the Secret Manager version it reads.
    secrets: Mapping[str, SecretRef] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def labels(self) -> dict[str, str]:
        """The ownership mark and the server's name (on the service and its revisions)."""
        return labels(self.server_name, server_key=SERVER_LABEL)


#: cargo-pmcp's service defaults, written once (the configuration falls back to these).
DEFAULTS = ServiceSettings(server_name="", image="")


def short_name(resource: str) -> str:
    """``projects/…/revisions/calc-00002-x`` -> ``calc-00002-x``."""
    return resource.rsplit("/", 1)[-1]


def revision_name(service: str, digest: str, attempt: str) -> str:
    """An explicit, unique revision name (LATEST cannot be tagged): service-digest-attempt."""
    hex_part = digest.rpartition(":")[2][:7] or "0000000"
    suffix = re.sub(r"[^a-z0-9]", "", attempt.lower())[:8] or "1"
    return f"{service}-{hex_part}-{suffix}"[:63].rstrip("-")


def _container(settings: ServiceSettings) -> dict[str, Any]:
    container: dict[str, Any] = {
        "image": settings.image,
        "ports": [{"containerPort": settings.port}],
        "resources": {"limits": {"cpu": settings.cpu, "memory": settings.memory}},
    }
    env: list[dict[str, Any]] = [
        {"name": key, "value": value}
        for key, value in settings.environment.items()
        if key != "PORT" and key not in settings.secrets
    ]
    env += [{"name": key, "valueSource": ref.to_api()} for key, ref in settings.secrets.items()]
    env.sort(key=lambda entry: str(entry["name"]))
    if env:
        container["env"] = env
    return container


def desired_body(
    settings: ServiceSettings,
    *,
    current: Mapping[str, Any] | None = None,
    revision: str = "",
    traffic: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The Service body to create or PATCH (with the current etag for a conditional write).

    Labels and annotations the service already has (set by someone else) are kept, as
    are template fields this tool does not manage (service account, timeout, …).
    """
    current = current or {}
    current_template = current.get("template") if isinstance(current.get("template"), dict) else {}
    assert isinstance(current_template, dict)
    template: dict[str, Any] = {
        key: value
        for key, value in current_template.items()
        if key not in ("revision", "containers", "scaling", "labels")
    }
    template["labels"] = {**(current_template.get("labels") or {}), **settings.labels}
    template["containers"] = [_container(settings)]
    template["scaling"] = {
        "minInstanceCount": settings.min_instances,
        "maxInstanceCount": settings.max_instances,
    }
    if revision:
        template["revision"] = revision
    body: dict[str, Any] = {
        "labels": {**(current.get("labels") or {}), **settings.labels},
        "ingress": settings.ingress,
        "template": template,
    }
    for kept in ("annotations", "description", "invokerIamDisabled", "scaling"):
        if kept in current:
            body[kept] = current[kept]
    if current.get("etag"):
        body["etag"] = current["etag"]
    if traffic is not None:
        body["traffic"] = traffic
    return body


def _limits(container: Mapping[str, Any]) -> Mapping[str, Any]:
    resources = container.get("resources") or {}
    return resources.get("limits") or {}


def changes(current: Mapping[str, Any], settings: ServiceSettings) -> list[str]:
    """What a deploy would change on ``current`` (empty: unchanged, no new revision)."""
    template = current.get("template") or {}
    containers = template.get("containers") or [{}]
    container = containers[0]
    scaling = template.get("scaling") or {}
    limits = _limits(container)
    found: list[str] = []
    if container.get("image") != settings.image:
        found.append(f"image {container.get('image', '(none)')} -> {settings.image}")
    if str(limits.get("memory", "")) != settings.memory:
        found.append(f"memory {limits.get('memory', '(default)')} -> {settings.memory}")
    if str(limits.get("cpu", "")) != settings.cpu:
        found.append(f"cpu {limits.get('cpu', '(default)')} -> {settings.cpu}")
    if int(scaling.get("maxInstanceCount", 0) or 0) != settings.max_instances:
        found.append(f"max instances -> {settings.max_instances}")
    if int(scaling.get("minInstanceCount", 0) or 0) != settings.min_instances:
        found.append(f"min instances -> {settings.min_instances}")
    if current.get("ingress", "INGRESS_TRAFFIC_ALL") != settings.ingress:
        found.append(f"ingress {current.get('ingress')} -> {settings.ingress}")
    ports = container.get("ports") or [{"containerPort": 8080}]
    if int(ports[0].get("containerPort", 8080)) != settings.port:
        found.append(f"port -> {settings.port}")
    entries = container.get("env") or ()
    env = {e.get("name"): e.get("value") for e in entries if "valueSource" not in e}
    wanted = {
        k: v for k, v in settings.environment.items() if k != "PORT" and k not in settings.secrets
    }
    if env != wanted:
        names = sorted(set(env) ^ set(wanted) | {k for k in wanted if env.get(k) != wanted[k]})
        found.append(f"environment ({', '.join(str(n) for n in names)})")
    refs = _refs(entries)
    if refs != dict(settings.secrets):
        names = sorted(
            set(refs) ^ set(settings.secrets)
            | {k for k in settings.secrets if refs.get(k) != settings.secrets[k]}
        )
        found.append(f"secrets ({', '.join(names)})")
    labels = current.get("labels") or {}
    if any(labels.get(k) != v for k, v in settings.labels.items()):
        found.append("labels managed-by/pmcp-server")
    return found


def _refs(entries: Any) -> dict[str, SecretRef]:
    """The env entries that read Secret Manager, by variable name."""
    refs: dict[str, SecretRef] = {}
    for entry in entries or ():
        ref = (entry.get("valueSource") or {}).get("secretKeyRef") or {}
        if ref.get("secret"):
            refs[str(entry.get("name"))] = SecretRef(
                str(ref["secret"]), str(ref.get("version", ""))
            )
    return refs


def secret_refs(service: Mapping[str, Any]) -> dict[str, SecretRef]:
    """What the service's template reads from Secret Manager, by variable name."""
    containers = (service.get("template") or {}).get("containers") or [{}]
    return _refs(containers[0].get("env"))


def runtime_service_account(service: Mapping[str, Any]) -> str:
    """The service account the template's revisions run as ("" : the default one)."""
    return str((service.get("template") or {}).get("serviceAccount") or "")


def serving_revision(service: Mapping[str, Any]) -> str:
    """The revision taking the most traffic now ("" when none)."""
    best, best_percent = "", 0
    for status in service.get("trafficStatuses") or ():
        percent = int(status.get("percent", 0) or 0)
        revision = status.get("revision") or ""
        if status.get("type") == LATEST_TYPE and not revision:
            revision = service.get("latestReadyRevision", "")
        if percent > best_percent and revision:
            best, best_percent = short_name(str(revision)), percent
    return best


def pinned_traffic(service: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The current split as REVISION targets (so a new revision takes none of it)."""
    pinned: list[dict[str, Any]] = []
    for status in service.get("trafficStatuses") or ():
        percent = int(status.get("percent", 0) or 0)
        revision = status.get("revision") or (
            service.get("latestReadyRevision", "") if status.get("type") == LATEST_TYPE else ""
        )
        if percent and revision:
            pinned.append(
                {"type": REVISION_TYPE, "revision": short_name(str(revision)), "percent": percent}
            )
    return pinned


def staged_traffic(service: Mapping[str, Any], revision: str) -> list[dict[str, Any]]:
    """Traffic as it is, plus the new revision under the candidate tag at 0 %."""
    return [
        *pinned_traffic(service),
        {"type": REVISION_TYPE, "revision": revision, "tag": CANDIDATE_TAG},
    ]


def is_ready(revision: Mapping[str, Any]) -> bool:
    """Cloud Run's Ready condition has succeeded."""
    return any(
        c.get("type") == "Ready" and c.get("state") == "CONDITION_SUCCEEDED"
        for c in revision.get("conditions") or ()
    )


#: The service annotation where each traffic move records the revision it moved off: the
#: "previous" of outputs and rollback (a newer revision that never served — a discarded
#: candidate — must not be taken for it).
PREVIOUS_ANNOTATION = "pmcp-action/previous-revision"


def previous_revision(service: Mapping[str, Any], revisions: list[dict[str, Any]]) -> str:
    """The revision that served before the serving one ("" when none is ready).

    The one the last traffic move recorded, when it is still ready; otherwise the newest
    ready revision created before the serving one (``revisions`` newest first).
    """
    serving = serving_revision(service)
    ready = [short_name(str(r.get("name", ""))) for r in revisions if is_ready(r)]
    recorded = str((service.get("annotations") or {}).get(PREVIOUS_ANNOTATION, ""))
    if recorded and recorded != serving and recorded in ready:
        return recorded
    older = ready[ready.index(serving) + 1 :] if serving in ready else []
    return older[0] if older else ""


def with_previous(service: Mapping[str, Any], traffic: list[dict[str, Any]]) -> dict[str, str]:
    """The service's annotations after a write of ``traffic``: the revision it moves off."""
    annotations = dict(service.get("annotations") or {})
    before = serving_revision(service)
    after = max(traffic, key=lambda t: int(t.get("percent", 0) or 0), default={})
    moved_to = str(after.get("revision", "")) if int(after.get("percent", 0) or 0) else ""
    if before and moved_to and moved_to != before:
        annotations[PREVIOUS_ANNOTATION] = before
    return annotations


def all_to(revision: str) -> list[dict[str, Any]]:
    """100 % to one revision (promote and rollback): no new revision is made."""
    return [{"type": REVISION_TYPE, "revision": revision, "percent": 100}]


def split_to(previous: str, revision: str, percent: int) -> list[dict[str, Any]]:
    """``percent`` % to ``revision`` (keeping its candidate tag), the rest to ``previous``;
    0 is all back on ``previous`` (the tag dropped, as a discard leaves it)."""
    if not percent:
        return all_to(previous)
    return [
        {"type": REVISION_TYPE, "revision": previous, "percent": 100 - percent},
        {"type": REVISION_TYPE, "revision": revision, "percent": percent, "tag": CANDIDATE_TAG},
    ]


def tagged_uri(service: Mapping[str, Any], tag: str = CANDIDATE_TAG) -> str:
    for status in service.get("trafficStatuses") or ():
        if status.get("tag") == tag and status.get("uri"):
            return str(status["uri"])
    return ""
