"""Builders for azure-container-apps tests: contexts whose inputs go through the real
settings loader, clients built the way a run builds them, and the worlds the tests deploy
into (the fakes behind ``httpx.MockTransport``, or served over TLS for Microsoft's clients).
"""

from __future__ import annotations

import hashlib
import io
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from azure.core.credentials import TokenCredential

# azure.core.pipeline.transport re-exports it lazily (untyped for mypy); its module is typed.
from azure.core.pipeline.transport._requests_basic import RequestsTransport
from azure.identity import ClientAssertionCredential, ClientSecretCredential
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers import models as m

from pmcp_action.ci.base import Platform
from pmcp_action.context import RunContext
from pmcp_action.deadline import Deadline
from pmcp_action.errors import Problem
from pmcp_action.http import HttpClientFactory, RetryPolicy
from pmcp_action.result import TargetResult
from pmcp_action.secrets import resolve_secrets
from pmcp_action.settings.deploy_toml import DeployConfig
from pmcp_action.targets.azure_container_apps.app import app_path
from pmcp_action.targets.azure_container_apps.arm import Arm
from pmcp_action.targets.azure_container_apps.cloud_build import build_in_registry
from pmcp_action.targets.azure_container_apps.config import AzureConfig, resolve
from pmcp_action.targets.azure_container_apps.environment import prepare_environment
from pmcp_action.targets.azure_container_apps.revisions import move_traffic, wait_revision
from pmcp_action.targets.azure_container_apps.survey import Survey
from pmcp_action.targets.azure_container_apps.target import AzureContainerAppsTarget
from pmcp_action.targets.azure_container_apps.trust import GRAPH_URL_ENV
from tests.fakes.azure_container_apps import (
    BLOB_PREFIX,
    FakeArm,
    FakeAzure,
    FakeEntra,
    built_manifest,
)
from tests.fakes.azure_container_apps.graph import FakeGraph
from tests.fakes.azure_container_apps.managed_identity import FakeManagedIdentity
from tests.fakes.oci_registry import FakeOciRegistry
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.support.context import make_context

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "11111111-2222-3333-4444-555555555555"
SUBSCRIPTION = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
BASE = {
    "azure-tenant-id": TENANT,
    "azure-client-id": CLIENT,
    "azure-subscription-id": SUBSCRIPTION,
    "image": "ghcr.io/acme/calc@sha256:" + "9" * 64,
}
#: In-process hosts (``httpx.MockTransport``): Entra ID and ARM.
LOGIN = "http://127.0.0.1:7001"
ARM = "http://127.0.0.1:7002"
SECRET = "Zq8~very.secret.value"
IMAGE_1 = "ghcr.io/acme/calc@sha256:" + "1" * 64
IMAGE_2 = "ghcr.io/acme/calc@sha256:" + "2" * 64
SHA = "0123456789abcdef0123456789abcdef01234567"
#: The base image an assembled image is laid onto (a public registry on port 5000).
BASE_IMAGE = "127.0.0.1:5000/base/debian:bookworm"
# ACR Tasks builds.
ARM_BASE = ARM
REGISTRY_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/calc-rg"
    "/providers/Microsoft.ContainerRegistry/registries/calcreg"
)
LOGIN_SERVER = "calcreg.azurecr.io"
TOKEN = "eyJ0eXAiOiJKV1QifQ.arm-token-" + "x" * 24
DOCKERFILE = """\
FROM rust:1-slim-bookworm AS builder
WORKDIR /app
COPY . .
RUN cargo build --release
FROM debian:bookworm-slim
COPY --from=builder /app/target/release/calc /app/calc
ENTRYPOINT ["/app/calc"]
"""
# Microsoft's clients over TLS.
PEER_SECRET = "Xy8Q~peer.client.secret"
EXCHANGE = "api://AzureADTokenExchange"
GROUP = "calc-rg"
ENV = "calc-env"
APP = "calc"


