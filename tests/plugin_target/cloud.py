"""Demo Cloud itself: an in-memory service answering its HTTP API, in this process.

It stands where a real platform's API would be, so the plug-in talks to it as a real
target talks to its cloud (a :class:`~pmcp_action.plugin.RestApi` over an HTTP client);
nothing leaves the process. One cloud serves one endpoint (:func:`cloud_at`), and keeps
its services for the life of the process.

The API, under the endpoint's path (JSON bodies; an error is
``{"error": {"code": …, "message": …}}``):

- ``POST /v1/sessions`` with the API token as bearer: a session token for the other calls;
- ``GET /v1/services/{name}``: the service, its versions and which one serves (404: none);
- ``POST /v1/services``: a new service whose first version serves at once (409: it exists);
- ``POST /v1/services/{name}/versions``: a new version, serving nothing;
- ``PUT /v1/services/{name}/traffic``: ``{"serving": id, "if_serving": id}`` (412 when
  another version serves than the caller read);
- ``DELETE /v1/services/{name}/versions/{id}``: a version that serves nothing;
- ``DELETE /v1/services/{name}``: the service;
- ``GET /v1/services/{name}/versions/{id}/logs?limit=N``: what the version logged.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["DemoCloud", "DemoService", "cloud_at"]

_SERVICE = re.compile(r"^/v1/services/([^/]+)$")
_VERSIONS = re.compile(r"^/v1/services/([^/]+)/versions$")
_VERSION = re.compile(r"^/v1/services/([^/]+)/versions/([^/]+)$")
_TRAFFIC = re.compile(r"^/v1/services/([^/]+)/traffic$")
_LOGS = re.compile(r"^/v1/services/([^/]+)/versions/([^/]+)/logs$")


@dataclass
class DemoService:
    name: str
    region: str
    labels: dict[str, str]
    #: Version id -> the digest it was made from, oldest first.
    versions: dict[str, str] = field(default_factory=dict)
    serving: str = ""
    previous: str = ""

    @property
    def ref(self) -> str:
        return "ref-" + hashlib.sha256(f"{self.region}/{self.name}".encode()).hexdigest()[:12]

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region": self.region,
            "ref": self.ref,
            "labels": dict(self.labels),
            "versions": [{"id": key, "digest": value} for key, value in self.versions.items()],
            "serving": self.serving,
            "previous": self.previous,
        }


class DemoCloud:
    """The services of one Demo Cloud endpoint, and the tokens it accepts."""

    def __init__(self, *, prefix: str = "", refused_tokens: tuple[str, ...] = ()) -> None:
        #: The endpoint's path, in front of every API path ("/mcp" for https://x.example/mcp).
        self.prefix = prefix.rstrip("/")
        self.services: dict[str, DemoService] = {}
        self.refused_tokens = set(refused_tokens)
        self.sessions: dict[str, str] = {}
        self.calls: list[str] = []
        self._ids = itertools.count(1)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # --- the HTTP API -------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(self.prefix)
        self.calls.append(f"{request.method} {path}")
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if request.method == "POST" and path == "/v1/sessions":
            return self._session(token)
        if token not in self.sessions:
            return _error(401, "unauthorized", "the session is not valid")
        body: dict[str, Any] = json.loads(request.content) if request.content else {}
        if request.method == "POST" and path == "/v1/services":
            return self._create(body)
        if match := _SERVICE.match(path):
            return self._service(request.method, match[1])
        if match := _VERSIONS.match(path):
            return self._add_version(match[1], body)
        if match := _TRAFFIC.match(path):
            return self._traffic(match[1], body)
        if match := _LOGS.match(path):
            return self._logs(match[1], match[2], int(request.url.params.get("limit", "50")))
        if (match := _VERSION.match(path)) and request.method == "DELETE":
            return self._drop_version(match[1], match[2])
        return _error(404, "not_found", f"no route {request.method} {path}")

    def _session(self, token: str) -> httpx.Response:
        if not token or token in self.refused_tokens:
            return _error(401, "unauthorized", "the API token is not valid")
        session = f"sess-{hashlib.sha256(token.encode()).hexdigest()[:16]}-{next(self._ids)}"
        self.sessions[session] = token
        user = "demo-user-" + hashlib.sha256(token.encode()).hexdigest()[:6]
        return httpx.Response(201, json={"session": session, "user": user})

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        name = str(body.get("name", ""))
        if name in self.services:
            return _error(409, "conflict", f"service {name} exists")
        service = DemoService(name, str(body.get("region", "")), dict(body.get("labels", {})))
        service.versions["1"] = str(body.get("digest", ""))
        service.serving = "1"
        self.services[name] = service
        return httpx.Response(201, json=service.view())

    def _service(self, method: str, name: str) -> httpx.Response:
        service = self.services.get(name)
        if service is None:
            return _error(404, "not_found", f"no service {name}")
        if method == "DELETE":
            del self.services[name]
            return httpx.Response(204)
        return httpx.Response(200, json=service.view())

    def _add_version(self, name: str, body: dict[str, Any]) -> httpx.Response:
        service = self.services.get(name)
        if service is None:
            return _error(404, "not_found", f"no service {name}")
        version = str(len(service.versions) + 1)
        while version in service.versions:
            version = str(int(version) + 1)
        service.versions[version] = str(body.get("digest", ""))
        return httpx.Response(201, json={"id": version})

    def _traffic(self, name: str, body: dict[str, Any]) -> httpx.Response:
        service = self.services.get(name)
        if service is None:
            return _error(404, "not_found", f"no service {name}")
        wanted = str(body.get("serving", ""))
        if wanted not in service.versions:
            return _error(404, "not_found", f"no version {wanted} of {name}")
        if str(body.get("if_serving", "")) != service.serving:
            return _error(412, "moved", f"version {service.serving} serves now")
        if wanted != service.serving:
            service.previous, service.serving = service.serving, wanted
        return httpx.Response(200, json=service.view())

    def _drop_version(self, name: str, version: str) -> httpx.Response:
        service = self.services.get(name)
        if service is None or version not in service.versions:
            return _error(404, "not_found", f"no version {version} of {name}")
        if version == service.serving:
            return _error(409, "conflict", f"version {version} serves")
        del service.versions[version]
        return httpx.Response(204)

    def _logs(self, name: str, version: str, limit: int) -> httpx.Response:
        service = self.services.get(name)
        if service is None or version not in service.versions:
            return _error(404, "not_found", f"no version {version} of {name}")
        lines = [f"version {version} of {name} started", "listening on :8080"]
        return httpx.Response(200, json={"lines": lines[-limit:]})


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


_CLOUDS: dict[str, DemoCloud] = {}


def cloud_at(endpoint: str) -> DemoCloud:
    """The cloud serving ``endpoint`` (made on first use, kept for the process)."""
    if endpoint not in _CLOUDS:
        _CLOUDS[endpoint] = DemoCloud(prefix=urlsplit(endpoint).path)
    return _CLOUDS[endpoint]
