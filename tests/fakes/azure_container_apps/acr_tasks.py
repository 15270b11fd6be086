"""ACR Tasks quick builds (``az acr build``) under ARM, as a stateful contract fake.

Under any registry of the subscription (any resource group, any name; the registry
resource itself is :mod:`.acr`'s; the blobs are :mod:`.blob_storage`'s):

* ``POST …/listBuildSourceUploadUrl`` → ``{uploadUrl, relativePath}``: a SAS URL on the
  loopback blob endpoint (``<base>/__blob__/…?sv=…&sig=…``) that takes one ``PUT`` with
  ``x-ms-blob-type: BlockBlob``, a Content-Length and no bearer token;
* ``POST …/scheduleRun`` with a ``DockerBuildRequest``, validated strictly (unknown
  fields, types, the platform, a source that was uploaded, a Dockerfile in the archive)
  → 200 with the Run (``ca1``, ``ca2``…), or 202 without it (:attr:`FakeAcrTasks.accept_async`);
  :attr:`FakeAcrTasks.concurrent_builds` starts other jobs' runs at the same moment;
* ``GET …/runs`` (``$filter`` on ``CreateTime ge`` and ``RunType eq``, ``$top``, newest
  first) and ``GET …/runs/<id>``: each read of a run moves it on, Queued → Running
  (a few build steps a read, appended to its log blob) → Succeeded with
  ``outputImages[{registry, repository, tag, digest}]``; the digest is the sha256 of the
  uploaded archive and the Dockerfile's path, so it is deterministic. A Dockerfile with a
  ``RUN false`` line fails at that step (``Failed``, ``runErrorMessage`` and the error at
  the end of the log); :attr:`FakeAcrTasks.never_finish` keeps every run Running;
* ``POST …/runs/<id>/listLogSasUrl`` → ``{logLink}``: the log blob, served with ``Range``
  (206, 416 past its end, 404 before the run starts);
* ``POST …/runs/<id>/cancel``.

Faults (429, 503, a dropped answer after the run was created) are the owning
:class:`~.container_apps.FakeArm`'s fault plan.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import secrets
import tarfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from ..server import json_response
from .blob_storage import BLOB_PREFIX, Blob, FakeBlobStorage

if TYPE_CHECKING:
    from .acr import FakeAcr

__all__ = ["BLOB_PREFIX", "TASKS_VERSIONS", "FakeAcrTasks", "FakeRun", "built_manifest"]

TASKS_VERSIONS = frozenset({"2019-06-01-preview", "2025-03-01-preview"})
FAILING_STEP = "RUN false"
_ROUTE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<group>[^/]+)/providers/"
    r"microsoft\.containerregistry/registries/(?P<registry>[^/]+)/"
    r"(?P<rest>listbuildsourceuploadurl|schedulerun|runs(?:/.*)?)$",
    re.IGNORECASE,
)
_REQUEST_FIELDS = frozenset(
    {
        "type",
        "isArchiveEnabled",
        "agentPoolName",
        "logTemplate",
        "imageNames",
        "isPushEnabled",
        "noCache",
        "dockerFilePath",
        "target",
        "arguments",
        "timeout",
        "platform",
        "agentConfiguration",
        "sourceLocation",
        "credentials",
    }
)
_ARCHITECTURES = frozenset({"amd64", "x86", "386", "arm", "arm64"})
_IMAGE_NAME = re.compile(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_STEPS_PER_READ = 2


class ArmHost(Protocol):
    """What the fake needs of the ARM fake it is mounted in."""

    base: str
    subscription: str
    forbidden: list[str]
    #: ARM resources by lower-case id (a registry's loginServer is read there).
    resources: dict[str, dict[str, Any]]
    #: The registries' login servers; a build's image goes into their in-memory stores.
    acr: FakeAcr

    def signed_in(self, request: httpx.Request) -> bool: ...


def arm_error(status: int, code: str, message: str) -> httpx.Response:
    return json_response(status, {"error": {"code": code, "message": message}})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeRun:
    registry_id: str
    run_id: str
    request: dict[str, Any]
    source: bytes
    steps: list[str]
    fail_at: int | None
    digest: str
    #: The image manifest the build "pushes" (its sha256 is ``digest``).
    manifest: bytes = b""
    created: str = field(default_factory=_now)
    status: str = "Queued"
    reads: int = 0
    done_steps: int = 0
    log_blob: str = ""
    error: str = ""

    def resource(self, login_server: str) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "runId": self.run_id,
            "status": self.status,
            "lastUpdatedTime": _now(),
            "runType": "QuickBuild",
            "createTime": self.created,
            "platform": self.request["platform"],
            "agentConfiguration": {"cpu": 2},
            "isArchiveEnabled": False,
            "provisioningState": "Succeeded",
        }
        if self.status != "Queued":
            properties["startTime"] = self.created
        if self.status == "Succeeded":
            properties["finishTime"] = _now()
            properties["outputImages"] = [
                {"registry": login_server, "repository": repo, "tag": tag, "digest": self.digest}
                for repo, _, tag in (n.partition(":") for n in self.request["imageNames"])
            ]
        if self.error:
            properties["runErrorMessage"] = self.error
        return {
            "id": f"{self.registry_id}/runs/{self.run_id}",
            "name": self.run_id,
            "type": "Microsoft.ContainerRegistry/registries/runs",
            "properties": properties,
        }


class FakeAcrTasks:
    """ACR Tasks quick builds under one ARM fake; :meth:`handle` answers its routes only."""

    def __init__(self, host: ArmHost) -> None:
        self.host = host
        self._lock = threading.RLock()
        #: The origin of the SAS URLs handed out ("": ARM's own), so a test can tell the
        #: blob host from ARM's; any origin routed to this fake serves them.
        self.blob_origin = ""
        self.storage = FakeBlobStorage(lambda: self.blob_origin or self.host.base, self._lock)
        #: The source archives and run logs, by path.
        self.blobs = self.storage.blobs
        self.runs: dict[str, FakeRun] = {}  # lower-case run resource id -> run
        self.counters: dict[str, int] = {}  # lower-case registry id -> runs so far
        #: Every run stays Running (a build that never finishes).
        self.never_finish = False
        #: Reads of a run that find it Queued.
        self.queued_reads = 1
        #: scheduleRun answers 202 without the run (the 2019-06-01-preview LRO form).
        self.accept_async = False
        #: Runs another job starts in the same registry with each scheduleRun.
        self.concurrent_builds = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"runs": {r.run_id: r.status for r in self.runs.values()}}

    # --- for tests ---------------------------------------------------------------------
    def uploaded(self) -> list[bytes]:
        """The archives uploaded so far, in order."""
        with self._lock:
            return [
                bytes(b.data) for p, b in self.blobs.items() if p.startswith("source/") and b.exists
            ]

    def all_runs(self) -> list[FakeRun]:
        with self._lock:
            return list(self.runs.values())

    # --- dispatch ----------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response | None:
        """The answer for a route of this fake, None for any other request."""
        stored = self.storage.handle(request)
        if stored is not None:
            return stored
        path = request.url.path
        match = _ROUTE.match(path)
        if match is None:
            return None
        if not self.host.signed_in(request):
            return arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        version = request.url.params.get("api-version", "")
        if version not in TASKS_VERSIONS:
            return arm_error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions are "
                f"'{', '.join(sorted(TASKS_VERSIONS))}'.",
            )
        if match["sub"] != self.host.subscription:
            return arm_error(404, "SubscriptionNotFound", f"'{match['sub']}' was not found.")
        if request.method != "GET" and any(path.lower().startswith(f) for f in self.host.forbidden):
            return arm_error(
                403,
                "AuthorizationFailed",
                f"The client does not have authorization to perform action over scope '{path}'.",
            )
        registry_id = path[: match.start("rest") - 1]
        known = self.host.resources.get(registry_id.lower(), {}).get("properties", {})
        login_server = str(known.get("loginServer") or f"{match['registry'].lower()}.azurecr.io")
        rest = match["rest"].split("/")
        with self._lock:
            return self._route(request, registry_id, login_server, rest)

    def _route(
        self, request: httpx.Request, registry_id: str, login_server: str, rest: list[str]
    ) -> httpx.Response:
        head, method = rest[0].lower(), request.method
        if head == "listbuildsourceuploadurl" and method == "POST":
            return self.storage.upload_url()
        if head == "schedulerun" and method == "POST":
            return self._schedule(request, registry_id, login_server)
        if head == "runs" and len(rest) == 1 and method == "GET":
            return self._list(request, registry_id, login_server)
        if head == "runs" and len(rest) >= 2:
            run = self.runs.get(f"{registry_id}/runs/{rest[1]}".lower())
            if run is None:
                return arm_error(404, "RunNotFound", f"The run '{rest[1]}' was not found.")
            tail = [p.lower() for p in rest[2:]]
            if not tail and method == "GET":
                self._advance(run)
                return json_response(200, run.resource(login_server))
            if tail == ["listlogsasurl"] and method == "POST":
                return json_response(
                    200, {"logLink": self.storage.sas(run.log_blob, writable=False)}
                )
            if tail == ["cancel"] and method == "POST":
                if run.status in ("Queued", "Started", "Running"):
                    run.status = "Canceled"
                return httpx.Response(202)
        return arm_error(404, "NotFound", f"No route for {method} {'/'.join(rest)}.")

    # --- schedule ----------------------------------------------------------------------
    def _schedule(
        self, request: httpx.Request, registry_id: str, login_server: str
    ) -> httpx.Response:
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            return arm_error(400, "InvalidRequestContent", "The request content is not JSON.")
        refused = _check_request(body)
        if refused:
            return arm_error(400, "InvalidRequestContent", refused)
        blob = self.blobs.get(body["sourceLocation"])
        if blob is None or not blob.exists:
            return arm_error(
                400,
                "InvalidSourceLocation",
                f"The source location '{body['sourceLocation']}' does not exist.",
            )
        dockerfile = _member(bytes(blob.data), body["dockerFilePath"])
        if dockerfile is None:
            return arm_error(
                400,
                "DockerfileNotFound",
                f"Unable to find '{body['dockerFilePath']}' in the uploaded source.",
            )
        run = self._new_run(registry_id, body, bytes(blob.data), dockerfile)
        for _ in range(self.concurrent_builds):  # another job's build, that very moment
            self._new_run(registry_id, {**body, "imageNames": ["other:latest"]}, b"", b"FROM x")
        if self.accept_async:
            return httpx.Response(202, headers={"Retry-After": "2"})
        return json_response(200, run.resource(login_server))

    def _new_run(
        self, registry_id: str, body: dict[str, Any], source: bytes, dockerfile: bytes
    ) -> FakeRun:
        key = registry_id.lower()
        self.counters[key] = number = self.counters.get(key, 0) + 1
        run_id = f"ca{number}"
        steps = [
            line.strip()
            for line in dockerfile.decode("utf-8", "replace").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        fail_at = next((i for i, s in enumerate(steps) if s == FAILING_STEP), None)
        manifest = built_manifest(source, body["dockerFilePath"])
        digest = hashlib.sha256(manifest).hexdigest()
        run = FakeRun(
            registry_id=registry_id,
            run_id=run_id,
            request=body,
            source=source,
            steps=steps,
            fail_at=fail_at,
            digest=f"sha256:{digest}",
            manifest=manifest,
            log_blob=f"logs/{run_id}-{secrets.token_hex(4)}/rawtext.log",
        )
        self.blobs[run.log_blob] = Blob(secrets.token_urlsafe(24), writable=False)
        self.runs[f"{registry_id}/runs/{run_id}".lower()] = run
        return run

    def _list(self, request: httpx.Request, registry_id: str, login_server: str) -> httpx.Response:
        runs = [r for r in self.runs.values() if r.registry_id.lower() == registry_id.lower()]
        condition = request.url.params.get("$filter", "")
        for clause in filter(None, (c.strip() for c in condition.split(" and "))):
            since = re.fullmatch(r"CreateTime ge (\S+)", clause)
            kind = re.fullmatch(r"RunType eq '(\w+)'", clause)
            if since:
                try:
                    moment = datetime.fromisoformat(since[1])
                except ValueError:
                    return arm_error(400, "InvalidFilter", f"{since[1]!r} is not a time.")
                runs = [r for r in runs if datetime.fromisoformat(r.created) >= moment]
            elif kind:
                runs = [r for r in runs if kind[1] == "QuickBuild"]
            else:
                return arm_error(400, "InvalidFilter", f"Cannot filter on {clause!r}.")
        runs.sort(key=lambda r: r.created, reverse=True)
        top = request.url.params.get("$top")
        if top is not None:
            runs = runs[: int(top)]
        return json_response(200, {"value": [r.resource(login_server) for r in runs]})

    # --- progress ----------------------------------------------------------------------
    def _push(self, run: FakeRun) -> None:
        """A finished build's image lands in the registry's in-memory store, when it has one."""
        registry = self.host.resources.get(run.registry_id.lower(), {})
        login_server = str(registry.get("properties", {}).get("loginServer", "")).lower()
        backend = self.host.acr.backends.get(login_server)
        if backend is None:
            return
        for name in run.request["imageNames"]:
            repository, _, tag = name.partition(":")
            backend.add_manifest(repository, tag or "latest", run.manifest, MANIFEST_TYPE)

    def _advance(self, run: FakeRun) -> None:
        run.reads += 1
        if run.status not in ("Queued", "Running"):
            return
        log = self.blobs[run.log_blob]
        if run.status == "Queued":
            if run.reads <= self.queued_reads:
                return
            run.status = "Running"
            log.exists = True
            log.data += (
                f"{run.created} Queued run {run.run_id}\nWaiting for an agent...\n"
                f"Sending context ({len(run.source)} bytes) to registry\n"
            ).encode()
            return
        if self.never_finish:
            log.data += b"still building...\n"
            return
        for _ in range(_STEPS_PER_READ):
            if run.done_steps >= len(run.steps):
                break
            index = run.done_steps
            log.data += f"Step {index + 1}/{len(run.steps)} : {run.steps[index]}\n".encode()
            run.done_steps += 1
            if index == run.fail_at:
                log.data += (
                    b" ---> Running in 3f9c0e\n"
                    b"The command '/bin/sh -c false' returned a non-zero code: 1\n"
                    b"failed to run step ID: build: exit status 1\n"
                )
                run.status = "Failed"
                run.error = "failed during run, err: exit status 1"
                return
            log.data += (
                f" ---> {hashlib.sha256(run.steps[index].encode()).hexdigest()[:12]}\n".encode()
            )
        if run.done_steps >= len(run.steps):
            for name in run.request["imageNames"]:
                log.data += f"{name}: digest: {run.digest} size: 1234\n".encode()
            log.data += f"Run ID: {run.run_id} was successful after 3s\n".encode()
            run.status = "Succeeded"
            self._push(run)


MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def built_manifest(source: bytes, dockerfile: str) -> bytes:
    """The manifest a build of ``source`` "pushes": the same context, the same digest."""
    config = hashlib.sha256(source + dockerfile.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": f"sha256:{config}",
                "size": len(source),
            },
            "layers": [],
        },
        sort_keys=True,
    ).encode()


def _check_request(body: Any) -> str:
    """Why a scheduleRun body is refused ("" when it is fine)."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    unknown = sorted(set(body) - _REQUEST_FIELDS)
    if unknown:
        return f"Could not find member '{unknown[0]}' on object of type 'DockerBuildRequest'."
    if body.get("type") != "DockerBuildRequest":
        return f"The run request type {body.get('type')!r} is not DockerBuildRequest."
    for name in ("dockerFilePath", "sourceLocation"):
        if not isinstance(body.get(name), str) or not body[name]:
            return f"The field '{name}' is required and must be a string."
    names = body.get("imageNames")
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) and _IMAGE_NAME.match(n) for n in names)
    ):
        return f"imageNames must be a list of 'repository:tag', not {names!r}."
    if body.get("isPushEnabled") is not True:
        return "isPushEnabled must be true for a build whose image is deployed."
    platform = body.get("platform")
    if not isinstance(platform, dict) or set(platform) - {"os", "architecture", "variant"}:
        return f"platform must be {{os, architecture, variant?}}, not {platform!r}."
    if platform.get("os") not in ("Linux", "Windows"):
        return f"platform.os {platform.get('os')!r} is not Linux or Windows."
    if platform.get("architecture") not in _ARCHITECTURES:
        return f"platform.architecture {platform.get('architecture')!r} is not supported."
    timeout = body.get("timeout", 3600)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or not 300 <= timeout <= 28800:
        return f"timeout must be an integer between 300 and 28800, not {timeout!r}."
    arguments = body.get("arguments", [])
    if not isinstance(arguments, list):
        return "arguments must be a list."
    for argument in arguments:
        if not isinstance(argument, dict) or set(argument) != {"name", "value", "isSecret"}:
            return f"Each argument must be exactly {{name, value, isSecret}}, not {argument!r}."
        if not isinstance(argument["name"], str) or not isinstance(argument["value"], str):
            return "An argument's name and value must be strings."
        if not isinstance(argument["isSecret"], bool):
            return "An argument's isSecret must be a boolean."
    return ""


def _member(archive: bytes, name: str) -> bytes | None:
    """The file ``name`` of a tar.gz (None when absent or when it is no tar.gz)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive)), mode="r:") as tar:
            member = tar.getmember(name)
            handle = tar.extractfile(member)
            return handle.read() if handle is not None else None
    except (OSError, EOFError, KeyError, tarfile.TarError):
        return None