def resolved(
    tmp_path: Path,
    inputs: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config: DeployConfig | None = None,
    server_name: str = "calc",
    **context_args: Any,
) -> tuple[RunContext, AzureConfig, list[Problem]]:
    """A context for the target with ``inputs`` over :data:`BASE`, and its resolved config
    (the ``secrets`` input and deploy.toml's ``[secrets]`` resolved as a run resolves them)."""
    context, refused = with_secrets(
        make_context(
            target="azure-container-apps",
            root=tmp_path,
            inputs={**BASE, **dict(inputs or {})},
            config=config or DeployConfig(),
            environ=dict(environ or {}),
            server_name=server_name,
            **context_args,
        )
    )
    azure, problems = resolve(context)
    return context, azure, [*refused, *problems]


def with_secrets(context: RunContext) -> tuple[RunContext, list[Problem]]:
    """``context`` with the server's secrets resolved from its settings, each value masked
    (what the pipeline does before a target is made)."""
    settings = context.settings
    found = resolve_secrets(
        settings.secrets,
        given_source="input 'secrets'",
        config=context.project.config,
        environ=context.environ,
        environment=context.project.environment,
        environment_input=settings.environment,
        prune=settings.prune_secrets,
        mask=context.console.mask,
    )
    project = replace(context.project, secrets=found.secrets, environment=found.environment)
    return replace(context, project=project), list(found.problems)


def client(
    transport: httpx.BaseTransport,
    *,
    retries: bool = True,
    deadline: Deadline | None = None,
    sleep: Callable[[float], None] = lambda _s: None,
) -> httpx.Client:
    """A client as a run builds it (``retries=False``: each call sent once, whatever it meets)."""
    policy = RetryPolicy() if retries else RetryPolicy(attempts=1)
    factory = HttpClientFactory(transport=transport, deadline=deadline, policy=policy, sleep=sleep)
    return factory()


def outputs_of(result: TargetResult) -> dict[str, str]:
    return dict(result.outputs)


# --- a target over Entra ID and ARM ------------------------------------------------------


@dataclass
class World:
    entra: FakeEntra
    arm: FakeArm
    issuer: FakeOidcIssuer
    log: io.StringIO
    tmp_path: Path

    def transport(self) -> httpx.MockTransport:
        def route(request: httpx.Request) -> httpx.Response:
            fake = self.entra if request.url.port == 7001 else self.arm
            return fake(request)

        return httpx.MockTransport(route)

    def target(
        self, deploy: DeployConfig | None = None, /, **inputs: Any
    ) -> AzureContainerAppsTarget:
        return self.sleeping_target(lambda _s: None, inputs, deploy)

    def sleeping_target(
        self,
        sleep: Callable[[float], None],
        inputs: dict[str, Any],
        deploy: DeployConfig | None = None,
    ) -> AzureContainerAppsTarget:
        given = {"image": IMAGE_1, **inputs}
        context, config, problems = resolved(
            self.tmp_path,
            given,
            config=deploy,
            environ={"PMCP_AZURE_LOGIN_URL": LOGIN, "PMCP_AZURE_ARM_URL": ARM},
            console=Platform(environ={}, log_stream=self.log),
            transport=self.transport(),
            id_token=self.issuer.issue,
            sleep=sleep,
        )
        return AzureContainerAppsTarget(context, resolved=(config, problems))

    def traffic(self) -> list[dict[str, Any]]:
        app = next(r for r in self.arm.resources.values() if r["type"].endswith("containerApps"))
        return list(app["properties"]["configuration"]["ingress"]["traffic"])


# --- a target that builds, assembles or pulls images (ACR, public registries) ------------


