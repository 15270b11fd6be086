"""Fixtures of the google-cloud-run tests: a world of fakes for the target, and the Cloud
Run contract fake served on 127.0.0.1 for Google's own clients."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from google.auth.transport.requests import Request

from tests.fakes.google_cloud_run import FakeArtifactRegistryDocker, FakeCloudRun, FakeGoogleCloud
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import ServedUrl, serve
from tests.unit.artifact.oci_image.helpers import HOST_BINARY

from .helpers import DEPLOYER, PROVIDER, REGISTRY, World, service_account_key


@pytest.fixture
def world(tmp_path: Path) -> World:
    google = FakeGoogleCloud()
    registry = FakeArtifactRegistryDocker(google, host=REGISTRY)
    issuer = FakeOidcIssuer()
    google.providers[PROVIDER] = {"repository": issuer.repository}
    google.service_accounts[DEPLOYER] = PROVIDER
    key_json, public = service_account_key(DEPLOYER)
    google.keys[DEPLOYER] = public
    binary = tmp_path / "target" / "release" / "calc"
    binary.parent.mkdir(parents=True)
    shutil.copy(HOST_BINARY, binary)
    return World(google, registry, issuer, tmp_path, key_json, io.StringIO())


@pytest.fixture
def fake() -> FakeCloudRun:
    """The contract fake: PROVIDER's principals from the repository o/r may act as DEPLOYER."""
    made = FakeCloudRun()
    made.providers[PROVIDER] = {"repository": "o/r"}
    made.service_accounts[DEPLOYER] = PROVIDER
    return made


@pytest.fixture
def url(fake: FakeCloudRun) -> Iterator[ServedUrl]:
    with serve(fake) as base:
        yield base


@pytest.fixture
def closing() -> Iterator[ExitStack]:
    """Clients and sessions made by a test, closed after it (no socket is left open)."""
    with ExitStack() as stack:
        yield stack


@pytest.fixture
def auth_request(closing: ExitStack) -> Request:
    """google-auth's transport, on a session that is closed after the test."""
    return Request(closing.enter_context(requests.Session()))


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff sleeps of google-api-core's retries and google-auth's, recorded, not slept."""
    from google.api_core.retry import retry_unary
    from google.auth import _exponential_backoff

    slept: list[float] = []
    clock = SimpleNamespace(sleep=slept.append, monotonic=time.monotonic, time=time.time)
    monkeypatch.setattr(retry_unary, "time", clock)
    monkeypatch.setattr(_exponential_backoff, "time", clock)
    return slept
