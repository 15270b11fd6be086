"""The fault matrix over every pmcp.run call of a first deploy and a redeploy
(tests/support/fault_matrix.py): discovery, the Cognito token, each GraphQL operation (told
apart by its name), the presigned uploads, a server secret. Each call the clean runs made ×
each fault kind, judged by the fake's state — never a duplicate deployment, upload or
secret; the previous deployment serving when a redeploy fails; a named error or success."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from tests.fakes.pmcp_run import FakePmcpRun
from tests.fakes.server import FakeBase, RecordedRequest
from tests.support import fault_matrix
from tests.support.fault_matrix import Call, Case, Shape, SimulatedClock

from .helpers import FakeClock, fake_bootstrap, make_harness

SECRET = "matrix-secret-value-d41f"
PROJECT = "weather"


@dataclass
class PmcpRunWorld:
    root: Path
    clock: SimulatedClock
    fake: FakePmcpRun
    fakes: Mapping[str, FakeBase] = field(init=False)

    def __post_init__(self) -> None:
        self.fakes = {"pmcp-run": self.fake}

    def deploy(self, shape: Shape, number: int) -> Any:
        harness = make_harness(
            self.root,
            self.fake,
            # A new bootstrap and a new secret value each deploy.
            bootstrap=fake_bootstrap(seed=number),
            secrets=f"API_KEY={SECRET}-{number}",
            transport=self.clock.transport(httpx.MockTransport(self.fake)),
            # The matrix's clock has the harness clock's face (call, sleep) and also moves
            # with each request.
            clock=cast(FakeClock, self.clock),
        )
        return harness.target.deploy()

    def census(self) -> Mapping[str, int]:
        snapshot = self.fake.snapshot()
        return {
            "deployments": len(snapshot["deployments"]),
            # Stored objects; a slot GetUploadUrls made but nothing was put in is only a
            # presigned URL (one more after a lost answer is no duplicate of anything).
            "uploaded objects": sum(1 for u in snapshot["uploads"].values() if u["size"]),
            "secrets": len(snapshot["secrets"]),
        }

    def serving(self) -> str:
        live = self.fake.live_deployment(PROJECT)
        return live.id if live is not None else ""

    def call_of(self, fake: str, request: RecordedRequest) -> Call | None:
        return fault_matrix.by_route(
            names=(PROJECT,),
            # The deployed server's own /mcp and /health: verification's, not the deploy's.
            skip=lambda r: r.path.endswith(("/mcp", "/health")),
            marker=fault_matrix.graphql_marker,
        )(fake, request)


class PmcpRunSubject:
    name = "pmcp-run"

    @contextmanager
    def world(self, root: Path, clock: SimulatedClock) -> Iterator[PmcpRunWorld]:
        yield PmcpRunWorld(root, clock, FakePmcpRun())


SUBJECT = PmcpRunSubject()


@pytest.mark.parametrize("case", fault_matrix.cases(SUBJECT))
def test_every_call_under_every_fault_keeps_the_invariants(case: Case) -> None:
    fault_matrix.check(SUBJECT, case)
