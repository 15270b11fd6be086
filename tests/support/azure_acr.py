"""Azure with a real registry, for the container and act runs of azure-container-apps.

On 127.0.0.1: the Azure fake (Entra ID, ARM, the ACR login server's ``/oauth2/exchange``
and ``/oauth2/token``) on one origin, and Debian's ``docker-registry`` with ``auth: token``
whose realm is that ``/oauth2/token`` (its JWTs signed by a
:class:`~tests.fakes.registry_token.FakeRegistryTokenServer` key). Every registry the action
creates has that docker-registry as its login server, so the image the action assembles is
really pushed there with the exchanged ACR refresh token. The base image (the action
image's own ``python:3.12-slim``, a Debian 12 with glibc) is copied in with skopeo first.

A revision that pulls its image (identity with AcrPull, or the admin user) runs it: the
:class:`~tests.support.revision_runner.RevisionRunner` has the Docker engine pull it from the
registry and run it on one loopback port, which ``PMCP_AZURE_APPS_ORIGIN`` names, so the
action's verification speaks MCP to the deployed revision.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tests.fakes.azure_container_apps import (
    EMULATOR_CLIENT,
    EMULATOR_SECRET,
    EMULATOR_SUBSCRIPTION,
    EMULATOR_TENANT,
    FakeAzure,
)
from tests.fakes.emulators import Running
from tests.fakes.registry_token import FakeRegistryTokenServer
from tests.fakes.server import LoopbackServer
from tests.support.registry import (
    TokenAuth,
    copy_into_registry,
    free_port,
    local_registry,
    registry_manifest,
)
from tests.support.revision_runner import RevisionRunner

__all__ = ["AzureWithRegistry", "azure_with_registry"]

TEST_USER = "pmcp-test"
TEST_PASSWORD = "pmcp-test-pull-" + uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class AzureWithRegistry:
    fake: FakeAzure
    url: str
    registry: str
    base_ref: str
    runner: RevisionRunner
    running: Running

    def pulled_manifest(self, reference: str) -> dict[str, Any]:
        """The manifest of ``reference`` as skopeo reads it from the registry."""
        return registry_manifest(reference, f"{TEST_USER}:{TEST_PASSWORD}")


@contextmanager
def azure_with_registry(tmp: Path, base_image: str) -> Iterator[AzureWithRegistry]:
    """The fakes and the registry on loopback; ``running.env`` is a deploy's environment."""
    tmp.mkdir(parents=True, exist_ok=True)
    registry_port, arm_port, app_port = free_port(), free_port(), free_port()
    registry = f"127.0.0.1:{registry_port}"
    url = f"http://127.0.0.1:{arm_port}"
    signer = FakeRegistryTokenServer(service=registry)
    fake = FakeAzure(url)
    fake.entra.add_app(EMULATOR_CLIENT, EMULATOR_TENANT, secret=EMULATOR_SECRET)
    acr = fake.arm.acr

    def configure() -> None:
        acr.signer = signer
        acr.login_server_for = lambda _name: registry
        acr.test_logins.add((TEST_USER, TEST_PASSWORD))

    configure()
    auth = TokenAuth(
        realm=f"{url}/oauth2/token",
        service=registry,
        issuer=signer.issuer,
        bundle=signer.write_bundle(tmp / "bundle.pem"),
    )
    runner = RevisionRunner(
        registry, tmp / "docker-config", TEST_USER, TEST_PASSWORD, port=app_port, prefix="pmcp-aca"
    )
    acr.on_pull = runner.on_pull
    with (
        LoopbackServer(fake, host="127.0.0.1", port=arm_port),
        local_registry(tmp / "registry", token=auth, port=registry_port),
    ):
        base_ref = f"{registry}/base/debian:bookworm"
        copy_into_registry(base_image, base_ref, f"{TEST_USER}:{TEST_PASSWORD}")
        runner.login()
        env = {
            "AZURE_TENANT_ID": EMULATOR_TENANT,
            "AZURE_CLIENT_ID": EMULATOR_CLIENT,
            "AZURE_SUBSCRIPTION_ID": EMULATOR_SUBSCRIPTION,
            "PMCP_AZURE_LOGIN_URL": url,
            "PMCP_AZURE_ARM_URL": url,
            "PMCP_AZURE_APPS_ORIGIN": f"http://127.0.0.1:{app_port}",
            "PMCP_BASE_IMAGE": base_ref,
        }
        running = Running(
            urls=MappingProxyType({"azure-container-apps": url}),
            env=MappingProxyType(env),
            secrets=MappingProxyType({"AZURE_CLIENT_SECRET": EMULATOR_SECRET}),
            fakes=MappingProxyType({"azure-container-apps": fake}),
        )
        try:
            yield AzureWithRegistry(fake, url, registry, base_ref, runner, running)
        finally:
            runner.stop()
