"""A client for the OCI distribution API over the shared HTTP client.

What it does: the registry's own auth dance (``WWW-Authenticate: Bearer`` → a token
from the realm with the login as Basic credentials; or ``Basic`` directly), manifest
HEAD/GET/PUT, blob HEAD, cross-repository mount, and blob uploads in chunks (``PATCH``
with ``Content-Range``) that resume from the offset the registry confirms after a 5xx
or a dropped connection, or restart the upload when it cannot say. Tokens and
passwords are masked and never printed.

Written against the distribution spec rather than taken from a library: ``oras``
(the Python one) would bring ``requests`` and ``jsonschema`` beside our httpx client,
has no resumable upload and no deadline, and still leaves the image assembly to us.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ...ci.base import Platform
from ...errors import RemoteApiError, TimeoutExceededError
from ...http import RETRY_STATUSES, HttpClientFactory, RetryingClient
from ...rest.transport import DOING, TransportFailure, describe_transport_error
from .model import RegistryLogin
from .reference import ImageReference

__all__ = [
    "CHUNK_SIZE",
    "MANIFEST_TYPES",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "DOCKER_LIST",
    "DOCKER_MANIFEST",
    "Manifest",
    "RegistryClient",
    "registry_error_text",
]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST)

#: Default upload chunk: a 50 MB binary compresses to one chunk; larger blobs take several.
CHUNK_SIZE = 64 * 1024 * 1024
_READ_SIZE = 1024 * 1024
_UPLOAD_ATTEMPTS = 5
_CHALLENGE_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


@dataclass(frozen=True)
class Manifest:
    body: bytes
    media_type: str
    digest: str

    def json(self) -> Any:
        return json.loads(self.body)


def registry_error_text(response: httpx.Response) -> str:
    """The registry's own words: ``CODE: message`` of each error, else the start of the body."""
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    if isinstance(errors, list) and errors:
        parts = []
        for error in errors[:3]:
            if isinstance(error, dict):
                code = str(error.get("code", "")).strip()
                message = str(error.get("message", "")).strip()
                parts.append(": ".join(p for p in (code, message) if p))
        if any(parts):
            return "; ".join(p for p in parts if p)
    text = response.text.strip()
    return text[:200] if text else "(no error text)"


class _Retryable(Exception):
    """A chunk failed in a way another attempt may fix."""


class _DeadlinePassed(Exception):
    """Raised from inside a streamed body when the deadline passes mid-upload."""


