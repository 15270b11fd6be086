"""FakePmcpRun: pmcp.run's APIs in one object, each request routed by its path."""

from __future__ import annotations

import httpx

from ..server import json_response
from .appsync import AppSync
from .discovery import Discovery
from .mcp_server import ServedServers
from .uploads import PresignedUploads


class FakePmcpRun(Discovery, AppSync, PresignedUploads, ServedServers):
    """pmcp.run in one object: discovery, Cognito, AppSync, S3 and the deployed servers."""

    name = "pmcp-run"

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        base = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        with self._lock:
            if path == "/.well-known/pmcp-config":
                return self._discovery(request, base)
            if path == "/oauth2/token":
                return self._token(request)
            if path == "/graphql":
                return self._graphql(request, base, self.schema)
            if path == "/stale/graphql":
                return self._graphql(request, base, self.stale_schema)
            if path.startswith("/uploads/"):
                return self._upload(request, path[len("/uploads/") :])
            parts = path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "servers" and parts[2] in ("mcp", "health"):
                # A project's URL (``project_urls``): its live deployment answers.
                live = [
                    d.id for d in self.deployments.values() if d.project_name == parts[1] and d.live
                ]
                parts = [live[0] if live else "", parts[2]]
            if len(parts) == 2 and parts[1] in ("mcp", "health"):
                deployment = self.deployments.get(parts[0])
                if deployment is not None and deployment.live:
                    if parts[1] == "health":
                        return self._health(deployment)
                    return self._mcp(request, deployment)
            return json_response(404, {"message": f"no route for {request.method} {path}"})
