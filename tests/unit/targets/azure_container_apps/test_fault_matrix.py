"""The fault matrix over every Azure call of a first deploy and a staged redeploy
(tests/support/fault_matrix.py): OIDC sign-in at Entra ID, the binary assembled and pushed
to a registry made for it (ACR's login server), a secret, the app staged at weight 0 and
promoted. Each call the clean runs made × each fault kind, judged by the fakes' state —
never a duplicate resource, revision or role assignment; the previous revision serving when
a redeploy fails; a named error or success."""

from __future__ import annotations

import io
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.targets.azure_container_apps.target import AzureContainerAppsTarget
from tests.fakes.azure_container_apps import FakeArm, FakeEntra
from tests.fakes.azure_container_apps.acr_login import LoginServers
from tests.fakes.oci_registry import FakeOciRegistry
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import FakeBase, RecordedRequest
from tests.support import fault_matrix
from tests.support.fault_matrix import Call, Case, Shape, SimulatedClock
from tests.unit.artifact.oci_image.helpers import HOST_BINARY, seed_base

from .helpers import ARM, BASE_IMAGE, CLIENT, LOGIN, SHA, SUBSCRIPTION, TENANT, resolved

SECRET = "matrix-secret-value-3b9e"


@dataclass
class AzureWorld:
    root: Path
    clock: SimulatedClock
    entra: FakeEntra
    arm: FakeArm
    issuer: FakeOidcIssuer
    public: FakeOciRegistry
    acr: LoginServers
    fakes: Mapping[str, FakeBase] = field(init=False)

    def __post_init__(self) -> None:
        self.fakes = {"entra": self.entra, "arm": self.arm, "public": self.public, "acr": self.acr}

    def route(self, request: httpx.Request) -> httpx.Response:
        if request.url.host.endswith(".azurecr.io"):
            return self.acr(request)
        if request.url.port == 5000:
            return self.public(request)
        return (self.entra if request.url.port == 7001 else self.arm)(request)

    def target(self, number: int) -> AzureContainerAppsTarget:
        context, config, problems = resolved(
            self.root,
            {"image": "", "base-image": BASE_IMAGE, "secrets": f"API_KEY={SECRET}-{number}"},
            environ={"PMCP_AZURE_LOGIN_URL": LOGIN, "PMCP_AZURE_ARM_URL": ARM, "GITHUB_SHA": SHA},
            # A new value each deploy: a new revision.
            environment={"GREETING": f"hello {number}"},
            console=Platform(environ={}, log_stream=io.StringIO()),
            transport=self.clock.transport(httpx.MockTransport(self.route)),
            id_token=self.issuer.issue,
            deadline=self.clock.deadline(),
            sleep=self.clock.sleep,
        )
        assert problems == []
        return AzureContainerAppsTarget(context, resolved=(config, problems))

    def deploy(self, shape: Shape, number: int) -> Any:
        target = self.target(number)
        if number == 1:
            return target.deploy()
        return target.promote(target.stage())

    def _app(self) -> dict[str, Any] | None:
        return next(
            (r for r in self.arm.resources.values() if r["type"].endswith("containerApps")), None
        )

    def census(self) -> Mapping[str, int]:
        kinds = Counter(str(r["type"]) for r in self.arm.resources.values())
        return {
            **kinds,
            "resource groups": len(self.arm.groups),
            "revisions": sum(len(r) for r in self.arm.revisions.values()),
            "role assignments": len(self.arm.acr.assignments),
        }

    def serving(self) -> str:
        app = self._app()
        if app is None:
            return ""
        properties = app["properties"]
        traffic = properties.get("configuration", {}).get("ingress", {}).get("traffic", [])
        if not traffic:
            return ""
        top = max(traffic, key=lambda t: t.get("weight", 0))
        if top.get("latestRevision"):
            return str(properties.get("latestRevisionName", ""))
        return str(top.get("revisionName", ""))

    def call_of(self, fake: str, request: RecordedRequest) -> Call | None:
        return fault_matrix.by_route(names=("calc", "calc-rg", SUBSCRIPTION, TENANT))(fake, request)


class AzureSubject:
    name = "azure-container-apps"

    @contextmanager
    def world(self, root: Path, clock: SimulatedClock) -> Iterator[AzureWorld]:
        entra = FakeEntra()  # scopes for the public cloud's ARM, wherever ARM is reached
        issuer = FakeOidcIssuer()
        entra.add_app(CLIENT, TENANT)
        entra.trust_github(CLIENT, issuer.repository)
        arm = FakeArm(entra, SUBSCRIPTION)
        arm.base = ARM
        public = FakeOciRegistry(host="127.0.0.1:5000", auth="none")
        seed_base(public)
        del public.requests[:]  # the seeding is the test's, not the program's
        binary = root / "target" / "release" / "calc"
        binary.parent.mkdir(parents=True)
        shutil.copy(HOST_BINARY, binary)
        yield AzureWorld(root, clock, entra, arm, issuer, public, LoginServers(arm.acr))


SUBJECT = AzureSubject()


@pytest.mark.parametrize("case", fault_matrix.cases(SUBJECT))
def test_every_call_under_every_fault_keeps_the_invariants(case: Case) -> None:
    fault_matrix.check(SUBJECT, case)
