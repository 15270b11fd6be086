"""Presigned S3 PUT uploads: streamed from disk, concurrent, retried, never logged.

A presigned URL is a bearer credential, so no message here contains one
(only the label and the host). Each attempt opens the file afresh, because a
streamed body cannot be replayed; the shared client's own retries are off
for these requests (``pmcp_retry: False``) and this module backs off itself
(2, 4, 8, 16 s as cargo-pmcp, within the run's deadline). S3 rejects chunked
bodies on presigned PUTs, so ``Content-Length`` is always sent. S3's refusals are read by
:class:`~.failures.S3Envelope`; a host that stays unreachable ends in the network error
naming it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from ...ci.base import Platform
from ...deadline import Deadline
from ...errors import DeployError, InsecureEndpointError, PmcpActionError
from ...http import HttpClientFactory, transient_reason
from ...rest import RestApi, TransportFailure
from ...urls import endpoint_problem
from .declaration import NAME
from .failures import S3Envelope, s3_code

__all__ = ["UploadJob", "upload_all"]

ATTEMPTS = 5
_UPLOAD_TIMEOUT = 300.0
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class UploadJob:
    label: str
    url: str
    path: Path
    size: int
    content_type: str

    def __repr__(self) -> str:  # never show the presigned URL
        return f"UploadJob(label={self.label!r}, path={str(self.path)!r}, size={self.size})"

    @property
    def host(self) -> str:
        try:
            return httpx.URL(self.url).host or "?"
        except httpx.InvalidURL:
            return "?"


def _check_url(job: UploadJob) -> None:
    problem = endpoint_problem(job.url, f"the {job.label.lower()} upload URL")
    if problem is not None:
        # The message names only the host: the URL itself carries a signature.
        raise InsecureEndpointError(
            f"pmcp.run returned an unacceptable {job.label.lower()} upload URL "
            f"(host {job.host}): {problem.what}.",
            remediation="Report this to pmcp.run; plain http:// is accepted only for loopback "
            "emulators.",
        )


def _upload_one(
    job: UploadJob,
    *,
    http: HttpClientFactory,
    deadline: Deadline,
    sleep: Callable[[float], None],
    console: Platform,
    attempts: int,
) -> None:
    _check_url(job)
    doing = f"uploading the {job.label.lower()} to S3"
    with http(timeout=_UPLOAD_TIMEOUT) as client:
        s3 = RestApi(client, "", envelope=S3Envelope())
        for attempt in range(1, attempts + 1):
            actual = os.stat(job.path).st_size
            if actual != job.size:
                raise DeployError(
                    f"{job.label} changed on disk during the deploy ({job.path}: "
                    f"{actual} bytes, {job.size} announced).",
                    target=NAME,
                    remediation="Do not modify the build output while the deploy runs.",
                )
            try:
                with open(job.path, "rb") as body:
                    response = s3.send(
                        "PUT",
                        job.url,
                        doing,
                        content=body,
                        headers={
                            "Content-Type": job.content_type,
                            "Content-Length": str(job.size),
                        },
                        once=True,
                    )
            except TransportFailure as exc:
                lost: TransportFailure | None = exc
                cause = transient_reason(exc) or exc.message
            else:
                if not s3.envelope.failed(response):
                    console.debug(f"{job.label} uploaded ({job.size} bytes) on attempt {attempt}.")
                    return
                if response.status_code not in _RETRY_STATUSES:
                    raise s3.envelope.error(response, doing)
                lost = None
                cause = f"HTTP {response.status_code} — {s3_code(response)}"
            delay = float(2**attempt)
            if attempt == attempts or delay >= deadline.remaining():
                if lost is not None:
                    raise lost  # the network error, naming the host and the upload
                raise DeployError(
                    f"{job.label} upload failed after {attempt} attempts: {cause}.",
                    target=NAME,
                    remediation="Retry the deploy; S3 or the network was unavailable. Raise "
                    "timeout-minutes if the deadline cut the retries short.",
                )
            console.info(
                f"   Retry {attempt}/{attempts - 1}: {job.label.lower()} upload failed ({cause}); "
                f"retrying in {delay:.0f}s."
            )
            sleep(delay)


def upload_all(
    jobs: Sequence[UploadJob],
    *,
    http: HttpClientFactory,
    deadline: Deadline,
    sleep: Callable[[float], None],
    console: Platform,
    attempts: int = ATTEMPTS,
) -> None:
    """Upload every job concurrently; raise the first failure (in job order)."""
    with ThreadPoolExecutor(max_workers=max(1, len(jobs)), thread_name_prefix="upload") as pool:
        futures = [
            pool.submit(
                _upload_one,
                job,
                http=http,
                deadline=deadline,
                sleep=sleep,
                console=console,
                attempts=attempts,
            )
            for job in jobs
        ]
        errors: list[BaseException] = []
        for future in futures:
            exc = future.exception()
            if exc is not None:
                errors.append(exc)
    if errors:
        first = errors[0]
        if isinstance(first, PmcpActionError):
            raise first
        raise DeployError(
            f"Upload to S3 failed: {type(first).__name__}: {first}",
            target=NAME,
            remediation="Retry the deploy.",
        ) from first
