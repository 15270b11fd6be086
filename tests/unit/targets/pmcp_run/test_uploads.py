"""The presigned S3 uploads: retried on 5xx and dropped connections, refused for good on 4xx."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pmcp_action.errors import (
    DeployError,
    RemoteApiError,
)

from .helpers import make_harness

S3_SLOW_DOWN = "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"


def test_upload_503_and_dropped_connection_are_retried(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(503, path="/uploads/", body=S3_SLOW_DOWN, content_type="application/xml")
    h.fake.faults.drop(path="/uploads/")
    h.fake.faults.drop(path="/uploads/", reset=True)

    h.target.deploy()

    uploads = h.fake.requests_to("/uploads/")
    # Both files upload concurrently, so which one met which fault may vary.
    assert sorted(r.fault for r in uploads if r.fault) == ["drop", "drop (reset)", "status 503"]
    assert len(uploads) == 5
    (bootstrap,) = [u for u in h.fake.uploads.values() if u.kind == "bootstrap"]
    assert bootstrap.sha256 == hashlib.sha256(h.artifact.read_bytes()).hexdigest()
    assert "Retry 1/4" in h.output
    assert 2.0 in h.clock.sleeps  # cargo-pmcp's 2^n backoff
    assert "X-Amz-Signature" not in h.output


def test_upload_that_keeps_failing_names_the_s3_code_but_not_the_url(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(
        503, times=50, path="/uploads/", body=S3_SLOW_DOWN, content_type="application/xml"
    )

    with pytest.raises(DeployError) as caught:
        h.target.deploy()

    assert "upload failed after 5 attempts: HTTP 503 — SlowDown" in caught.value.message
    assert "/uploads/" not in caught.value.diagnostics()
    assert "X-Amz" not in caught.value.diagnostics() + h.output
    assert h.fake.deployments == {}
    assert sorted(h.clock.sleeps)[-1] == 16.0


def test_upload_refused_for_good_is_not_retried(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(
        403,
        times=2,
        path="/uploads/",
        body="<Error><Code>AccessDenied</Code></Error>",
        content_type="application/xml",
    )

    with pytest.raises(RemoteApiError, match="to S3 failed: HTTP 403 — AccessDenied"):
        h.target.deploy()

    assert len(h.fake.requests_to("/uploads/")) == 2  # one per file, no retries
