"""Container Apps under ARM: managed environments, container apps and their revisions.

A PUT writes the whole app, a PATCH merges (RFC 7396); with ``app_etags`` each write gives
the app a new ``etag`` and a write whose ``If-Match`` is not the app's is refused (412
PreconditionFailed); ``on_app_write`` is called with each app written. A changed template
makes a revision
(``<app>--<suffix>``; a suffix used before is refused). Traffic must sum to 100 and may name
revisions only in ``Multiple`` mode. The app's secrets (:mod:`.app_secrets`) are shown by
name only; ``POST …/listSecrets`` gives their values. A revision provisions, runs and is
healthy, unless its image is in :attr:`FakeArm.failing_images`, cannot be pulled from ACR
(:meth:`~.acr.FakeAcr.pull_refusal`), or :attr:`FakeArm.revision_states` says otherwise.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import httpx

from ..server import json_response
from .app_secrets import secret_refs, tag_refusal
from .arm import ArmBase, arm_failure

__all__ = ["FakeArm"]

#: Top-level members ARM takes on a Microsoft.App resource (``id``, ``name``, ``type``,
#: ``systemData`` and ``etag`` are read-only: accepted, ignored); the optional ones are kept
#: as sent.
_KEPT_FIELDS = ("kind", "managedBy", "extendedLocation")
_APP_FIELDS = frozenset(
    {"location", "tags", "identity", "properties", "name", "type", "id", "systemData", "etag"}
    | set(_KEPT_FIELDS)
)


class FakeArm(ArmBase):
    """ARM for one subscription with Container Apps: environments, apps, revisions."""

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
        if_match = request.headers.get("If-Match", "")
        if (
            self.app_etags
            and request.method in ("PUT", "PATCH")
            and if_match
            and if_match != "*"
            and (resource is None or if_match != resource.get("etag"))
        ):
            return arm_failure(
                412,
                "PreconditionFailed",
                "The condition specified using HTTP conditional header(s) is not met.",
            )
        if request.method in ("PUT", "PATCH", "DELETE") and key in self.busy:
            self.settle(key)
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
            self.secrets.drop(key)
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
        refused = tag_refusal(body.get("tags"))
        if refused is not None:
            return refused
        given = ((body.get("properties") or {}).get("configuration") or {}).get("secrets")
        if request.method == "PATCH":
            if resource is None:
                return arm_failure(404, "ContainerAppNotFound", f"'{name}' was not found.")
            merged = _merge(json.loads(json.dumps(resource)), body)
            # A merge patch without secrets keeps them; with them, the array is replaced.
            return self._write_app(rid, key, name, merged, resource, patch=True, secrets=given)
        if request.method == "PUT":
            # A PUT is the whole app: secrets not sent are secrets no more.
            return self._write_app(rid, key, name, body, resource, patch=False, secrets=given or [])
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
        secrets: Any = None,
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
        refused = self.secrets.refusal(secrets)
        if refused is not None:
            return refused
        held = self.secrets.names_after(key, secrets)
        reading = (
            {
                r["name"]: secret_refs(r["properties"]["template"])
                for r in revisions.values()
                if r["properties"]["active"]
            }
            if mode == "Multiple"
            else {}
        )
        removed = set(self.secrets.entries.get(key, {})) - held
        refused = self.secrets.ref_refusal(held, config, template, reading, removed)
        if refused is not None:
            return refused
        domain = environment["properties"]["defaultDomain"]
        identity = self.acr.identity(body.get("identity"), old)
        config = {**config, "secrets": self.secrets.write(key, secrets)}
        reason = self.failing_images.get(containers[0]["image"], "")
        if new_revision:
            image = containers[0]["image"]
            env = self.secrets.environment(key, containers)
            self.secrets.started[f"{rid}/revisions/{new_revision}".lower()] = env
            reason = reason or self.acr.pull_refusal(key, image, config, identity, env)
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
        if self.app_etags:
            self.resources[key]["etag"] = f'"{uuid.uuid4().hex}"'
        if self.on_app_write is not None:
            self.on_app_write(self.resources[key])
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
        labels = [str(t["label"]) for t in traffic if t.get("label")]
        for label in labels:
            if not re.fullmatch(r"[a-z](?:[a-z0-9-]*[a-z0-9])?", label) or "--" in label:
                return arm_failure(
                    400, "ContainerAppInvalidLabel", f"The traffic label '{label}' is invalid."
                )
        if len(set(labels)) != len(labels):
            return arm_failure(400, "ContainerAppDuplicateLabel", "Traffic labels must be unique.")
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
        if sub == ["listSecrets"] and request.method == "POST":
            return self.secrets.listed(key)
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
