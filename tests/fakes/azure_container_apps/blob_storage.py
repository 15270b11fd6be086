"""Azure Blob Storage through SAS URLs: the blobs ACR Tasks hands out (sources, logs).

A SAS URL on the loopback blob endpoint (``<base>/__blob__/…?sv=…&sig=…``) is the only
credential: a request with a wrong signature, or with an Authorization header as well, is
refused as storage refuses it (XML with ``x-ms-error-code``). A writable blob takes one
``PUT`` with ``x-ms-blob-type: BlockBlob`` and a Content-Length (no chunked body); a
readable one is served whole or by ``Range`` (206, 416 past its end, 404 before it exists).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

from ..server import json_response

__all__ = ["BLOB_PREFIX", "Blob", "FakeBlobStorage", "storage_error"]

BLOB_PREFIX = "/__blob__/"


def storage_error(status: int, code: str, message: str) -> httpx.Response:
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}\nRequestId:{secrets.token_hex(8)}</Message></Error>"
    )
    return httpx.Response(
        status,
        headers={"Content-Type": "application/xml", "x-ms-error-code": code},
        content=body.encode(),
    )


@dataclass
class Blob:
    sig: str
    writable: bool
    data: bytearray = field(default_factory=bytearray)
    exists: bool = False
    #: Every PUT's headers, for tests.
    puts: list[httpx.Headers] = field(default_factory=list)


class FakeBlobStorage:
    """The blobs of one fake, by path; ``base`` gives the origin its SAS URLs name."""

    def __init__(self, base: Callable[[], str], lock: threading.RLock) -> None:
        self.base = base
        self._lock = lock
        self.blobs: dict[str, Blob] = {}

    def sas(self, blob_path: str, *, writable: bool) -> str:
        """A SAS URL for ``blob_path`` (a new signature each time; the old one is refused)."""
        sig = secrets.token_urlsafe(24)
        blob = self.blobs.get(blob_path)
        if blob is None:
            self.blobs[blob_path] = blob = Blob(sig, writable)
        blob.sig = sig
        expiry = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        perms = "cw" if writable else "r"
        return (
            f"{self.base()}{BLOB_PREFIX}{blob_path}?sv=2021-08-06&se={expiry}&sr=b"
            f"&sp={perms}&sig={sig}"
        )

    def upload_url(self) -> httpx.Response:
        """``listBuildSourceUploadUrl``'s answer: a writable SAS for a new source blob."""
        relative = f"source/{time.strftime('%Y%m%d%H')}/{secrets.token_hex(16)}.tar.gz"
        return json_response(
            200, {"uploadUrl": self.sas(relative, writable=True), "relativePath": relative}
        )

    def handle(self, request: httpx.Request) -> httpx.Response | None:
        """The answer for a blob URL (``BLOB_PREFIX``), None for any other request."""
        path = request.url.path
        if not path.startswith(BLOB_PREFIX):
            return None
        with self._lock:
            return self._blob(request, path[len(BLOB_PREFIX) :])

    def _blob(self, request: httpx.Request, blob_path: str) -> httpx.Response:
        blob = self.blobs.get(blob_path)
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        if blob is None or query.get("sig") != blob.sig:
            return storage_error(
                403,
                "AuthenticationFailed",
                "Server failed to authenticate the request. Make sure the value of "
                "Authorization header is formed correctly including the signature.",
            )
        if "authorization" in request.headers:
            return storage_error(
                400,
                "InvalidAuthenticationInfo",
                "Authentication information is not given in the correct format: a SAS and "
                "an Authorization header at once.",
            )
        if request.method == "PUT":
            return self._put_blob(request, blob)
        if request.method == "GET":
            return self._get_blob(request, blob)
        return storage_error(405, "UnsupportedHttpVerb", "The verb is not supported.")

    def _put_blob(self, request: httpx.Request, blob: Blob) -> httpx.Response:
        if not blob.writable:
            return storage_error(403, "AuthorizationPermissionMismatch", "No write permission.")
        if request.headers.get("x-ms-blob-type") != "BlockBlob":
            return storage_error(
                400, "MissingRequiredHeader", "An HTTP header that's mandatory is missing."
            )
        length = request.headers.get("content-length")
        if length is None or "chunked" in request.headers.get("transfer-encoding", ""):
            return storage_error(411, "MissingContentLengthHeader", "Content-Length required.")
        if int(length) != len(request.content):
            return storage_error(400, "InvalidHeaderValue", "Content-Length does not match.")
        blob.data = bytearray(request.content)
        blob.exists = True
        blob.puts.append(httpx.Headers(request.headers))
        md5 = hashlib.md5(request.content).hexdigest()
        return httpx.Response(201, headers={"ETag": f'"0x{md5[:16].upper()}"'})

    def _get_blob(self, request: httpx.Request, blob: Blob) -> httpx.Response:
        if not blob.exists:
            return storage_error(404, "BlobNotFound", "The specified blob does not exist.")
        data = bytes(blob.data)
        wanted = request.headers.get("range") or request.headers.get("x-ms-range")
        if not wanted:
            return httpx.Response(200, headers={"Content-Type": "text/plain"}, content=data)
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted)
        if match is None:
            return storage_error(400, "InvalidRange", f"Cannot parse the range {wanted!r}.")
        start = int(match[1])
        end = min(int(match[2]) if match[2] else len(data) - 1, len(data) - 1)
        if start >= len(data) or start > end:
            return storage_error(416, "InvalidRange", "The range specified is invalid.")
        return httpx.Response(
            206,
            headers={
                "Content-Type": "text/plain",
                "Content-Range": f"bytes {start}-{end}/{len(data)}",
            },
            content=data[start : end + 1],
        )