@dataclass
class RegistryWorld:
    entra: FakeEntra
    arm: FakeArm
    issuer: FakeOidcIssuer
    public: FakeOciRegistry
    ghcr: FakeOciRegistry
    log: io.StringIO
    root: Path

    def route(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host.endswith(".azurecr.io"):
            return self.arm.acr.login(request)
        if host == "ghcr.io":
            return self.ghcr(request)
        if request.url.port == 5000:
            return self.public(request)
        return (self.entra if request.url.port == 7001 else self.arm)(request)

    def target(self, **inputs: Any) -> AzureContainerAppsTarget:
        given = {"image": "", "base-image": BASE_IMAGE, **inputs}
        clock = [0.0]  # a fake clock: sleeping moves it, so a deadline passes at once

        def sleep(seconds: float) -> None:
            clock[0] += seconds

        context, config, problems = resolved(
            self.root,
            given,
            environ={
                "PMCP_AZURE_LOGIN_URL": LOGIN,
                "PMCP_AZURE_ARM_URL": ARM,
                "GITHUB_SHA": SHA,
            },
            console=Platform(environ={}, log_stream=self.log),
            transport=httpx.MockTransport(self.route),
            id_token=self.issuer.issue,
            deadline=Deadline(600, clock=lambda: clock[0]),
            sleep=sleep,
        )
        assert problems == []
        return AzureContainerAppsTarget(context, resolved=(config, problems))

    def app(self) -> dict[str, Any]:
        return next(r for r in self.arm.resources.values() if r["type"].endswith("containerApps"))

    def registry(self) -> dict[str, Any]:
        return next(r for r in self.arm.resources.values() if r["type"].endswith("registries"))

    def printed(self) -> str:
        return "\n".join(
            line for line in self.log.getvalue().splitlines() if "::add-mask::" not in line
        )


# --- ACR Tasks builds over ARM ------------------------------------------------------------


@dataclass
class Clock:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class BuildWorld:
    fake: FakeArm
    arm: Arm
    console: Platform
    log: io.StringIO
    clock: Clock
    deadline: Deadline
    root: Path
    #: Called with each request before the fake answers it (a test's gate on the fake); the
    #: first answer one of them gives is the answer instead.
    before: list[Callable[[httpx.Request], httpx.Response | None]] = field(default_factory=list)

    def build(self, **overrides: Any) -> str:
        args: dict[str, Any] = {
            "registry_id": REGISTRY_ID,
            "login_server": LOGIN_SERVER,
            "context_dir": self.root,
            "repository": "calc",
            "tag": "v1",
            "dockerfile": "Dockerfile",
            "build_args": {"FEATURES": "http", "BIN": "calc"},
            "platform": "linux/amd64",
            "deadline": self.deadline,
            "console": self.console,
        }
        args.update(overrides)
        return build_in_registry(self.arm, **args)

    @property
    def output(self) -> str:
        return self.log.getvalue()

    def runs(self) -> list[Any]:
        return self.fake.tasks.all_runs()

    def requests(self, rest: str, method: str = "POST") -> list[Any]:
        return self.fake.requests_to(f"{REGISTRY_ID}/{rest}", method)

    def sas_signatures(self) -> set[str]:
        """Every signature the fake issued, as the requests to its blobs carried them."""
        found: set[str] = set()
        for request in self.fake.requests_to(BLOB_PREFIX):
            found.update(v for k, v in request.params.multi_items() if k == "sig")
        return found


def build_project(root: Path, dockerfile: str = DOCKERFILE) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.rs").write_text("fn main() {}\n")
    (root / "Cargo.toml").write_text('[package]\nname = "calc"\nversion = "0.1.0"\n')
    (root / "Dockerfile").write_text(dockerfile)
    (root / "target" / "release").mkdir(parents=True)
    (root / "target" / "release" / "calc").write_bytes(b"\x7fELF" + b"\0" * 64)
    (root / "build.log").write_text("a local log\n")
    (root / "keep.log").write_text("wanted in the image\n")
    (root / ".dockerignore").write_text("target/\n*.log\n!keep.log\n")
    return root


def build_world(tmp_path: Path, *, retrying: bool = False, seconds: float = 900) -> BuildWorld:
    entra = FakeEntra()
    entra.add_app(CLIENT, TENANT, secret="s")
    entra.issued[TOKEN] = CLIENT
    fake = FakeArm(entra, SUBSCRIPTION)
    fake.base = ARM_BASE
    clock = Clock()
    deadline = Deadline(seconds, clock=clock.time)
    # What a run uses (retries of 429/5xx and dropped connections), or the same client
    # with no retries of its own, so the target's own read-back is what recovers.
    before: list[Callable[[httpx.Request], httpx.Response | None]] = []

    def route(request: httpx.Request) -> httpx.Response:
        for gate in before:
            answer = gate(request)
            if answer is not None:
                return answer
        return fake(request)

    http = client(
        httpx.MockTransport(route), retries=retrying, deadline=deadline, sleep=clock.sleep
    )
    log = io.StringIO()
    console = Platform(environ={}, log_stream=log)
    console.mask(TOKEN)  # as sign-in does
    arm = Arm(
        http,
        ARM_BASE,
        TOKEN,
        SUBSCRIPTION,
        deadline=deadline,
        sleep=clock.sleep,
        client_id=CLIENT,
        on_wait=console.info,
    )
    root = build_project(tmp_path / "calc")
    return BuildWorld(fake, arm, console, log, clock, deadline, root, before)


def expected_reference(archive: bytes) -> str:
    digest = hashlib.sha256(built_manifest(archive, "Dockerfile")).hexdigest()
    return f"{LOGIN_SERVER}/calc@sha256:{digest}"


# --- the fakes served over TLS, for Microsoft's own clients ------------------------------


@dataclass
class Peer:
    """The fake Entra ID + ARM served over TLS on 127.0.0.1."""

    base: str
    ca_bundle: str
    fake: FakeAzure
    issuer: FakeOidcIssuer

    @property
    def scope(self) -> str:
        """The scope Entra ID issues ARM tokens for (ARM's resource id, not ``base``)."""
        return f"{self.fake.entra.arm_audience}/.default"

    def app_id(self, name: str = APP) -> str:
        return (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
            f"/providers/Microsoft.App/containerApps/{name}"
        )

    def sent(self, method: str, fragment: str) -> list[Any]:
        return [r for r in self.fake.requests if r.method == method and fragment in r.path]


def secret_credential(
    peer: Peer, *, tenant: str = TENANT, secret: str = PEER_SECRET
) -> ClientSecretCredential:
    return ClientSecretCredential(
        tenant,
        CLIENT,
        secret,
        authority=peer.base,
        disable_instance_discovery=True,
        connection_verify=peer.ca_bundle,
    )


def assertion_credential(peer: Peer, issuer: FakeOidcIssuer) -> ClientAssertionCredential:
    return ClientAssertionCredential(
        TENANT,
        CLIENT,
        lambda: issuer.issue(EXCHANGE),
        authority=peer.base,
        disable_instance_discovery=True,
        connection_verify=peer.ca_bundle,
    )


@contextmanager
def tls_client(peer: Peer) -> Iterator[httpx.Client]:
    """Our client as a run builds it, trusting the fake's CA."""
    verify = ssl.create_default_context(cafile=peer.ca_bundle)
    with httpx.HTTPTransport(verify=verify) as transport, client(transport) as http:
        yield http


class SleeplessTransport(RequestsTransport):
    """requests under azure-core, trusting the fake's CA; records sleeps instead of sleeping.

    With a ``gate``, a sleep (a poller's wait between polls) waits for the gate instead.
    """

    def __init__(self, ca_bundle: str, gate: threading.Event | None = None) -> None:
        super().__init__(connection_verify=ca_bundle)
        self.slept: list[float] = []
        self.gate = gate

    def sleep(self, duration: float) -> None:
        self.slept.append(duration)
        if self.gate is not None:
            assert self.gate.wait(10), "the gate was never opened"


def sdk(
    peer: Peer, credential: TokenCredential | None = None, **kwargs: Any
) -> ContainerAppsAPIClient:
    kwargs.setdefault("connection_verify", peer.ca_bundle)
    return ContainerAppsAPIClient(
        credential or secret_credential(peer),
        SUBSCRIPTION,
        base_url=peer.base,
        credential_scopes=[peer.scope],
        polling_interval=0,
        **kwargs,
    )


def sdk_environment(client: ContainerAppsAPIClient) -> m.ManagedEnvironment:
    return client.managed_environments.begin_create_or_update(
        GROUP, ENV, m.ManagedEnvironment(location="eastus", tags={"managed-by": "pmcp"})
    ).result()


def sdk_app(
    environment: m.ManagedEnvironment, suffix: str, image: str, traffic: list[m.TrafficWeight]
) -> m.ContainerApp:
    configuration = m.Configuration(
        active_revisions_mode="Multiple",
        ingress=m.Ingress(
            external=True,
            target_port=8080,
            transport="auto",
            traffic=traffic,
            cors_policy=m.CorsPolicy(
                allowed_origins=["*"],
                allowed_methods=["GET", "POST", "DELETE", "OPTIONS"],
                allowed_headers=["*"],
            ),
        ),
    )
    template = m.Template(
        revision_suffix=suffix,
        containers=[
            m.Container(
                name=APP,
                image=image,
                env=[m.EnvironmentVar(name="RUST_LOG", value="info")],
                resources=m.ContainerResources(cpu=0.5, memory="1Gi"),
            )
        ],
        scale=m.Scale(min_replicas=1, max_replicas=10),
    )
    return m.ContainerApp(
        location="eastus",
        tags={"managed-by": "pmcp"},
        properties=m.ContainerAppProperties(
            managed_environment_id=environment.id,
            configuration=configuration,
            template=template,
        ),
    )


@dataclass
class Ours:
    """Our own client over the fakes' TLS origin: signed in, ARM with that token."""

    arm: Arm
    config: AzureConfig
    context: RunContext
    #: What our client said while it waited.
    notes: list[str]

    @property
    def app_path(self) -> str:
        return app_path(self.arm, self.config)

    def prepare(self) -> str:
        """The group and the environment, made by our client; the environment's id."""
        return prepare_environment(self.arm, self.config, Survey(None), self.context.console)

    def wait_revision(self, revision: str) -> dict[str, Any]:
        return wait_revision(
            self.arm, self.config, revision, deadline=Deadline(30), sleep=lambda _s: None
        )

    def move_traffic(self, revision: str) -> None:
        move_traffic(self.arm, self.config, revision)


def our_group(ours: Ours) -> None:
    ours.arm.create_resource_group(GROUP, "eastus", {"managed-by": "pmcp"})


# --- the whole program against a served fake -------------------------------------------


@dataclass(frozen=True)
class Emulated:
    """The Azure fake served on 127.0.0.1, and the environment a run there needs."""

    fake: FakeAzure
    env: dict[str, str]


def terminal_target(world: World, graph: FakeGraph | None = None) -> AzureContainerAppsTarget:
    """The target at a terminal signed in through a managed identity (IMDS), with Graph
    (``graph``, or a new one over the world's Entra ID)."""
    identity, graph = FakeManagedIdentity(world.entra), graph or FakeGraph(world.entra)

    def route(request: httpx.Request) -> httpx.Response:
        fake = {7001: world.entra, 7003: identity, 7004: graph}.get(
            request.url.port or 0, world.arm
        )
        return fake(request)

    context, config, problems = resolved(
        world.tmp_path,
        {"resource-group": GROUP},
        environ={
            "PMCP_AZURE_LOGIN_URL": LOGIN,
            "PMCP_AZURE_ARM_URL": ARM,
            "PMCP_AZURE_IMDS_URL": "http://127.0.0.1:7003/metadata/identity/oauth2/token",
            GRAPH_URL_ENV: "http://127.0.0.1:7004",
            "PATH": "",
        },
        console=Platform(environ={}, log_stream=world.log),
        transport=httpx.MockTransport(route),
        id_token=world.issuer.issue,
    )
    return AzureContainerAppsTarget(context, resolved=(config, problems))


def sdk_refusals(model: Any, data: Mapping[str, Any], at: str = "") -> list[str]:
    """Paths in ``data`` that the SDK's REST model of it does not know or knows as read-only.

    ``model`` is the SDK model built from ``data``; its REST field table (what
    azure-mgmt-appcontainers sends and reads, with each field's visibility) is walked
    alongside the JSON.
    """
    fields = {rf._rest_name: (attr, rf) for attr, rf in type(model)._attr_to_rest_field.items()}
    refused: list[str] = []
    for key, value in data.items():
        where = f"{at}.{key}" if at else key
        if key not in fields:
            refused.append(f"{where}: unknown")
            continue
        attr, rf = fields[key]
        if rf._visibility == ["read"]:
            refused.append(f"{where}: read-only")
            continue
        typed = getattr(model, attr)
        if isinstance(value, Mapping) and hasattr(typed, "_attr_to_rest_field"):
            refused += sdk_refusals(typed, value, where)
        elif isinstance(value, list):
            for i, (item, typed_item) in enumerate(zip(value, typed or [], strict=False)):
                if isinstance(item, Mapping) and hasattr(typed_item, "_attr_to_rest_field"):
                    refused += sdk_refusals(typed_item, item, f"{where}[{i}]")
    return refused