class RegistryClient:
    """One registry, one login; ``repository`` scopes are asked for per call."""

    def __init__(
        self,
        *,
        registry: ImageReference,
        login: RegistryLogin,
        http: HttpClientFactory,
        console: Platform,
        chunk_size: int = CHUNK_SIZE,
        timeout: float = 120.0,
    ) -> None:
        self.registry = registry.registry
        self.base_url = registry.base_url
        self.login = login
        self.console = console
        self.chunk_size = chunk_size
        self.deadline = http.deadline
        self._http = http
        self._client: RetryingClient = http(base_url=self.base_url, timeout=timeout)
        self._tokens: dict[str, str] = {}
        self._basic = False
        if login.password:
            console.mask(login.password)
        #: Bytes sent in blob uploads (for reports, benchmarks and tests).
        self.uploaded_bytes = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------- requests
    def _auth_headers(self, scope: str) -> dict[str, str]:
        token = self._tokens.get(scope)
        if token:
            return {"Authorization": f"Bearer {token}"}
        if self._basic:
            raw = f"{self.login.username}:{self.login.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}

    def request(
        self,
        method: str,
        url: str,
        *,
        scope: str,
        headers: dict[str, str] | None = None,
        content: Callable[[], Any] | None = None,
        params: dict[str, str] | None = None,
        stream: bool = False,
        retry: bool = True,
    ) -> httpx.Response:
        """Send, answering one auth challenge; ``content`` makes a fresh body per attempt."""
        for attempt in range(2):
            all_headers = dict(headers or {})
            all_headers.update(self._auth_headers(scope))
            request = self._client.build_request(
                method,
                url,
                headers=all_headers,
                content=content() if content is not None else None,
                params=params,
                extensions={} if retry else {"pmcp_retry": False},
            )
            request.extensions[DOING] = f"{method} {_path(request)} on the registry {self.registry}"
            response = self._client.send(request, stream=stream)
            if response.status_code != 401 or attempt == 1:
                return response
            challenge = response.headers.get("WWW-Authenticate", "")
            response.close()
            self._answer_challenge(challenge, scope)
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer_challenge(self, challenge: str, scope: str) -> None:
        scheme, _, rest = challenge.partition(" ")
        params = {m[1].lower(): m[2] or m[3] for m in _CHALLENGE_PARAM.finditer(rest)}
        if scheme.lower() == "basic":
            if self.login.anonymous:
                raise self._refused(401, "the registry asks for a user name and password")
            self._basic = True
            return
        if scheme.lower() != "bearer" or not params.get("realm"):
            raise self._refused(401, f"unsupported authentication challenge {challenge!r}")
        scopes = scope.split()
        if params.get("scope") and params["scope"] not in scopes:
            scopes.append(params["scope"])
        self._tokens[scope] = self._fetch_token(params["realm"], params.get("service", ""), scopes)

    def _fetch_token(self, realm: str, service: str, scopes: list[str]) -> str:
        query: list[tuple[str, str | int | float | bool | None]] = []
        if service:
            query.append(("service", service))
        query += [("scope", s) for s in scopes]
        headers = {}
        if not self.login.anonymous:
            raw = f"{self.login.username}:{self.login.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        response = self._client.get(
            realm,
            params=query,
            headers=headers,
            extensions={DOING: f"asking the token service of {self.registry} for a token"},
        )
        if response.status_code != 200:
            raise RemoteApiError(
                f"The token service of {self.registry} ({_strip_query(realm)}) refused "
                f"{self.login.source}: HTTP {response.status_code} "
                f"{registry_error_text(response)}.",
                status=response.status_code,
                remediation=self._credential_fix(),
            )
        try:
            data = response.json()
            token = data.get("token") or data.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RemoteApiError(
                f"The token service of {self.registry} answered without a token.",
                remediation="Check that the realm is a Docker registry token service.",
            )
        self.console.mask(token)
        return token

    def _credential_fix(self) -> str:
        if self.login.anonymous:
            return (
                "The registry wants credentials: set `registry-username` and "
                "`registry-password` (or the target's registry login)."
            )
        return (
            f"Check {self.login.source}: that the credentials are current and may push to "
            f"this repository (GHCR: a token with write:packages; Artifact Registry: "
            f"roles/artifactregistry.writer; ACR: AcrPush)."
        )

    def _refused(self, status: int, text: str) -> RemoteApiError:
        return RemoteApiError(
            f"The registry {self.registry} refused the request: HTTP {status} {text}.",
            status=status,
            remediation=self._credential_fix(),
        )

    def _fail(self, response: httpx.Response, what: str) -> RemoteApiError:
        status = response.status_code
        text = registry_error_text(response)
        if status in (401, 403):
            return RemoteApiError(
                f"The registry {self.registry} refused to {what}: HTTP {status} {text}.",
                status=status,
                body=response.text[:2000],
                remediation=self._credential_fix(),
            )
        return RemoteApiError(
            f"The registry {self.registry} could not {what}: HTTP {status} {text}.",
            status=status,
            body=response.text[:2000],
        )

    # ----------------------------------------------------------------------------- manifests
    def head_manifest(self, repository: str, reference: str) -> str | None:
        """The digest a tag or digest names, or None when the registry does not have it."""
        response = self.request(
            "HEAD",
            f"/v2/{repository}/manifests/{reference}",
            scope=_pull(repository),
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(response, f"read the manifest {repository}:{reference}")
        digest = str(response.headers.get("Docker-Content-Digest", ""))
        if digest:
            return digest
        return self.get_manifest(repository, reference).digest

    def get_manifest(self, repository: str, reference: str) -> Manifest:
        response = self.request(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            scope=_pull(repository),
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
        )
        if response.status_code == 404:
            raise RemoteApiError(
                f"The registry {self.registry} has no manifest {repository}:{reference} "
                f"(HTTP 404 {registry_error_text(response)}).",
                status=404,
                remediation="Check the repository and tag: push the image first, or fix the name.",
            )
        if response.status_code != 200:
            raise self._fail(response, f"read the manifest {repository}:{reference}")
        body = response.content
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if not media_type or media_type not in MANIFEST_TYPES:
            try:
                media_type = str(json.loads(body).get("mediaType", media_type))
            except (ValueError, AttributeError):
                pass
        return Manifest(body=body, media_type=media_type, digest=digest)

    def put_manifest(self, repository: str, tag: str, body: bytes, media_type: str) -> str:
        response = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{tag}",
            scope=_push(repository),
            headers={"Content-Type": media_type},
            content=lambda: body,
        )
        if response.status_code not in (200, 201):
            raise self._fail(response, f"store the manifest {repository}:{tag}")
        return str(response.headers.get("Docker-Content-Digest", ""))

    # ----------------------------------------------------------------------------- blobs
    def blob_exists(self, repository: str, digest: str, *, push: bool = True) -> bool:
        response = self.request(
            "HEAD",
            f"/v2/{repository}/blobs/{digest}",
            scope=_push(repository) if push else _pull(repository),
        )
        if response.status_code == 200:
            return True
        if response.status_code == 404:
            return False
        raise self._fail(response, f"look up the blob {digest[:19]}… in {repository}")

    @contextmanager
    def open_blob(self, repository: str, digest: str) -> Iterator[httpx.Response]:
        """The blob as a streamed response (storage redirects followed, without our auth)."""
        response = self.request(
            "GET", f"/v2/{repository}/blobs/{digest}", scope=_pull(repository), stream=True
        )
        try:
            hops = 0
            while response.status_code in (301, 302, 303, 307, 308) and hops < 5:
                location = response.headers.get("Location", "")
                response.close()
                url = response.request.url.join(location)
                response = self._client.send(self._client.build_request("GET", url), stream=True)
                hops += 1
            if response.status_code != 200:
                response.read()
                raise self._fail(response, f"read the blob {digest[:19]}… of {repository}")
            yield response
        finally:
            response.close()

    def mount_blob(self, repository: str, digest: str, source: str) -> bool:
        """Cross-repository mount from ``source`` (same registry); False when not mounted."""
        response = self.request(
            "POST",
            f"/v2/{repository}/blobs/uploads/",
            scope=f"{_push(repository)} {_pull(source)}",
            params={"mount": digest, "from": source},
        )
        if response.status_code == 201:
            return True
        if response.status_code == 202:
            self._cancel(response.headers.get("Location", ""), repository)
            return False
        raise self._fail(response, f"mount the blob {digest[:19]}… from {source}")

    def upload_bytes(self, repository: str, digest: str, data: bytes) -> None:
        """A small blob (the config) in one monolithic PUT."""
        location = self._start_upload(repository)
        url = httpx.URL(location).copy_merge_params({"digest": digest})
        response = self.request(
            "PUT",
            str(url),
            scope=_push(repository),
            headers={"Content-Type": "application/octet-stream"},
            content=lambda: data,
        )
        if response.status_code != 201:
            raise self._fail(response, f"store the blob {digest[:19]}… in {repository}")
        self.uploaded_bytes += len(data)

    def upload_file(self, repository: str, digest: str, path: Path) -> None:
        """Upload a blob from a file in chunks, resuming or restarting after a failure."""
        size = path.stat().st_size
        location = self._start_upload(repository)
        offset = 0
        failures = 0
        while True:
            try:
                while offset < size:
                    end = min(size, offset + self.chunk_size)
                    location, offset = self._patch(repository, location, path, offset, end)
                url = httpx.URL(location).copy_merge_params({"digest": digest})
                response = self.request(
                    "PUT", str(url), scope=_push(repository), content=lambda: b"", retry=False
                )
                if response.status_code == 201:
                    return
                if response.status_code not in RETRY_STATUSES:
                    raise self._fail(response, f"finish the upload of {digest[:19]}…")
                raise _Retryable(f"HTTP {response.status_code}")
            except _DeadlinePassed:
                self._cancel(location, repository)
                raise self._deadline_error(digest, offset, size) from None
            except _Retryable as exc:
                failures += 1
                if failures >= _UPLOAD_ATTEMPTS:
                    self._cancel(location, repository)
                    raise RemoteApiError(
                        f"The upload of {digest[:19]}… to {self.registry}/{repository} failed "
                        f"{failures} times (last: {exc}); nothing was tagged.",
                        remediation="Run again; if it keeps failing, check the registry's status.",
                    ) from None
                if self.deadline is not None and self.deadline.expired:
                    self._cancel(location, repository)
                    raise self._deadline_error(digest, offset, size) from None
                resumed = self._upload_status(location, repository)
                if resumed is not None:
                    location, offset = resumed
                    self.console.info(
                        f"  upload of {digest[:19]}… interrupted ({exc}); "
                        f"resuming at byte {offset} of {size}"
                    )
                else:
                    self._cancel(location, repository)
                    location, offset = self._start_upload(repository), 0
                    self.console.info(
                        f"  upload of {digest[:19]}… interrupted ({exc}); restarting it"
                    )
                delay = self._client.policy.backoff(failures - 1)
                if self.deadline is not None:
                    delay = min(delay, self.deadline.remaining())
                self._http.sleep(delay)

    def _deadline_error(self, digest: str, offset: int, size: int) -> TimeoutExceededError:
        seconds = self.deadline.seconds if self.deadline is not None else 0
        return TimeoutExceededError(
            f"The push to {self.registry} stopped at the deadline of {seconds:.0f} s while "
            f"uploading {digest[:19]}… ({offset} of {size} bytes confirmed); the upload was "
            "cancelled and nothing was tagged.",
            remediation="Raise timeout-minutes, or push from a runner closer to the registry.",
        )

    def _start_upload(self, repository: str) -> str:
        response = self.request("POST", f"/v2/{repository}/blobs/uploads/", scope=_push(repository))
        if response.status_code != 202 or not response.headers.get("Location"):
            raise self._fail(response, f"start an upload to {repository}")
        return str(response.request.url.join(response.headers["Location"]))

    def _patch(
        self, repository: str, location: str, path: Path, start: int, end: int
    ) -> tuple[str, int]:
        def body() -> Iterator[bytes]:
            with path.open("rb") as handle:
                handle.seek(start)
                left = end - start
                while left > 0:
                    if self.deadline is not None and self.deadline.expired:
                        raise _DeadlinePassed
                    piece = handle.read(min(_READ_SIZE, left))
                    if not piece:
                        break
                    left -= len(piece)
                    self.uploaded_bytes += len(piece)
                    yield piece

        try:
            response = self.request(
                "PATCH",
                location,
                scope=_push(repository),
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"{start}-{end - 1}",
                    "Content-Length": str(end - start),
                },
                content=body,
                retry=False,
            )
        except TransportFailure as exc:
            cause = exc.__cause__
            raise _Retryable(
                describe_transport_error(cause)
                if isinstance(cause, httpx.TransportError)
                else exc.message
            ) from exc
        if response.status_code in RETRY_STATUSES or response.status_code == 416:
            raise _Retryable(f"HTTP {response.status_code} {registry_error_text(response)}")
        if response.status_code != 202:
            raise self._fail(response, f"take the upload to {repository}")
        confirmed = _range_end(response.headers.get("Range", ""))
        new_location = str(response.request.url.join(response.headers.get("Location", location)))
        return new_location, (confirmed + 1 if confirmed else end)

    def _upload_status(self, location: str, repository: str) -> tuple[str, int] | None:
        """Where an interrupted upload stands: (location, next offset), or None to restart."""
        try:
            response = self.request("GET", location, scope=_push(repository))
        except RemoteApiError:
            return None
        if response.status_code != 204:
            return None
        confirmed = _range_end(response.headers.get("Range", ""))
        new_location = str(response.request.url.join(response.headers.get("Location", location)))
        # "0-0" is both "nothing yet" and "one byte": take the safe reading.
        return new_location, (confirmed + 1 if confirmed else 0)

    def _cancel(self, location: str, repository: str) -> None:
        """Best effort: tell the registry to drop an upload we will not finish."""
        if not location:
            return
        try:
            self.request("DELETE", location, scope=_push(repository), retry=False).close()
        except RemoteApiError:
            pass


def _range_end(value: str) -> int | None:
    match = re.fullmatch(r"(?:bytes=)?0-(\d+)", value.strip())
    return int(match[1]) if match else None


def _pull(repository: str) -> str:
    return f"repository:{repository}:pull"


def _push(repository: str) -> str:
    return f"repository:{repository}:pull,push"


def _path(request: httpx.Request) -> str:
    return request.url.path


def _strip_query(url: str) -> str:
    return str(httpx.URL(url).copy_with(query=None))
