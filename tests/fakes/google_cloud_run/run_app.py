"""The emulator's Google: the fake APIs plus the ``*.run.app`` hosts, Cloud Logging and
Artifact Registry's token service, on one origin."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from ..registry_token import FakeRegistryTokenServer
from ..server import forward
from .cloud import FakeCloudRun
from .cloud_logging import FakeCloudLogging, LogEntry
from .envelope import error
from .run_iam import public
from .run_resources import Revision, Service

__all__ = ["FakeGoogleCloud"]


class FakeGoogleCloud(FakeCloudRun):
    """The Cloud Run fake plus the ``*.run.app`` hosts, served under its own origin.

    ``<origin>/<host>/<path>`` answers for ``https://<host>/<path>``: the service's URL
    (the revision with the most traffic; at a tie, the newer one) and each tag's URL
    (``<tag>---<service>-…``) forward to one real MCP server (``mcp_url``), so every
    revision speaks MCP. A revision whose image is in ``broken_images`` answers 503
    instead (a candidate that fails verification). Like Cloud Run, a service without
    ``allUsers`` as ``roles/run.invoker`` answers 403; ``settling_403s`` more 403s follow
    the grant that adds it (IAM propagation).

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
        was_public = public(service.policy)
        answer = super()._set_policy(request, service)
        if answer.status_code == 200 and not was_public and public(service.policy):
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
        best = (-1, -1)
        order = [r.name for r in service.revisions]
        for status in api["trafficStatuses"]:
            name = str(status.get("revision", ""))
            if tag and status.get("tag") == tag:
                wanted = name
                break
            # The most traffic answers; at a tie (50/50) the newer revision.
            share = (int(status.get("percent", 0) or 0), order.index(name) if name in order else -1)
            if not tag and share > best:
                wanted, best = name, share
        revision = next((r for r in service.revisions if r.name == wanted and r.ready), None)
        return (service, revision) if revision is not None else None

    def _run_app(self, request: httpx.Request, host: str, path: str) -> httpx.Response:
        found = self.served_revision(host)
        if found is None:
            return httpx.Response(404, text=f"Page not found ({host}).")
        service, revision = found
        if not public(service.policy) or self._pending_403s > 0:
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
