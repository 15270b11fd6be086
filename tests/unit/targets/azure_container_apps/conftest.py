"""Fixtures for the azure-container-apps tests: the worlds of :mod:`.helpers`, built fresh
for each test, and the fakes served over TLS for Microsoft's clients."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from pmcp_action.deadline import Deadline
from pmcp_action.targets.azure_container_apps.arm import Arm
from pmcp_action.targets.azure_container_apps.credentials import sign_in
from tests.fakes.azure_container_apps import (
    EMULATOR,
    EMULATOR_CLIENT,
    EMULATOR_SECRET,
    EMULATOR_SUBSCRIPTION,
    EMULATOR_TENANT,
    FakeArm,
    FakeAzure,
    FakeEntra,
)
from tests.fakes.mcp_servers import serve_mcp, unused_port
from tests.fakes.oci_registry import FakeOciRegistry
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import LoopbackServer, serve
from tests.unit.artifact.oci_image.helpers import HOST_BINARY, seed_base

from .helpers import (
    ARM,
    CLIENT,
    ENV,
    GROUP,
    PEER_SECRET,
    SECRET,
    SHA,
    SUBSCRIPTION,
    TENANT,
    Emulated,
    Ours,
    Peer,
    RegistryWorld,
    World,
    resolved,
    tls_client,
)


@pytest.fixture
def world(tmp_path: Path) -> World:
    entra = FakeEntra()  # scopes for the public cloud's ARM, wherever ARM is reached
    issuer = FakeOidcIssuer()
    entra.add_app(CLIENT, TENANT, secret=SECRET)
    entra.trust_github(CLIENT, issuer.repository)
    arm = FakeArm(entra, SUBSCRIPTION)
    arm.base = ARM
    return World(entra, arm, issuer, io.StringIO(), tmp_path)


@pytest.fixture
def registries(tmp_path: Path) -> RegistryWorld:
    entra = FakeEntra()  # scopes for the public cloud's ARM, wherever ARM is reached
    issuer = FakeOidcIssuer()
    entra.add_app(CLIENT, TENANT)
    entra.trust_github(CLIENT, issuer.repository)
    arm = FakeArm(entra, SUBSCRIPTION)
    arm.base = ARM
    public = FakeOciRegistry(host="127.0.0.1:5000", auth="none")
    seed_base(public)
    ghcr = FakeOciRegistry(host="ghcr.io", auth="none")
    root = tmp_path / "project"
    binary = root / "target" / "release" / "calc"
    binary.parent.mkdir(parents=True)
    shutil.copy(HOST_BINARY, binary)
    return RegistryWorld(entra, arm, issuer, public, ghcr, io.StringIO(), root)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def peer(ca: trustme.CA) -> Iterator[Peer]:
    fake = FakeAzure("https://127.0.0.1", SUBSCRIPTION)
    # Real ARM sends Retry-After on long-running answers and azure-core honours it; 0 keeps
    # the SDK's pollers at polling_interval=0 (our client ignores it and sleeps through a hook).
    fake.arm.retry_after = "0"
    server = LoopbackServer(fake, host="127.0.0.1", tls=True, ca=ca)
    base = f"https://127.0.0.1:{server.port}"
    fake.arm.base = base  # operation URLs
    fake.entra.add_app(CLIENT, TENANT, secret=PEER_SECRET)
    issuer = FakeOidcIssuer()
    fake.entra.trust_github(CLIENT, issuer.repository)
    assert server.url.ca_bundle is not None
    with server:
        yield Peer(base, str(server.url.ca_bundle), fake, issuer)
    assert fake.errors == [], fake.errors[0]


@pytest.fixture
def ours(peer: Peer, tmp_path: Path) -> Iterator[Ours]:
    """Our client over the same TLS origin: OIDC sign-in, then ARM with that token."""
    context, config, problems = resolved(
        tmp_path,
        {"azure-resource-group": GROUP, "azure-managed-environment": ENV},
        environ={"PMCP_AZURE_LOGIN_URL": peer.base, "PMCP_AZURE_ARM_URL": peer.base},
        id_token=peer.issuer.issue,
    )
    assert problems == []
    notes: list[str] = []
    with tls_client(peer) as http:
        session = sign_in(context, config, http)
        arm = Arm(
            http,
            config.arm_url,
            session.access_token,
            config.subscription_id,
            deadline=Deadline(30),
            sleep=lambda _s: None,
            client_id=config.client_id,
            on_wait=notes.append,
        )
        yield Ours(arm, config, context, notes)


@pytest.fixture
def emulator() -> Any:
    with EMULATOR.start() as running:
        yield running


@pytest.fixture
def azure() -> Iterator[Emulated]:
    port = unused_port()
    origin = f"http://127.0.0.1:{port}"
    fake = FakeAzure(origin)
    fake.entra.add_app(EMULATOR_CLIENT, EMULATOR_TENANT, secret=EMULATOR_SECRET)
    fake.arm.acr.login_server_for = lambda _name: f"127.0.0.1:{port}"
    public = FakeOciRegistry(auth="none")
    seed_base(public)
    with (
        LoopbackServer(fake, host="127.0.0.1", port=port),
        serve(public) as base_url,
        serve_mcp() as mcp,
    ):
        yield Emulated(
            fake,
            {
                "AZURE_TENANT_ID": EMULATOR_TENANT,
                "AZURE_CLIENT_ID": EMULATOR_CLIENT,
                "AZURE_SUBSCRIPTION_ID": EMULATOR_SUBSCRIPTION,
                "AZURE_CLIENT_SECRET": EMULATOR_SECRET,
                "PMCP_AZURE_LOGIN_URL": origin,
                "PMCP_AZURE_ARM_URL": origin,
                "PMCP_AZURE_APPS_ORIGIN": str(mcp.url).rstrip("/"),
                "PMCP_BASE_IMAGE": str(base_url).split("://", 1)[1].rstrip("/")
                + "/base/debian:bookworm",
                "GITHUB_SHA": SHA,
            },
        )
