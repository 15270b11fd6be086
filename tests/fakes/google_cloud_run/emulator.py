"""The google-cloud-run emulator: the fake Google on 127.0.0.1 with the OIDC fake and one
MCP server behind every ``*.run.app`` URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import MappingProxyType

from ..emulators import Emulator, EmulatorError, Running
from ..server import LoopbackServer
from .run_app import FakeGoogleCloud

__all__ = [
    "EMULATOR",
    "EMULATOR_IMAGE",
    "EMULATOR_PROJECT",
    "EMULATOR_PROJECT_NUMBER",
    "EMULATOR_PROVIDER",
    "EMULATOR_SERVICE_ACCOUNT",
    "emulate",
]

#: What the emulator is set up with (the OIDC fake's repository is the attribute condition).
EMULATOR_PROJECT = "pmcp-emulator"
EMULATOR_PROVIDER = (
    "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github"
)
EMULATOR_SERVICE_ACCOUNT = "deployer@pmcp-emulator.iam.gserviceaccount.com"
#: The emulated project's number (in Secret Manager's names, the default compute account).
EMULATOR_PROJECT_NUMBER = "123456789012"
#: A prebuilt image reference pinned by digest: the emulator runs no container.
EMULATOR_IMAGE = "us-central1-docker.pkg.dev/pmcp-emulator/pmcp/hello-mcp@sha256:" + "0" * 64


@contextmanager
def emulate(*, host: str = "127.0.0.1", tls: bool = False) -> Iterator[Running]:
    """STS, iamcredentials, Cloud Run and Artifact Registry on one origin, the OIDC fake
    (whose repository the provider's attribute condition names), and one MCP server
    behind every ``*.run.app`` URL (``PMCP_GOOGLE_RUN_APP_ORIGIN``)."""
    if tls:
        raise EmulatorError("google-cloud-run is emulated over plain http on loopback")
    from .. import oidc_issuer
    from ..mcp_servers import serve_mcp

    with ExitStack() as stack:
        oidc = stack.enter_context(oidc_issuer.EMULATOR.start(host=host))
        issuer = oidc.fakes["oidc"]
        mcp = stack.enter_context(serve_mcp())
        fake = FakeGoogleCloud(mcp.url)
        fake.providers[EMULATOR_PROVIDER] = {"repository": issuer.repository}
        fake.service_accounts[EMULATOR_SERVICE_ACCOUNT] = EMULATOR_PROVIDER
        fake.project_numbers[EMULATOR_PROJECT] = EMULATOR_PROJECT_NUMBER
        url = str(stack.enter_context(LoopbackServer(fake, host=host)).url).rstrip("/")
        yield Running(
            urls=MappingProxyType(
                {"google-cloud-run": url, "google-cloud-run/oidc": oidc.urls["oidc"]}
            ),
            env=MappingProxyType(
                {
                    "PMCP_GOOGLE_API_URL": url,
                    "PMCP_GOOGLE_RUN_APP_ORIGIN": url,
                    "GOOGLE_CLOUD_PROJECT": EMULATOR_PROJECT,
                    "GCP_WORKLOAD_IDENTITY_PROVIDER": EMULATOR_PROVIDER,
                    "GCP_SERVICE_ACCOUNT": EMULATOR_SERVICE_ACCOUNT,
                    "PMCP_IMAGE": EMULATOR_IMAGE,
                    **oidc.env,
                }
            ),
            fakes=MappingProxyType({"google-cloud-run": fake, "oidc": issuer, "mcp": mcp}),
        )


def _stand_in(project: Path) -> str:
    return f"nothing to build: the emulator deploys the prebuilt image {EMULATOR_IMAGE}"


#: ``serve google-cloud-run`` and the demo: WIF (the OIDC fake's token through STS, then
#: impersonation), Cloud Run v2 and Artifact Registry on one origin; every service and tag
#: URL answers from one local MCP server.
EMULATOR = Emulator(
    name="google-cloud-run",
    summary="Google STS + iamcredentials + Cloud Run v2 + Artifact Registry; run.app URLs "
    "served by one MCP server",
    start=emulate,
    target=True,
    stand_in=_stand_in,
)
