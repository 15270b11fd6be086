"""Presigned S3 PUT uploads: streamed from disk, concurrent, retried, never logged.

A presigned URL is a bearer credential, so no message here contains one
(only the label and the host). Each attempt opens the file afresh, because a
streamed body cannot be replayed; the shared client's own retries are off
for these requests (``pmcp_retry: False``) and this module backs off itself
(2, 4, 8, 16 s as cargo-pmcp, within the run's deadline). S3 rejects chunked
bodies on presigned PUTs, so ``Content-Length`` is always sent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from ...ci.base import Platform
from ...deadline import Deadline
from ...errors import DeployError, InsecureEndpointError, PmcpActionError
from ...http import HttpClientFactory
from ...rest import TransportFailure
from ...urls import endpoint_problem

__all__ = ["UploadJob", "upload_all"]

ATTEMPTS = 5
_UPLOAD_TIMEOUT = 300.0
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_S3_CODE = re.compile(r"<Code>([^<]{1,100})</Code>")


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


def _s3_error(response: httpx.Response) -> str:
    match = _S3_CODE.search(response.text)
    if match:
        return match.group(1)
    text = response.text.strip()
    return text[:120] if text and "<" not in text else response.reason_phrase or "error"


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
    with http(timeout=_UPLOAD_TIMEOUT) as client:
        for attempt in range(1, attempts + 1):
            actual = os.stat(job.path).st_size
            if actual != job.size:
                raise DeployError(
                    f"{job.label} changed on disk during the deploy ({job.path}: "
                    f"{actual} bytes, {job.size} announced).",
                    target="pmcp-run",
                    remediation="Do not modify the build output while the deploy runs.",
                )
            try:
                with open(job.path, "rb") as body:
                    response = client.put(
                        job.url,
                        content=body,
                        headers={
                            "Content-Type": job.content_type,
                            "Content-Length": str(job.size),
                        },
                        extensions={"pmcp_retry": False},
                    )
            except TransportFailure as exc:
                cause = f"{type(exc.__cause__).__name__} talking to {job.host}"
                retryable = True
            else:
                if 200 <= response.status_code < 300:
                    console.debug(f"{job.label} uploaded ({job.size} bytes) on attempt {attempt}.")
                    return
                cause = f"HTTP {response.status_code} — {_s3_error(response)}"
                retryable = response.status_code in _RETRY_STATUSES
            if not retryable:
                raise DeployError(
                    f"{job.label} upload to S3 failed: {cause}.",
                    target="pmcp-run",
                    remediation="The presigned URL was refused; if this persists, report it to "
                    "pmcp.run (mention the S3 error code).",
                )
            delay = float(2**attempt)
            if attempt == attempts or delay >= deadline.remaining():
                raise DeployError(
                    f"{job.label} upload failed after {attempt} attempts: {cause}.",
                    target="pmcp-run",
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
            target="pmcp-run",
            remediation="Retry the deploy.",
        ) from first
