"""Cloud Run Admin API v2: services (create, read, patch, delete), their revisions and
operations, each change answered as a long-running operation done at its first poll.

A revision whose container reads a Secret Manager version (``valueSource.secretKeyRef``)
becomes ready only when its service account (the template's, else the project's default
compute account) may read that version, as Cloud Run checks it.

Faults beyond the shared fault plan: ``never_ready`` (images whose revision never becomes
ready).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import httpx

from ..server import json_response
from .envelope import error
from .run_iam import CloudRunIam
from .run_resources import Revision, Service
from .run_schema import LATEST, REVISION, masked, problem, query_problem, stored
from .secret_manager import SecretManager

__all__ = ["CloudRunServices"]

_ROUTE = re.compile(r"^/v2/projects/([^/]+)/locations/([^/]+)/(.*)$")


class CloudRunServices(CloudRunIam, SecretManager):
    """Cloud Run's services, revisions and operations over the shared state."""

    def _run(self, request: httpx.Request) -> httpx.Response:
        """``/v2/projects/<p>/locations/<r>/…``: services, revisions, operations, IAM."""
        match = _ROUTE.match(request.url.path)
        if match is None:
            return error(404, "NOT_FOUND", f"no route {request.url.path}")
        project, region, rest = match.groups()
        refused = query_problem(request.method, rest, request.url.params)
        if refused:
            return error(400, "INVALID_ARGUMENT", refused)
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
        if len(parts) == 4 and parts[2] == "revisions" and method in ("GET", "DELETE"):
            found = next((r for r in service.revisions if r.name == parts[3]), None)
            if found is None:
                return error(
                    404, "NOT_FOUND", f"Resource '{name}/revisions/{parts[3]}' was not found"
                )
            if method == "DELETE":
                return self._delete_revision(parent, service, found, name)
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

    def _new_revision(self, service: Service, template: dict[str, Any]) -> Revision:
        name = template.get("revision") or f"{service.short}-{len(service.revisions) + 1:05d}-x"
        if any(r.name == name for r in service.revisions):
            raise ValueError(
                f"Revision named '{name}' with different configuration already exists."
            )
        image = template["containers"][0]["image"]
        unreadable = self._unreadable_secret(service, template)
        revision = Revision(
            name,
            copy.deepcopy(template),
            ready=image not in self.never_ready and not unreadable,
            message=unreadable,
        )
        service.revisions.append(revision)
        return revision

    def _unreadable_secret(self, service: Service, template: dict[str, Any]) -> str:
        """Why the revision cannot read a secret its container reads ("" when it can)."""
        project = service.name.split("/")[1]
        account = template.get("serviceAccount") or (
            f"{self.project_number(project)}-compute@developer.gserviceaccount.com"
        )
        for index, entry in enumerate(template["containers"][0].get("env") or ()):
            ref = (entry.get("valueSource") or {}).get("secretKeyRef")
            if not ref:
                continue
            why = self.readable_by(project, ref["secret"], str(ref.get("version", "")), account)
            if why:
                return (
                    f"spec.template.spec.containers[0].env[{index}].value_from.secret_key_ref"
                    f".name: {why}"
                )
        return ""

    def environment_of(self, revision: Revision, project: str) -> dict[str, str]:
        """What the revision's container sees: its variables, secrets read (a test's view)."""
        seen: dict[str, str] = {}
        for entry in revision.template["containers"][0].get("env") or ():
            ref = (entry.get("valueSource") or {}).get("secretKeyRef")
            if ref:
                seen[entry["name"]] = self.value(project, ref["secret"], str(ref["version"]))
            else:
                seen[entry["name"]] = str(entry.get("value", ""))
        return seen

    def _create(self, request: httpx.Request, parent: str, service_id: str = "") -> httpx.Response:
        """``name`` in the body is ignored (v2: composed from parent and serviceId)."""
        service_id = service_id or request.url.params.get("serviceId", "")
        if not re.match(r"^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$", service_id):
            return error(400, "INVALID_ARGUMENT", "serviceId is invalid or missing")
        name = f"{parent}/services/{service_id}"
        if name in self.services:
            return error(409, "ALREADY_EXISTS", f"Resource '{name}' already exists.")
        body = json.loads(request.content or b"null")
        refused = problem(body)
        if not refused and not (body.get("template") or {}).get("containers"):
            refused = "template.containers: at least one container is required"
        if refused:
            return error(400, "INVALID_ARGUMENT", refused)
        body = stored(body)
        service = Service(name, body, etag=f'"e{next(self._ids)}"')
        revision = self._new_revision(service, body["template"])
        if request.url.params.get("validateOnly") == "true":
            service.traffic = body.get("traffic") or [{"type": LATEST, "percent": 100}]
            return self._operation(parent, service.to_api())
        if not revision.ready:
            message = revision.to_api(name)["conditions"][0]["message"]
            self.services[name] = service
            service.traffic = []
            return self._operation(
                parent, {}, f"Revision '{revision.name}' is not ready. {message}"
            )
        service.traffic = body.get("traffic") or [{"type": LATEST, "percent": 100}]
        self.services[name] = service
        self._created(service, revision)
        return self._operation(parent, service.to_api())

    def _created(self, service: Service, revision: Revision) -> None:
        """A ready revision was created: it pulls its image and starts with its variables
        (``on_revision``, when set)."""
        if self.on_revision is not None:
            project = service.name.split("/")[1]
            self.on_revision(
                revision.template["containers"][0]["image"],
                self.environment_of(revision, project),
            )

    def _delete_revision(
        self, parent: str, service: Service, revision: Any, name: str
    ) -> httpx.Response:
        """A revision that traffic names (a tag included) or the service's latest is kept."""
        api = service.to_api()
        latest = str(api.get("latestCreatedRevision", "")).rsplit("/", 1)[-1]
        named = {str(s.get("revision", "")).rsplit("/", 1)[-1] for s in api["trafficStatuses"]}
        if revision.name in named or revision.name == latest:
            return error(
                400,
                "FAILED_PRECONDITION",
                f"Revision {revision.name} is referenced by traffic or is the latest revision "
                "and cannot be deleted",
            )
        service.revisions.remove(revision)
        return self._operation(parent, revision.to_api(name))

    def _update(self, request: httpx.Request, service: Service) -> httpx.Response:
        body = json.loads(request.content or b"null")
        refused = problem(body)
        if refused:
            return error(400, "INVALID_ARGUMENT", refused)
        for entry in body.get("traffic") or ():
            tag = str(entry.get("tag") or "")
            if tag and len(tag) + len(service.short) > 46:
                return error(
                    400,
                    "INVALID_ARGUMENT",
                    f"tag {tag!r} with service {service.short!r}: a tag URL's label is too long",
                )
        if body.get("etag") and body["etag"] != service.etag:
            return error(409, "ABORTED", "etag mismatch: the service was modified")
        parent = service.name.rsplit("/services/", 1)[0]
        body = stored(body)
        if request.url.params.get("updateMask"):
            current = {**service.body, "traffic": copy.deepcopy(service.traffic)}
            body, refused = masked(current, body, request.url.params["updateMask"])
            if refused:
                return error(400, "INVALID_ARGUMENT", refused)
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
        traffic = body.get("traffic") or [{"type": LATEST, "percent": 100}]
        known = {r.name for r in service.revisions if r.ready}
        for entry in traffic:
            if entry.get("type") == REVISION and entry.get("revision") not in known:
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
            and any(e.get("type") == LATEST and int(e.get("percent", 0)) for e in traffic)
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
            self._created(service, revision)
        if self.on_traffic is not None:
            self.on_traffic(service)
        return self._operation(parent, service.to_api())
