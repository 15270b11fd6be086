"""The fault matrix over every AWS call of a first deploy and a redeploy
(tests/support/fault_matrix.py): STS, IAM, CloudWatch Logs, Lambda (function, versions, the
live alias, its URL), each AWS operation told apart by its name. Each call the clean runs
made × each fault kind, injected by the recording proxy in front of moto and judged by
moto's state — never a duplicate function, version, alias, role or log group; the previous
version serving when a redeploy fails; a named error or success.

botocore talks real HTTP to the proxy, so three things are made fast for the matrix: its
retry backoff sleeps on the matrix's simulated clock, its read timeout is short (a slow
answer costs a second, not a minute), and the service models are read once.
"""

from __future__ import annotations

import atexit
import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import botocore.loaders
import pytest
from botocore.config import Config

from pmcp_action.settings.deploy_toml import DeployConfig, ObservabilityConfig, ServerConfig
from pmcp_action.targets.aws_lambda import clients
from tests.fakes.aws_lambda import MotoProxy, MotoServer
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import FakeBase, RecordedRequest, serve
from tests.support import fault_matrix
from tests.support.aws import DEPLOYER_ROLE, REGION
from tests.support.fault_matrix import Call, Case, Shape, SimulatedClock

from .helpers import Harness

SECRET = "matrix-secret-value-a07c"
FUNCTION = "demo"
#: botocore's read timeout in the matrix; the proxy's slow answer waits longer.
READ_TIMEOUT = 1.0


@functools.cache
def _moto() -> MotoServer:
    """One moto server for the module (the matrix is computed before any fixture runs)."""
    server = MotoServer().start()
    atexit.register(server.stop)
    return server


@functools.cache
def _loader() -> Any:
    return botocore.loaders.create_loader()


@contextmanager
def _fast_botocore(clock: SimulatedClock) -> Iterator[None]:
    """botocore's retry sleeps on ``clock``; its clients time out reads after
    :data:`READ_TIMEOUT`."""
    real_time = botocore.endpoint.time
    real_init = clients.AwsClients.__init__

    def init(self: clients.AwsClients, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        self._base_config = self._base_config.merge(Config(read_timeout=READ_TIMEOUT))
        # The service models read once for the whole matrix, not once per run (~1 s each).
        self._session.register_component("data_loader", _loader())

    botocore.endpoint.time = SimpleNamespace(sleep=clock.sleep)
    clients.AwsClients.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.endpoint.time = real_time
        clients.AwsClients.__init__ = real_init  # type: ignore[method-assign]


@dataclass
class AwsWorld:
    root: Path
    clock: SimulatedClock
    moto: MotoServer
    proxy: MotoProxy
    issuer: FakeOidcIssuer
    fakes: Mapping[str, FakeBase] = field(init=False)

    def __post_init__(self) -> None:
        self.fakes = {"aws": self.proxy}

    def _aws(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.moto.url,
            aws_access_key_id="AKIAASSERTIONS000000",
            aws_secret_access_key="assertions-secret",
        )

    def deploy(self, shape: Shape, number: int) -> Any:
        harness = Harness(
            tmp_path=self.root,
            proxy=self.proxy,
            issuer=self.issuer,
            settings={
                "server_name": FUNCTION,
                "region": REGION,
                "role_to_assume": DEPLOYER_ROLE,
                "verify": "false",
            },
            config=DeployConfig(
                server=ServerConfig(name=FUNCTION, memory_mb=256, timeout_seconds=20),
                observability=ObservabilityConfig(log_retention_days=14),
            ),
            environment={"RUST_LOG": "info", "GREETING": "hello"},
            environ={
                "AWS_ENDPOINT_URL": self.proxy.url,
                "GITHUB_ACTIONS": "true",
                "GITHUB_REPOSITORY": "octo-org/octo-repo",
                "GITHUB_RUN_ID": "9876543210",
                "GITHUB_SHA": "8f2c1e4b6a9d3f7e0c5b2a1d4e6f8a9b0c1d2e3f",
            },
            deadline_seconds=600.0,
            clock=self.clock,
            sleep=self.clock.sleep,
            # A new secret value each deploy.
            secrets={"API_KEY": f"{SECRET}-{number}"},
        )
        # New code each deploy: a new version.
        harness.settings["artifact"] = harness.write_bootstrap(f"v{number}".encode())
        return harness.target().deploy()

    def census(self) -> Mapping[str, int]:
        lam, iam, logs = self._aws("lambda"), self._aws("iam"), self._aws("logs")
        functions = lam.list_functions()["Functions"]
        found: dict[str, int] = {
            "functions": len(functions),
            "roles": len(iam.list_roles()["Roles"]),
            "log groups": len(logs.describe_log_groups()["logGroups"]),
            "keys": len(self._aws("kms").list_keys()["Keys"]),
        }
        if any(f["FunctionName"] == FUNCTION for f in functions):
            found["versions"] = len(
                lam.list_versions_by_function(FunctionName=FUNCTION)["Versions"]
            )
            found["aliases"] = len(lam.list_aliases(FunctionName=FUNCTION)["Aliases"])
        return found

    def serving(self) -> str:
        lam = self._aws("lambda")
        try:
            return str(lam.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"])
        except lam.exceptions.ResourceNotFoundException:
            return ""

    def call_of(self, fake: str, request: RecordedRequest) -> Call | None:
        operation = MotoProxy.operation(request)
        route = fault_matrix.route_template(request.path, (FUNCTION,))
        return Call(fake, request.method, route, f"operation={operation}\n")


class AwsSubject:
    name = "aws-lambda"

    @contextmanager
    def world(self, root: Path, clock: SimulatedClock) -> Iterator[AwsWorld]:
        moto = _moto()
        moto.reset()
        proxy = MotoProxy(moto.url)
        try:
            with serve(proxy) as url, _fast_botocore(clock):
                proxy.url = str(url)
                yield AwsWorld(root, clock, moto, proxy, FakeOidcIssuer())
        finally:
            proxy.close()


SUBJECT = AwsSubject()


@pytest.mark.parametrize("case", fault_matrix.cases(SUBJECT))
def test_every_call_under_every_fault_keeps_the_invariants(case: Case) -> None:
    fault_matrix.check(SUBJECT, case)
