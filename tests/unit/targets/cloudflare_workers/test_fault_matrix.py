"""The fault matrix over every Workers API call of a first deploy and a staged redeploy
(tests/support/fault_matrix.py): each call the clean runs made × each fault kind, judged by
the fake's state — never a duplicate version or deployment, the previous version serving
when a redeploy fails, a named error or success."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.settings.deploy_toml_reading import load_deploy_config
from pmcp_action.targets.cloudflare_workers.target import CloudflareWorkersTarget
from tests.fakes.cloudflare_workers import TOKEN, FakeCloudflare
from tests.fakes.server import FakeBase, RecordedRequest
from tests.support import fault_matrix
from tests.support.context import make_context
from tests.support.fault_matrix import Call, Case, Shape, SimulatedClock
from tests.unit.targets.cloudflare_workers.helpers import BASE, NAME, write_project

SECRET = "matrix-secret-value-5e1d"


@dataclass
class CloudflareWorld:
    root: Path
    clock: SimulatedClock
    fake: FakeCloudflare
    fakes: Mapping[str, FakeBase] = field(init=False)

    def __post_init__(self) -> None:
        self.fakes = {"cloudflare": self.fake}

    def target(self) -> CloudflareWorkersTarget:
        config = load_deploy_config(self.root / ".pmcp" / "deploy.toml")[0]
        context = make_context(
            target="cloudflare-workers",
            root=self.root,
            inputs={
                "cloudflare-api-base-url": BASE,
                "cloudflare-api-token": TOKEN,
                "cloudflare-account-id": "0123456789abcdef0123456789abcdef",
                "secrets": f"API_KEY={SECRET}",
            },
            config=config,
            environment=dict(config.environment),
            console=Platform(environ={}, log_stream=io.StringIO()),
            transport=self.clock.transport(httpx.MockTransport(self.fake)),
            deadline=self.clock.deadline(),
            sleep=self.clock.sleep,
        )
        return CloudflareWorkersTarget(context)

    def deploy(self, shape: Shape, number: int) -> Any:
        write_project(self.root, version=f"{number}.0.0")
        target = self.target()
        if number == 1:
            return target.deploy()
        return target.promote(target.stage())

    def census(self) -> Mapping[str, int]:
        script = self.fake.script(NAME)
        if script is None:
            return {"workers": 0}
        return {
            "workers": 1,
            "versions": len(script.versions),
            "deployments": len(script.deployments),
        }

    def serving(self) -> str:
        script = self.fake.script(NAME)
        live = script.live_version() if script is not None else None
        return live.id if live is not None else ""

    def call_of(self, fake: str, request: RecordedRequest) -> Call | None:
        return fault_matrix.by_route(names=(NAME,))(fake, request)


class CloudflareSubject:
    name = "cloudflare-workers"

    @contextmanager
    def world(self, root: Path, clock: SimulatedClock) -> Iterator[CloudflareWorld]:
        fake = FakeCloudflare()
        try:
            yield CloudflareWorld(root, clock, fake)
        finally:
            fake.close()


SUBJECT = CloudflareSubject()


@pytest.mark.parametrize("case", fault_matrix.cases(SUBJECT))
def test_every_call_under_every_fault_keeps_the_invariants(case: Case) -> None:
    fault_matrix.check(SUBJECT, case)
