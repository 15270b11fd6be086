"""Google with a real registry, for the container and act runs of google-cloud-run.

On 127.0.0.1: the Google emulator (the OIDC fake, STS, iamcredentials, Cloud Run v2 and
Artifact Registry on one origin: :data:`tests.fakes.google_cloud_run.EMULATOR`) and
Debian's ``docker-registry`` with ``auth: token`` whose realm is that origin's
``/v2/token`` — Artifact Registry's login: Basic ``oauth2accesstoken`` and an access token
the fake minted, answered with a JWT a
:class:`~tests.fakes.registry_token.FakeRegistryTokenServer` key signs for the requested
scopes. ``PMCP_GOOGLE_REGISTRY_HOST`` names that registry, so the image the action assembles
is really pushed there. The base image (the action image's own, from the Dockerfile's
``ARG BASE_IMAGE``) is copied in with skopeo first.

A ready revision pulls its image: the
:class:`~tests.support.revision_runner.RevisionRunner` has the Docker engine pull it from the
registry (as the Cloud Run service agent, with a token of its own) and run it on a loopback
port of its own, and the fake's ``*.run.app`` URLs (``PMCP_GOOGLE_RUN_APP_ORIGIN``) forward to
the container of the revision they serve: a tagged candidate is its own container beside the
revision with the traffic, and the action's verification speaks MCP to the deployed image.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tests.fakes.emulators import Running
from tests.fakes.google_cloud_run import EMULATOR, FakeGoogleCloud
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.registry_token import FakeRegistryTokenServer
from tests.support.registry import (
    TokenAuth,
    copy_into_registry,
    free_port,
    local_registry,
    registry_manifest,
)
from tests.support.revision_runner import RevisionRunner

__all__ = ["SERVICE_AGENT", "GoogleWithRegistry", "google_with_registry"]

#: Who the runner's pulls speak for (Cloud Run pulls as its service agent).
SERVICE_AGENT = "service-123456789012@serverless-robot-prod.iam.gserviceaccount.com"
USER = "oauth2accesstoken"


@dataclass(frozen=True)
class GoogleWithRegistry:
    fake: FakeGoogleCloud
    issuer: FakeOidcIssuer
    url: str
    registry: str
    base_ref: str
    runner: RevisionRunner
    running: Running
    #: The access token the test's own pulls (skopeo, the runner) log in with.
    pull_token: str

    def pulled_manifest(self, reference: str) -> dict[str, Any]:
        """The manifest of ``reference`` as skopeo reads it from the registry."""
        return registry_manifest(reference, f"{USER}:{self.pull_token}")

    def secrets(self) -> list[str]:
        """Every credential handed out so far: access tokens, OIDC tokens and the request
        token that asks for them, registry JWTs."""
        return [
            *self.fake.tokens,
            *(t.token for t in self.issuer.issued),
            self.running.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
            *self.fake.registry_tokens,
        ]


@contextmanager
def google_with_registry(tmp: Path, base_image: str) -> Iterator[GoogleWithRegistry]:
    """The emulator and the registry on loopback; ``running.env`` is a deploy's environment
    (no ``PMCP_IMAGE``: the action assembles the image)."""
    tmp.mkdir(parents=True, exist_ok=True)
    registry_port = free_port()
    registry = f"127.0.0.1:{registry_port}"
    signer = FakeRegistryTokenServer(service=registry)
    with EMULATOR.start() as emulated:
        fake = emulated.fakes["google-cloud-run"]
        issuer = emulated.fakes["oidc"]
        assert isinstance(fake, FakeGoogleCloud) and isinstance(issuer, FakeOidcIssuer)
        url = emulated.urls["google-cloud-run"]
        pull_token = fake.issue_token(SERVICE_AGENT)
        runner = RevisionRunner(
            registry, tmp / "docker-config", USER, pull_token, prefix="pmcp-gcr"
        )
        fake.registry_signer = signer
        fake.on_revision = runner.on_pull
        fake.origin_for = runner.origin
        auth = TokenAuth(
            realm=f"{url}/v2/token",
            service=registry,
            issuer=signer.issuer,
            bundle=signer.write_bundle(tmp / "bundle.pem"),
        )
        with local_registry(tmp / "registry", token=auth, port=registry_port):
            base_ref = f"{registry}/base/debian:bookworm"
            try:
                copy_into_registry(base_image, base_ref, f"{USER}:{pull_token}")
                runner.login()
                env = {k: v for k, v in emulated.env.items() if k != "PMCP_IMAGE"}
                env |= {"PMCP_GOOGLE_REGISTRY_HOST": registry, "PMCP_BASE_IMAGE": base_ref}
                running = Running(
                    urls=emulated.urls,
                    env=MappingProxyType(env),
                    secrets=emulated.secrets,
                    fakes=emulated.fakes,
                )
                yield GoogleWithRegistry(
                    fake, issuer, url, registry, base_ref, runner, running, pull_token
                )
            finally:
                runner.stop()
