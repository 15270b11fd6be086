"""A fake OCI registry (distribution API) with Basic or Bearer-token auth, in memory.

Enough of the spec for the image kind: ``/v2/`` auth challenges, a token endpoint at
``/token`` (Basic credentials in, ``{"token": …}`` out, the scope recorded), manifests by
tag or digest (a PUT whose blobs are missing is refused like the real registry does),
blob HEAD/GET, cross-repository mount, chunked uploads with ``Content-Range`` checks,
upload status and cancel. Extra switches: ``deny_push`` (repositories answered 403
``DENIED``) and ``truncate_next_patch`` (keep only the first N bytes of the next PATCH,
then drop the connection: an upload broken half-way).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from typing import Any, Literal

import httpx

from tests.fakes.server import FakeBase, json_response

__all__ = ["FakeOciRegistry"]

_PATH = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>blobs/uploads|manifests|blobs)(?:/(?P<rest>.*))?$")


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"Content-Type": "application/json", **(headers or {})},
        content=json.dumps({"errors": [{"code": code, "message": message}]}).encode(),
    )


class FakeOciRegistry(FakeBase):
    name = "oci-registry"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1:5000",
        auth: Literal["none", "basic", "bearer"] = "bearer",
        username: str = "pusher",
        password: str = "s3cret-pw",
    ) -> None:
        super().__init__()
        self.host = host
        self.auth = auth
        self.username = username
        self.password = password
        self.deny_push: set[str] = set()
        self.truncate_next_patch: int | None = None
        self.reset_state()

    def reset_state(self) -> None:
        self.blobs: dict[str, dict[str, bytes]] = {}
        self.manifests: dict[str, dict[str, tuple[str, bytes]]] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.uploads: dict[str, bytearray] = {}
        self.tokens: dict[str, set[str]] = {}
        self._ids = itertools.count(1)

    # --- seeding -------------------------------------------------------------------------
    def add_blob(self, repository: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs.setdefault(repository, {})[digest] = data
        return digest

    def add_manifest(self, repository: str, tag: str, body: bytes, media_type: str) -> str:
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        self.manifests.setdefault(repository, {})[digest] = (media_type, body)
        self.tags.setdefault(repository, {})[tag] = digest
        return digest

    # --- auth ------------------------------------------------------------------------------
    def _basic_ok(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (user, password) == (self.username, self.password)

    def _challenge(self, scope: str) -> httpx.Response:
        if self.auth == "basic":
            header = 'Basic realm="fake"'
        else:
            header = (
                f'Bearer realm="http://{self.host}/token",service="fake-registry",scope="{scope}"'
            )
        return _error(401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": header})

    def _authorized(self, request: httpx.Request, repository: str, action: str) -> bool:
        if self.auth == "none":
            return True
        if self.auth == "basic":
            return self._basic_ok(request)
        header = request.headers.get("Authorization", "")
        scopes = self.tokens.get(header.removeprefix("Bearer "), set())
        return any(
            s.startswith(f"repository:{repository}:") and action in s.rsplit(":", 1)[1].split(",")
            for s in scopes
        )

    def _token(self, request: httpx.Request) -> httpx.Response:
        if not self._basic_ok(request):
            return _error(401, "UNAUTHORIZED", "incorrect username or password")
        token = f"tok-{next(self._ids)}-secret"
        self.tokens[token] = set(request.url.params.get_list("scope"))
        return json_response(200, {"token": token})

    # --- the API ---------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/token":
            return self._token(request)
        if path == "/v2/":
            return httpx.Response(200) if self.auth == "none" else self._challenge("")
        match = _PATH.match(path)
        if match is None:
            return _error(404, "NAME_UNKNOWN", "no such path")
        repository, kind, rest = match["name"], match["kind"], match["rest"] or ""
        push = request.method in ("POST", "PUT", "PATCH", "DELETE")
        action = "push" if push else "pull"
        if not self._authorized(request, repository, action):
            return self._challenge(f"repository:{repository}:{'pull,push' if push else 'pull'}")
        if push and repository in self.deny_push:
            return _error(403, "DENIED", "requested access to the resource is denied")
        if kind == "manifests":
            return self._manifests(request, repository, rest)
        if kind == "blobs":
            return self._blob(request, repository, rest)
        return self._upload(request, repository, rest)

    def _manifests(self, request: httpx.Request, repository: str, reference: str) -> httpx.Response:
        stored = self.manifests.setdefault(repository, {})
        if request.method == "PUT":
            body = request.content
            doc = json.loads(body)
            blobs = self.blobs.get(repository, {})
            for entry in [doc["config"], *doc["layers"]]:
                if entry["digest"] not in blobs:
                    return _error(400, "MANIFEST_BLOB_UNKNOWN", f"blob unknown: {entry['digest']}")
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            stored[digest] = (request.headers.get("Content-Type", ""), body)
            if not reference.startswith("sha256:"):
                self.tags.setdefault(repository, {})[reference] = digest
            return httpx.Response(201, headers={"Docker-Content-Digest": digest})
        digest = (
            reference
            if reference.startswith("sha256:")
            else self.tags.get(repository, {}).get(reference, "")
        )
        if digest not in stored:
            return _error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        media_type, body = stored[digest]
        headers = {"Content-Type": media_type, "Docker-Content-Digest": digest}
        if request.method == "HEAD":
            return httpx.Response(200, headers={**headers, "Content-Length": str(len(body))})
        return httpx.Response(200, headers=headers, content=body)

    def _blob(self, request: httpx.Request, repository: str, digest: str) -> httpx.Response:
        data = self.blobs.get(repository, {}).get(digest)
        if data is None:
            return _error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Content-Length": str(len(data))})
        return httpx.Response(200, content=data)

    def _location(self, repository: str, upload: str) -> str:
        return f"/v2/{repository}/blobs/uploads/{upload}"

    def _upload(self, request: httpx.Request, repository: str, upload: str) -> httpx.Response:
        params = request.url.params
        if request.method == "POST":
            mount, source = params.get("mount"), params.get("from")
            if mount and source and mount in self.blobs.get(source, {}):
                self.blobs.setdefault(repository, {})[mount] = self.blobs[source][mount]
                return httpx.Response(201, headers={"Docker-Content-Digest": mount})
            upload = f"u{next(self._ids)}"
            self.uploads[upload] = bytearray()
            return httpx.Response(
                202, headers={"Location": self._location(repository, upload), "Range": "0-0"}
            )
        if upload not in self.uploads:
            return _error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        buffer = self.uploads[upload]
        if request.method == "DELETE":
            del self.uploads[upload]
            return httpx.Response(204)
        if request.method == "GET":
            return httpx.Response(
                204,
                headers={
                    "Location": self._location(repository, upload),
                    "Range": f"0-{max(0, len(buffer) - 1)}",
                },
            )
        if request.method == "PATCH":
            start = int(request.headers.get("Content-Range", "0-0").split("-")[0])
            if start != len(buffer):
                return _error(416, "BLOB_UPLOAD_INVALID", f"expected offset {len(buffer)}")
            body = request.content
            if self.truncate_next_patch is not None:
                buffer += body[: self.truncate_next_patch]
                self.truncate_next_patch = None
                raise _Dropped
            buffer += body
            return httpx.Response(
                202,
                headers={
                    "Location": self._location(repository, upload),
                    "Range": f"0-{len(buffer) - 1}",
                },
            )
        if request.method == "PUT":
            buffer += request.content
            digest = params.get("digest", "")
            if "sha256:" + hashlib.sha256(bytes(buffer)).hexdigest() != digest:
                return _error(
                    400, "DIGEST_INVALID", "provided digest did not match uploaded content"
                )
            self.blobs.setdefault(repository, {})[digest] = bytes(buffer)
            del self.uploads[upload]
            return httpx.Response(201, headers={"Docker-Content-Digest": digest})
        return _error(405, "UNSUPPORTED", "method not allowed")

    def __call__(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().__call__(request)
        except _Dropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None

    def snapshot(self) -> dict[str, Any]:
        return {"tags": self.tags, "uploads": sorted(self.uploads)}


class _Dropped(Exception):
    pass
