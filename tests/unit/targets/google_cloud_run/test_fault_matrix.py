"""The fault matrix over every Google call of a first deploy and a staged redeploy
(tests/support/fault_matrix.py): OIDC with impersonation, the image assembled and pushed to
Artifact Registry, a secret in Secret Manager, the service and its traffic. Each call the
clean runs made × each fault kind, judged by the fakes' state — never a duplicate service,
revision, repository, secret or secret version; the previous revision serving when a
redeploy fails; a named error or success."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.targets.google_cloud_run.service import serving_revision
from pmcp_action.targets.google_cloud_run.target import GoogleCloudRunTarget
from tests.fakes.google_cloud_run import FakeArtifactRegistryDocker, FakeGoogleCloud
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import FakeBase, RecordedRequest
from tests.support import fault_matrix
from tests.support.context import make_context
from tests.support.fault_matrix import Call, Case, Shape, SimulatedClock
from tests.unit.artifact.oci_image.helpers import HOST_BINARY, seed_base

from .helpers import API, DEPLOYER, PROVIDER, REGISTRY, SERVICE, SHA, with_secrets

SECRET = "matrix-secret-value-7c2a"


@dataclass
class GoogleWorld:
    root: Path
    clock: SimulatedClock
    google: FakeGoogleCloud
    registry: FakeArtifactRegistryDocker
    issuer: FakeOidcIssuer
    base: str
    fakes: Mapping[str, FakeBase] = field(init=False)

    def __post_init__(self) -> None:
        self.fakes = {"google": self.google, "registry": self.registry}

    def transport(self) -> httpx.BaseTransport:
        def route(request: httpx.Request) -> httpx.Response:
            fake = self.registry if request.url.port == 5000 else self.google
            return fake(request)

        return self.clock.transport(httpx.MockTransport(route))

    def target(self, number: int) -> GoogleCloudRunTarget:
        context = make_context(
            target="google-cloud-run",
            root=self.root,
            inputs={
                "gcp-project": "demo-project",
                "gcp-workload-identity-provider": PROVIDER,
                "gcp-service-account": DEPLOYER,
                "base-image": self.base,
            },
            environ={
                "PMCP_GOOGLE_API_URL": API,
                "PMCP_GOOGLE_REGISTRY_HOST": REGISTRY,
                "GITHUB_SHA": SHA,
            },
            # A new value each deploy: a new revision and a new secret version.
            environment={"GREETING": f"hello {number}"},
            server_name="calc",
            console=Platform(environ={}, log_stream=io.StringIO()),
            transport=self.transport(),
            deadline=self.clock.deadline(),
            sleep=self.clock.sleep,
            id_token=self.issuer.issue,
        )
        context = with_secrets(context, {"API_KEY": f"{SECRET}-{number}"})
        return GoogleCloudRunTarget(context)

    def deploy(self, shape: Shape, number: int) -> Any:
        target = self.target(number)
        if number == 1:
            return target.deploy()
        return target.promote(target.stage())

    def census(self) -> Mapping[str, int]:
        google = self.google
        return {
            "services": len(google.services),
            "revisions": sum(len(s.revisions) for s in google.services.values()),
            "repositories": len(google.repositories),
            "secrets": len(google.secrets),
            "secret versions": sum(len(s.versions) for s in google.secrets.values()),
        }

    def serving(self) -> str:
        service = self.google.services.get(SERVICE)
        return serving_revision(service.to_api()) if service is not None else ""

    def call_of(self, fake: str, request: RecordedRequest) -> Call | None:
        return fault_matrix.by_route(names=("calc", "calc-API_KEY", "demo-project"))(fake, request)


class GoogleSubject:
    name = "google-cloud-run"

    @contextmanager
    def world(self, root: Path, clock: SimulatedClock) -> Iterator[GoogleWorld]:
        google = FakeGoogleCloud()
        registry = FakeArtifactRegistryDocker(google, host=REGISTRY)
        issuer = FakeOidcIssuer()
        google.providers[PROVIDER] = {"repository": issuer.repository}
        google.service_accounts[DEPLOYER] = PROVIDER
        binary = root / "target" / "release" / "calc"
        binary.parent.mkdir(parents=True)
        shutil.copy(HOST_BINARY, binary)
        base = seed_base(registry)
        marks = len(registry.requests)
        del registry.requests[:marks]  # the seeding is the test's, not the program's
        yield GoogleWorld(root, clock, google, registry, issuer, base)


SUBJECT = GoogleSubject()


@pytest.mark.parametrize("case", fault_matrix.cases(SUBJECT))
def test_every_call_under_every_fault_keeps_the_invariants(case: Case) -> None:
    fault_matrix.check(SUBJECT, case)
