"""Entra ID, ARM and the ACR login servers on one origin, and ``EMULATOR``.

``serve azure-container-apps``, the demo and the act runs start it: the token endpoint and
the login server's ``/oauth2/``, ``/v2/`` by their paths, ARM for the rest; every app and
revision URL answers from one local MCP server (``PMCP_AZURE_APPS_ORIGIN``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from ..emulators import Emulator, EmulatorError, Running
from ..server import FakeBase, LoopbackServer
from .container_apps import FakeArm
from .entra import FakeEntra

__all__ = [
    "EMULATOR",
    "EMULATOR_CLIENT",
    "EMULATOR_IMAGE",
    "EMULATOR_SECRET",
    "EMULATOR_SUBSCRIPTION",
    "EMULATOR_TENANT",
    "FakeAzure",
    "emulate",
]

EMULATOR_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
EMULATOR_CLIENT = "11111111-2222-3333-4444-555555555555"
EMULATOR_SUBSCRIPTION = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
EMULATOR_SECRET = "emulator~client.secret"
#: A prebuilt image reference: the emulator runs no registry and no container.
EMULATOR_IMAGE = "ghcr.io/paiml/hello-mcp@sha256:" + "0" * 64


class FakeAzure(FakeBase):
    """Entra ID and ARM on one origin (the token endpoint by its path)."""

    name = "azure"

    def __init__(self, base: str, subscription: str = EMULATOR_SUBSCRIPTION) -> None:
        super().__init__()
        self.entra = FakeEntra()  # tokens for ARM's resource id, not for ``base``
        self.arm = FakeArm(self.entra, subscription)
        self.arm.base = base.rstrip("/")

    def reset_state(self) -> None:
        self.entra.reset_state()
        self.arm.reset_state()

    def snapshot(self) -> dict[str, Any]:
        return {"entra": self.entra.snapshot(), "arm": self.arm.snapshot()}

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(("/oauth2/v2.0/token", "/.well-known/openid-configuration")):
            return self.entra.handle(request)
        if request.url.path.startswith(("/oauth2/", "/v2/")):
            return self.arm.acr.login(request)  # a login server on this origin
        return self.arm.handle(request)


@contextmanager
def emulate(*, host: str = "127.0.0.1", tls: bool = False) -> Iterator[Running]:
    """Entra ID + ARM, and one MCP server standing for every app and revision FQDN."""
    if tls:
        raise EmulatorError("azure-container-apps is emulated over plain http on loopback")
    from ..mcp_servers import serve_mcp, unused_port

    port = unused_port()
    base = f"http://{host}:{port}"
    fake = FakeAzure(base)
    fake.entra.add_app(EMULATOR_CLIENT, EMULATOR_TENANT, secret=EMULATOR_SECRET)
    # A registry the action makes has this origin as its (in-memory) login server.
    fake.arm.acr.login_server_for = lambda _name: f"{host}:{port}"
    with serve_mcp() as mcp, LoopbackServer(fake, host=host, port=port) as server:
        url = str(server.url).rstrip("/")
        yield Running(
            urls=MappingProxyType({"azure-container-apps": url}),
            env=MappingProxyType(
                {
                    "AZURE_TENANT_ID": EMULATOR_TENANT,
                    "AZURE_CLIENT_ID": EMULATOR_CLIENT,
                    "AZURE_SUBSCRIPTION_ID": EMULATOR_SUBSCRIPTION,
                    "PMCP_AZURE_LOGIN_URL": url,
                    "PMCP_AZURE_ARM_URL": url,
                    "PMCP_AZURE_APPS_ORIGIN": str(mcp.url).rstrip("/"),
                    "PMCP_IMAGE": EMULATOR_IMAGE,
                }
            ),
            secrets=MappingProxyType({"AZURE_CLIENT_SECRET": EMULATOR_SECRET}),
            fakes=MappingProxyType({"azure-container-apps": fake, "mcp": mcp}),
        )


def _stand_in(project: Path) -> str:
    return f"nothing to build: the emulator deploys the prebuilt image {EMULATOR_IMAGE}"


#: ``serve azure-container-apps`` and the demo: Entra ID (client secret) and ARM on one
#: origin; every app and revision URL answers from one local MCP server.
EMULATOR = Emulator(
    name="azure-container-apps",
    summary="Entra ID + ARM (providers, groups, environments, container apps, revisions)",
    start=emulate,
    target=True,
    stand_in=_stand_in,
)
