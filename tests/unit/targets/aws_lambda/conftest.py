"""Fixtures for the aws-lambda target: moto on loopback, a recording proxy, contexts.

The program talks to :class:`~tests.fakes.aws_lambda.MotoProxy` (through
``AWS_ENDPOINT_URL`` in the run's environ), which forwards to one session-wide
moto server, reset before every test. Assertions read AWS state back with
plain boto3 clients pointed at moto directly, so they do not show up in the
proxy's request log.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from pmcp_action.settings.deploy_toml import DeployConfig, ObservabilityConfig, ServerConfig
from tests.fakes import server as fake_server
from tests.fakes.aws_lambda import MotoProxy, MotoServer
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import serve
from tests.support.aws import DEPLOYER_ROLE, REGION

from .helpers import AwsFactory, Harness


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def moto(moto_server: MotoServer) -> MotoServer:
    moto_server.reset()
    return moto_server


@pytest.fixture
def proxy(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoProxy]:
    # The loopback server writes headers and body in two sends; with Nagle's algorithm
    # each response then waits for a delayed ACK (~30 ms, ~0.6 s per deploy).
    monkeypatch.setattr(fake_server._Handler, "disable_nagle_algorithm", True)
    fake = MotoProxy(moto.url)
    with serve(fake) as url:
        fake.url = str(url)
        yield fake
    fake.close()


@pytest.fixture
def aws(moto: MotoServer) -> AwsFactory:
    """boto3 clients straight to moto, for reading state back."""
    cache: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in cache:
            cache[service] = boto3.client(
                service,
                region_name=REGION,
                endpoint_url=moto.url,
                aws_access_key_id="AKIAASSERTIONS000000",
                aws_secret_access_key="assertions-secret",
            )
        return cache[service]

    return client


@pytest.fixture
def issuer() -> FakeOidcIssuer:
    return FakeOidcIssuer()


@pytest.fixture
def harness(tmp_path: Path, proxy: MotoProxy, issuer: FakeOidcIssuer) -> Harness:
    h = Harness(
        tmp_path=tmp_path,
        proxy=proxy,
        issuer=issuer,
        settings={
            "server_name": "demo",
            "region": REGION,
            "role_to_assume": DEPLOYER_ROLE,
            "verify": "false",
        },
        config=DeployConfig(
            server=ServerConfig(name="demo", memory_mb=256, timeout_seconds=20),
            observability=ObservabilityConfig(log_retention_days=14),
        ),
        environment={"RUST_LOG": "info", "GREETING": "hello"},
        environ={
            "AWS_ENDPOINT_URL": proxy.url,
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
            "GITHUB_REPOSITORY": "octo-org/octo-repo",
            "GITHUB_RUN_ID": "9876543210",
            "GITHUB_SHA": "8f2c1e4b6a9d3f7e0c5b2a1d4e6f8a9b0c1d2e3f",
        },
    )
    h.settings["artifact"] = h.write_bootstrap(b"v1")
    return h
