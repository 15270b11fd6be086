"""Fixtures for the aws-lambda target: moto on loopback, a recording proxy, contexts.

The program talks to :class:`~tests.fakes.moto_server.MotoProxy` (through
``AWS_ENDPOINT_URL`` in the run's environ), which forwards to one session-wide
moto server, reset before every test. Assertions read AWS state back with
plain boto3 clients pointed at moto directly, so they do not show up in the
proxy's request log.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.context import RunContext
from pmcp_action.deadline import Deadline
from pmcp_action.deploy_config import DeployConfig, ObservabilityConfig, ServerConfig
from tests.fakes import server as fake_server
from tests.fakes.moto_server import MotoProxy, MotoServer
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import serve
from tests.support.aws import DEPLOYER_ROLE, REGION, elf_bootstrap
from tests.support.context import make_context

#: The ``aws`` fixture: a boto3 client of a service, straight to moto.
AwsFactory = Callable[[str], Any]


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
        fake.url = str(url)  # type: ignore[attr-defined]
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


@dataclass
class Harness:
    """Builds run contexts against the proxy; keeps what each run printed."""

    tmp_path: Path
    proxy: MotoProxy
    issuer: FakeOidcIssuer
    #: The run's inputs by attribute name (given to the action as INPUT_*).
    settings: dict[str, Any]
    config: DeployConfig
    environment: dict[str, str]
    environ: dict[str, str]
    logs: list[io.StringIO] = field(default_factory=list)
    consoles: list[Platform] = field(default_factory=list)
    deadline_seconds: float = 120.0
    clock: Callable[[], float] | None = None
    sleep: Callable[[float], None] = lambda _s: None
    #: The run's ID token source (default: the fake GitHub issuer, unmasked on purpose).
    id_token: Callable[[str], str] | None = None

    def write_bootstrap(self, marker: bytes = b"v1", machine: int = 183) -> Path:
        path = self.tmp_path / "bootstrap"
        path.write_bytes(elf_bootstrap(marker, machine))
        path.chmod(0o755)
        return path

    def context(self, **settings_changes: Any) -> RunContext:
        log = io.StringIO()
        console = Platform(environ={}, log_stream=log)
        console.debug_enabled = True
        self.logs.append(log)
        self.consoles.append(console)
        inputs = {**self.settings, **settings_changes}
        deadline = (
            Deadline(self.deadline_seconds, clock=self.clock)
            if self.clock
            else Deadline(self.deadline_seconds)
        )
        return make_context(
            target="aws-lambda",
            root=self.tmp_path,
            inputs=inputs,
            config=self.config,
            environment=self.environment,
            environ=self.environ,
            version="1.0.0",
            console=console,
            deadline=deadline,
            sleep=self.sleep,
            # Deliberately not masked here: the target must mask what it receives.
            id_token=self.id_token or self.issuer.issue,
        )

    def target(self, *, direct_upload_limit: int | None = None, **settings_changes: Any) -> Any:
        from pmcp_action.targets.aws_lambda.target import AwsLambdaTarget

        context = self.context(**settings_changes)
        if direct_upload_limit is None:
            return AwsLambdaTarget(context)
        return AwsLambdaTarget(context, direct_upload_limit=direct_upload_limit)

    @property
    def output(self) -> str:
        return "".join(log.getvalue() for log in self.logs)

    @property
    def last_output(self) -> str:
        return self.logs[-1].getvalue() if self.logs else ""


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
            "AWS_ENDPOINT_URL": proxy.url,  # type: ignore[attr-defined]
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


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def offline_context(
    tmp_path: Path,
    *,
    config: DeployConfig | None = None,
    environment: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
    **settings_values: Any,
) -> RunContext:
    """A context for checks that never reach the network."""
    values: dict[str, Any] = {
        "server_name": "demo",
        "region": REGION,
        "role_to_assume": DEPLOYER_ROLE,
    }
    values.update(settings_values)

    def no_token(_audience: str) -> str:
        pytest.fail("no token may be requested offline")

    return make_context(
        target="aws-lambda",
        root=tmp_path,
        inputs=values,
        config=config or DeployConfig(server=ServerConfig(name="demo")),
        environment=environment,
        environ=environ,
        console=Platform(environ={}, log_stream=io.StringIO()),
        deadline=Deadline(60),
        id_token=no_token,
    )
