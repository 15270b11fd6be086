"""Presigned S3 uploads, ``PUT <base>/uploads/<key>?X-Amz-…``: the method, the signature,
the expiry, ``Content-Length`` against the announced size and the ``Content-Type`` are
checked as S3 checks them, with S3's XML errors."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from urllib.parse import quote

import httpx

from .state import PmcpRunState

UPLOAD_EXPIRES = 900

_TEMPLATE_TYPES = ("application/json",)
_BOOTSTRAP_TYPES = ("application/octet-stream", "application/zip")


def _s3_error(status: int, code: str, message: str) -> httpx.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return httpx.Response(status, headers={"Content-Type": "application/xml"}, text=body)


class PresignedUploads(PmcpRunState):
    """The upload URLs the GraphQL API hands out, and the S3 that accepts them."""

    def presign(self, base: str, key: str) -> str:
        issued = int(self.clock())
        signature = hmac.new(self._signing_key, f"{key}|{issued}".encode(), "sha256").hexdigest()
        query = (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=ASIAFAKEKEY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
            f"&X-Amz-Date={issued}&X-Amz-Expires={UPLOAD_EXPIRES}"
            f"&X-Amz-SignedHeaders=content-length%3Bhost&X-Amz-Signature={signature}"
        )
        return f"{self.origins.get('uploads', base)}/uploads/{quote(key)}?{query}"

    def _upload(self, request: httpx.Request, raw_key: str) -> httpx.Response:
        key = httpx.URL("/" + raw_key).path.lstrip("/")
        upload = self.uploads.get(key)
        params = request.url.params
        if request.method != "PUT":
            return _s3_error(405, "MethodNotAllowed", "Only PUT is allowed on this presigned URL.")
        if upload is None:
            return _s3_error(403, "AccessDenied", "Access Denied")
        upload.attempts += 1
        issued = params.get("X-Amz-Date", "")
        expected = hmac.new(self._signing_key, f"{key}|{issued}".encode(), "sha256").hexdigest()
        if not hmac.compare_digest(params.get("X-Amz-Signature", ""), expected):
            return _s3_error(403, "SignatureDoesNotMatch", "The signature does not match.")
        if self.clock() > int(issued) + UPLOAD_EXPIRES:
            return _s3_error(403, "AccessDenied", "Request has expired")
        if "Authorization" in request.headers:
            return _s3_error(
                400, "InvalidArgument", "Only one auth mechanism allowed; presigned URL given."
            )
        if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            return _s3_error(501, "NotImplemented", "Transfer-Encoding: chunked is not supported.")
        length = request.headers.get("Content-Length")
        if length is None:
            return _s3_error(411, "MissingContentLength", "You must provide Content-Length.")
        if int(length) != upload.announced_size:
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                f"Content-Length {length} differs from the signed size {upload.announced_size}.",
            )
        body = request.content
        if len(body) != int(length):
            return _s3_error(400, "IncompleteBody", "The body is shorter than Content-Length.")
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        allowed = _TEMPLATE_TYPES if upload.kind == "template" else _BOOTSTRAP_TYPES
        if content_type not in allowed:
            return _s3_error(
                403, "SignatureDoesNotMatch", f"Content-Type {content_type!r} is not allowed."
            )
        upload.size = len(body)
        upload.sha256 = hashlib.sha256(body).hexdigest()
        upload.content_type = content_type
        upload.data = body
        return httpx.Response(200, headers={"ETag": f'"{hashlib.md5(body).hexdigest()}"'})
