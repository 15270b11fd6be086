"""Microsoft's own clients against the Azure contract fake, over HTTPS on 127.0.0.1.

azure-identity (``ClientSecretCredential``, ``ClientAssertionCredential`` with a CI OIDC
token) signs in at the fake Entra ID, and azure-mgmt-appcontainers
(``ContainerAppsAPIClient``) drives the fake ARM: managed environments, container apps,
revisions, traffic, long-running operations and faults. What the SDK sends, the fake must
accept as real ARM does; what our own client writes, the SDK must read back (and the other
way round). azure-identity insists on an https authority, so the fake is served with a
throwaway trustme CA, trusted through ``connection_verify``; instance discovery is off, so
nothing leaves loopback.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import trustme
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)

# azure.core.pipeline.transport re-exports it lazily (untyped for mypy); its module is typed.
from azure.core.pipeline.transport._requests_basic import RequestsTransport
from azure.identity import ClientAssertionCredential, ClientSecretCredential
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers import models as m

from pmcp_action.context import RunContext
from pmcp_action.deadline import Deadline
from pmcp_action.errors import DeployError
from pmcp_action.targets.azure_container_apps.app import app_body, app_path, revision_suffix
from pmcp_action.targets.azure_container_apps.arm import Arm
from pmcp_action.targets.azure_container_apps.config import AzureConfig
from pmcp_action.targets.azure_container_apps.credentials import sign_in
from pmcp_action.targets.azure_container_apps.environment import prepare_environment
from pmcp_action.targets.azure_container_apps.failures import ArmError
from pmcp_action.targets.azure_container_apps.revisions import move_traffic, wait_revision
from pmcp_action.targets.azure_container_apps.survey import Survey, read_app
from tests.fakes.azure_container_apps import FakeAzure
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import LoopbackServer

from .helpers import CLIENT, SUBSCRIPTION, TENANT, client, resolved

SECRET = "Xy8Q~peer.client.secret"
EXCHANGE = "api://AzureADTokenExchange"
IMAGE_1 = "ghcr.io/acme/calc@sha256:" + "1" * 64
IMAGE_2 = "ghcr.io/acme/calc@sha256:" + "2" * 64
GROUP = "calc-rg"
ENV = "calc-env"
APP = "calc"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Our client's traffic: the latest revision at 100 %.
LATEST: list[dict[str, object]] = [{"latestRevision": True, "weight": 100}]


@dataclass
class Peer:
    """The fake Entra ID + ARM served over TLS on 127.0.0.1."""

    base: str
    ca_bundle: str
    fake: FakeAzure
    issuer: FakeOidcIssuer

    @property
    def scope(self) -> str:
        return f"{self.base}/.default"

    def app_id(self, name: str = APP) -> str:
        return (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
            f"/providers/Microsoft.App/containerApps/{name}"
        )

    def sent(self, method: str, fragment: str) -> list[Any]:
        return [r for r in self.fake.requests if r.method == method and fragment in r.path]


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
    fake.entra.arm_audience = base  # the token scope <ARM>/.default
    fake.entra.add_app(CLIENT, TENANT, secret=SECRET)
    issuer = FakeOidcIssuer()
    fake.entra.trust_github(CLIENT, issuer.repository)
    assert server.url.ca_bundle is not None
    with server:
        yield Peer(base, str(server.url.ca_bundle), fake, issuer)
    assert fake.errors == [], fake.errors[0]


# --- Microsoft's clients ------------------------------------------------------------------


def secret_credential(
    peer: Peer, *, tenant: str = TENANT, secret: str = SECRET
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


# --- our own client ------------------------------------------------------------------------


@dataclass
class Ours:
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


@contextmanager
def tls_client(peer: Peer) -> Iterator[httpx.Client]:
    """Our client as a run builds it, trusting the fake's CA."""
    verify = ssl.create_default_context(cafile=peer.ca_bundle)
    with httpx.HTTPTransport(verify=verify) as transport, client(transport) as http:
        yield http


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


def our_group(ours: Ours) -> None:
    ours.arm.create_resource_group(GROUP, "eastus", {"managed-by": "pmcp"})


# --- azure-identity --------------------------------------------------------------------


def test_client_secret_credential_gets_an_arm_token(peer: Peer) -> None:
    token = secret_credential(peer).get_token(peer.scope)
    assert peer.fake.entra.issued.get(token.token) == CLIENT
    assert token.expires_on > time.time() + 3000
    # MSAL reads the tenant's OpenID configuration, then posts the client-credentials form.
    discovery, post = peer.fake.requests
    assert (discovery.method, discovery.path) == (
        "GET",
        f"/{TENANT}/v2.0/.well-known/openid-configuration",
    )
    assert (post.method, post.path) == ("POST", f"/{TENANT}/oauth2/v2.0/token")
    form = {k: v[0] for k, v in parse_qs(post.body.decode()).items()}
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == peer.scope
    assert form["client_id"] == CLIENT and form["client_secret"] == SECRET


def test_a_wrong_secret_is_aadsts7000215_through_the_credential(peer: Peer) -> None:
    with pytest.raises(ClientAuthenticationError) as caught:
        secret_credential(peer, secret="not-the-secret").get_token(peer.scope)
    assert "AADSTS7000215" in str(caught.value)
    assert peer.fake.entra.issued == {}


def test_an_unknown_tenant_fails_at_discovery_before_any_secret_is_sent(peer: Peer) -> None:
    other = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientAuthenticationError) as caught:
        secret_credential(peer, tenant=other).get_token(peer.scope)
    assert other in str(caught.value)
    assert [(r.method, r.path) for r in peer.fake.requests] == [
        ("GET", f"/{other}/v2.0/.well-known/openid-configuration")
    ]


def test_client_assertion_credential_exchanges_the_ci_token(peer: Peer) -> None:
    token = assertion_credential(peer, peer.issuer).get_token(peer.scope)
    assert peer.fake.entra.issued.get(token.token) == CLIENT
    assert peer.issuer.audiences == [EXCHANGE]
    post = peer.sent("POST", "/oauth2/v2.0/token")[-1]
    form = {k: v[0] for k, v in parse_qs(post.body.decode()).items()}
    assert form["client_assertion_type"] == JWT_BEARER
    assert form["client_assertion"] == peer.issuer.issued[-1].token
    assert "client_secret" not in form


def test_an_unmatched_federated_credential_is_aadsts70021_through_the_credential(
    peer: Peer,
) -> None:
    feature = FakeOidcIssuer(ref="refs/heads/feature")  # the table trusts refs/heads/main
    with pytest.raises(ClientAuthenticationError) as caught:
        assertion_credential(peer, feature).get_token(peer.scope)
    text = str(caught.value)
    assert "AADSTS70021" in text
    assert "repo:octo-org/octo-repo:ref:refs/heads/feature" in text
    assert peer.fake.entra.issued == {}


def test_an_expired_ci_token_is_aadsts700024_through_the_credential(peer: Peer) -> None:
    stale = FakeOidcIssuer(clock=lambda: time.time() - 3600)
    with pytest.raises(ClientAuthenticationError) as caught:
        assertion_credential(peer, stale).get_token(peer.scope)
    assert "AADSTS700024" in str(caught.value)


def _token_form(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


@pytest.mark.parametrize("mode", ["oidc", "client-secret"])
def test_our_sign_in_posts_the_form_msal_posts(peer: Peer, tmp_path: Path, mode: str) -> None:
    secret = {"azure-client-secret": SECRET} if mode == "client-secret" else {}
    context, config, problems = resolved(
        tmp_path,
        secret,
        environ={"PMCP_AZURE_LOGIN_URL": peer.base, "PMCP_AZURE_ARM_URL": peer.base},
        id_token=peer.issuer.issue,
    )
    assert problems == []
    with tls_client(peer) as http:
        session = sign_in(context, config, http)
    assert session.mode == mode and session.access_token in peer.fake.entra.issued
    credential = (
        secret_credential(peer)
        if mode == "client-secret"
        else assertion_credential(peer, peer.issuer)
    )
    credential.get_token(config.scope)
    ours_post, msal_post = peer.sent("POST", "/oauth2/v2.0/token")
    assert ours_post.path == msal_post.path == f"/{TENANT}/oauth2/v2.0/token"
    for post in (ours_post, msal_post):
        assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    ours_form, msal_form = _token_form(ours_post), _token_form(msal_post)
    # The same fields; MSAL's secret flow adds client_info=1 (its account-info ask).
    assert set(msal_form) - {"client_info"} == set(ours_form)
    assertions = {"client_assertion"}  # a fresh CI token each time
    assert {k: v for k, v in ours_form.items() if k not in assertions} == {
        k: v for k, v in msal_form.items() if k not in assertions | {"client_info"}
    }


# --- azure-mgmt-appcontainers ------------------------------------------------------------


def test_the_sdk_creates_an_environment_and_an_app_through_async_operations(
    peer: Peer, ours: Ours
) -> None:
    our_group(ours)  # resource groups have no SDK installed here
    client = sdk(peer, assertion_credential(peer, peer.issuer))
    environment = sdk_environment(client)
    assert environment.provisioning_state == "Succeeded"
    assert environment.default_domain and environment.default_domain.endswith(
        ".eastus.azurecontainerapps.io"
    )
    # PUT (201 + Azure-AsyncOperation), the operation until Succeeded, then the resource.
    flow = [
        (r.method, "operation" if r.path.startswith("/__ops__/async/") else r.path)
        for r in peer.fake.requests
        if "/managedEnvironments/" in r.path or r.path.startswith("/__ops__/")
    ]
    assert flow[0] == ("PUT", environment.id) and flow[-1] == ("GET", environment.id)
    assert set(flow[1:-1]) == {("GET", "operation")}
    put = peer.sent("PUT", "/managedEnvironments/")[0]
    assert put.params["api-version"] == "2026-07-01"  # the SDK's pin, which the fake accepts

    traffic = [m.TrafficWeight(latest_revision=True, weight=100)]
    app = client.container_apps.begin_create_or_update(
        GROUP, APP, sdk_app(environment, "v1", IMAGE_1, traffic)
    ).result()
    assert app.provisioning_state == "Succeeded"
    assert app.latest_revision_name == app.latest_ready_revision_name == "calc--v1"
    assert app.configuration and app.configuration.ingress
    assert app.configuration.ingress.fqdn == f"calc.{environment.default_domain}"
    body = peer.sent("PUT", "/containerApps/")[0].json()
    ingress = body["properties"]["configuration"]["ingress"]
    assert ingress["targetPort"] == 8080 and ingress["corsPolicy"]["allowedOrigins"] == ["*"]
    assert body["properties"]["template"]["containers"][0]["resources"] == {
        "cpu": 0.5,
        "memory": "1Gi",
    }

    got = client.container_apps.get(GROUP, APP)
    assert got.configuration and got.configuration.active_revisions_mode == "Multiple"
    assert got.template and got.template.scale and got.template.scale.min_replicas == 1
    assert got.as_dict() == app.as_dict()


def test_revisions_and_traffic_through_the_sdk(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    client = sdk(peer)
    environment = sdk_environment(client)
    client.container_apps.begin_create_or_update(
        GROUP,
        APP,
        sdk_app(environment, "v1", IMAGE_1, [m.TrafficWeight(latest_revision=True, weight=100)]),
    ).result()
    # A second revision at 0 %: v1 keeps the traffic (Multiple mode pins it by name).
    pinned = [
        m.TrafficWeight(revision_name="calc--v1", weight=100),
        m.TrafficWeight(revision_name="calc--v2", weight=0),
    ]
    client.container_apps.begin_create_or_update(
        GROUP, APP, sdk_app(environment, "v2", IMAGE_2, pinned)
    ).result()
    revisions = list(client.container_apps_revisions.list_revisions(GROUP, APP))
    assert [r.name for r in revisions] == ["calc--v1", "calc--v2"]
    v2 = client.container_apps_revisions.get_revision(GROUP, APP, "calc--v2")
    assert (v2.traffic_weight, v2.active, v2.provisioning_state) == (0, True, "Provisioned")
    assert v2.template and v2.template.containers and v2.template.containers[0].image == IMAGE_2
    assert v2.created_time is not None and v2.created_time.tzinfo is not None

    client.container_apps_revisions.deactivate_revision(GROUP, APP, "calc--v2")
    assert client.container_apps_revisions.get_revision(GROUP, APP, "calc--v2").active is False
    client.container_apps_revisions.activate_revision(GROUP, APP, "calc--v2")
    assert client.container_apps_revisions.get_revision(GROUP, APP, "calc--v2").active is True
    moved = client.container_apps.begin_update(
        GROUP,
        APP,
        m.ContainerApp(
            location="eastus",
            properties=m.ContainerAppProperties(
                configuration=m.Configuration(
                    ingress=m.Ingress(
                        traffic=[m.TrafficWeight(revision_name="calc--v2", weight=100)]
                    )
                )
            ),
        ),
    ).result()
    assert moved.configuration and moved.configuration.ingress
    traffic = moved.configuration.ingress.traffic or []
    assert [(t.revision_name, t.weight) for t in traffic] == [("calc--v2", 100)]
    # A configuration change (PATCH, 202 + Location): no new revision; the merge kept the rest.
    assert moved.configuration.ingress.target_port == 8080
    assert moved.configuration.active_revisions_mode == "Multiple"
    weights = {
        r.name: r.traffic_weight for r in client.container_apps_revisions.list_revisions(GROUP, APP)
    }
    assert weights == {"calc--v1": 0, "calc--v2": 100}
    patch = peer.sent("PATCH", "/containerApps/")[0]
    assert patch.params["api-version"] == "2026-07-01"

    client.container_apps.begin_delete(GROUP, APP).result()
    with pytest.raises(ResourceNotFoundError) as caught:
        client.container_apps.get(GROUP, APP)
    assert caught.value.error is not None and caught.value.error.code == "ContainerAppNotFound"


def test_an_api_version_arm_does_not_know_is_refused_in_arms_shape(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    with pytest.raises(HttpResponseError) as caught:
        sdk(peer, api_version="2022-03-01").container_apps.get(GROUP, APP)
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "NoRegisteredProviderFound"
    assert "2026-07-01" in str(caught.value.error.message)
    # The version our own client pins is one ARM knows.
    with pytest.raises(ResourceNotFoundError):
        sdk(peer, api_version="2024-03-01").container_apps.get(GROUP, APP)


class StaticToken:
    """A credential that presents one fixed bearer token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


def test_arms_refusals_reach_the_sdk_as_arm_states_them(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    with pytest.raises(ClientAuthenticationError) as unauthenticated:
        sdk(peer, StaticToken("eyJ.not-issued")).container_apps.get(GROUP, APP)
    assert unauthenticated.value.status_code == 401
    assert unauthenticated.value.error is not None
    assert unauthenticated.value.error.code == "InvalidAuthenticationToken"

    client = sdk(peer)
    environment = sdk_environment(client)
    peer.fake.arm.forbidden.append(peer.app_id().lower())
    app = sdk_app(environment, "v1", IMAGE_1, [m.TrafficWeight(latest_revision=True, weight=100)])
    with pytest.raises(HttpResponseError) as forbidden:
        client.container_apps.begin_create_or_update(GROUP, APP, app)
    assert forbidden.value.status_code == 403
    assert forbidden.value.error is not None
    assert forbidden.value.error.code == "AuthorizationFailed"
    assert CLIENT in str(forbidden.value.error.message)


# --- faults through the SDK ----------------------------------------------------------------


def test_a_429_is_retried_after_its_retry_after(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    transport = SleeplessTransport(peer.ca_bundle)
    client = sdk(peer, transport=transport)
    environment = sdk_environment(client)
    path = str(environment.id)
    peer.fake.faults.status(429, retry_after=7, method="GET", path=path)
    assert client.managed_environments.get(GROUP, ENV).id == path
    assert [r.fault for r in peer.sent("GET", path)[-2:]] == ["status 429", None]
    assert 7.0 in transport.slept  # azure-core waited what ARM asked, not its own backoff


def test_a_503_is_retried_and_a_500_surfaces_arms_error(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    client = sdk(peer, transport=SleeplessTransport(peer.ca_bundle))
    environment = sdk_environment(client)
    path = str(environment.id)
    peer.fake.faults.status(503, method="GET", path=path)
    assert client.managed_environments.get(GROUP, ENV).name == ENV
    assert [r.fault for r in peer.sent("GET", path)[-2:]] == ["status 503", None]

    failure = {"error": {"code": "InternalServerError", "message": "Encountered internal error."}}
    peer.fake.faults.status(
        500,
        method="GET",
        path=path,
        body=json.dumps(failure),
        content_type="application/json; charset=utf-8",
    )
    with pytest.raises(HttpResponseError) as caught:  # retries off: the 500 itself
        client.managed_environments.get(GROUP, ENV, retry_total=0)
    assert caught.value.status_code == 500
    assert caught.value.error is not None and caught.value.error.code == "InternalServerError"


def test_a_failed_operation_fails_the_sdk_poller_and_our_client(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    client = sdk(peer)
    environment = sdk_environment(client)
    error = {"code": "ContainerAppImagePullFailed", "message": "manifest unknown"}
    peer.fake.arm.failing_operations[peer.app_id().lower()] = dict(error)
    traffic = [m.TrafficWeight(latest_revision=True, weight=100)]
    with pytest.raises(HttpResponseError) as caught:
        client.container_apps.begin_create_or_update(
            GROUP, APP, sdk_app(environment, "v1", IMAGE_1, traffic)
        ).result()
    assert caught.value.error is not None and caught.value.error.code == error["code"]
    assert client.container_apps.get(GROUP, APP).provisioning_state == "Failed"

    # The same failure as our client sees it: Azure-AsyncOperation for a PUT...
    peer.fake.arm.failing_operations[peer.app_id().lower()] = dict(error)
    body = app_body(ours.config, str(environment.id), IMAGE_2, LATEST)
    with pytest.raises(DeployError, match="ended Failed: ContainerAppImagePullFailed"):
        ours.arm.put(ours.app_path, body, "creating the app")
    # ... and Location for a PATCH.
    peer.fake.arm.failing_operations[peer.app_id().lower()] = dict(error)
    with pytest.raises(ArmError) as ours_caught:
        ours.move_traffic(f"{APP}--v1")
    assert ours_caught.value.code == error["code"]


def test_a_write_while_an_operation_runs_is_a_409(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    environment = sdk_environment(sdk(peer))
    gate = threading.Event()
    client = sdk(peer, transport=SleeplessTransport(peer.ca_bundle, gate))
    traffic = [m.TrafficWeight(latest_revision=True, weight=100)]
    app = sdk_app(environment, "v1", IMAGE_1, traffic)
    # The SDK's poller polls once (InProgress), then waits at the gate: the operation runs.
    running = client.container_apps.begin_create_or_update(GROUP, APP, app)
    second = sdk_app(environment, "v2", IMAGE_2, traffic)
    with pytest.raises(ResourceExistsError) as caught:
        client.container_apps.begin_create_or_update(GROUP, APP, second)
    assert caught.value.status_code == 409
    assert caught.value.error is not None
    assert caught.value.error.code == "ContainerAppOperationInProgress"

    # Our client waits on that code; meanwhile the SDK's poller sees the operation through.
    def let_it_finish(_seconds: float) -> None:
        gate.set()
        assert running.result().provisioning_state == "Succeeded"

    ours.arm.sleep = let_it_finish
    suffix = revision_suffix(ours.config, IMAGE_2)
    body = app_body(ours.config, str(environment.id), IMAGE_2, LATEST)
    moved = ours.arm.put(ours.app_path, body, "updating the app")
    assert ours.notes[0] == "updating the app: another operation is running on it; waiting"
    our_puts = [
        r
        for r in peer.sent("PUT", "/containerApps/")
        if r.headers["user-agent"].startswith("pmcp-deploy-action")
    ]
    assert len(our_puts) == 2  # refused with 409, then written
    assert moved["properties"]["latestRevisionName"] == f"{APP}--{suffix}"
    assert [r.name for r in client.container_apps_revisions.list_revisions(GROUP, APP)] == [
        "calc--v1",
        f"calc--{suffix}",
    ]


# --- our client and the SDK on the same state ---------------------------------------------


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


def contained(wanted: Any, found: Any) -> bool:
    """Every field of ``wanted`` is in ``found`` with the same value (``found`` may add more)."""
    if isinstance(wanted, Mapping):
        return isinstance(found, Mapping) and all(
            k in found and contained(v, found[k]) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(found, list)
            and len(wanted) == len(found)
            and all(contained(w, f) for w, f in zip(wanted, found, strict=True))
        )
    return bool(wanted == found)


def test_every_field_our_client_writes_is_one_the_sdk_sends(ours: Ours) -> None:
    environment_id = ours.arm.app_resource(GROUP, "managedEnvironments", ENV)
    body = app_body(ours.config, environment_id, IMAGE_1, LATEST)
    assert sdk_refusals(m.ContainerApp(body), body) == []
    environment = {"location": "eastus", "tags": {"managed-by": "pmcp"}, "properties": {}}
    assert sdk_refusals(m.ManagedEnvironment(environment), environment) == []
    traffic = {"properties": {"configuration": {"ingress": {"traffic": [{"weight": 100}]}}}}
    assert sdk_refusals(m.ContainerApp(traffic), traffic) == []
    # The walk does catch a misspelt or read-only field.
    wrong = json.loads(json.dumps(body))
    wrong["properties"]["configuration"]["ingress"]["targetport"] = 8080
    wrong["properties"]["latestRevisionName"] = "calc--x"
    assert sdk_refusals(m.ContainerApp(wrong), wrong) == [
        "properties.configuration.ingress.targetport: unknown",
        "properties.latestRevisionName: read-only",
    ]


def test_what_our_client_deploys_the_sdk_reads_back(peer: Peer, ours: Ours) -> None:
    environment_id = ours.prepare()  # group and environment, by our client
    body = app_body(ours.config, environment_id, IMAGE_1, LATEST)
    written = ours.arm.put(ours.app_path, body, "creating the app")
    revision = f"{APP}--{revision_suffix(ours.config, IMAGE_1)}"
    ours.wait_revision(revision)

    client = sdk(peer, assertion_credential(peer, peer.issuer))
    environment = client.managed_environments.get(GROUP, ENV)
    assert (environment.id, environment.provisioning_state) == (environment_id, "Succeeded")
    app = client.container_apps.get(GROUP, APP)
    assert contained(body, app.as_dict())  # every field we wrote, as the SDK reads it
    assert app.as_dict() == written  # and the same resource our client saw at the end
    assert app.managed_environment_id == environment_id
    assert app.provisioning_state == "Succeeded"
    assert app.latest_revision_name == app.latest_ready_revision_name == revision
    assert app.configuration and app.configuration.ingress and app.configuration.ingress.cors_policy
    assert app.configuration.ingress.cors_policy.allowed_methods == [
        "GET",
        "POST",
        "DELETE",
        "OPTIONS",
    ]
    assert app.template and app.template.containers
    resources = app.template.containers[0].resources
    assert resources and (resources.cpu, resources.memory) == (0.5, "1Gi")
    ours_live = read_app(ours.arm, ours.config)
    assert ours_live is not None
    sdk_revisions = list(client.container_apps_revisions.list_revisions(GROUP, APP))
    assert tuple(r.name for r in sdk_revisions) == ours_live.revisions == (revision,)
    assert (sdk_revisions[0].traffic_weight, sdk_revisions[0].active) == (100, True)
    assert ours_live.fqdn == app.configuration.ingress.fqdn


def test_what_the_sdk_deploys_our_client_reads_and_moves(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    client = sdk(peer)
    environment = sdk_environment(client)
    latest = [m.TrafficWeight(latest_revision=True, weight=100)]
    client.container_apps.begin_create_or_update(
        GROUP, APP, sdk_app(environment, "v1", IMAGE_1, latest)
    ).result()
    pinned = [m.TrafficWeight(revision_name="calc--v1", weight=100)]
    app = client.container_apps.begin_create_or_update(
        GROUP, APP, sdk_app(environment, "v2", IMAGE_2, pinned)
    ).result()

    live = read_app(ours.arm, ours.config)
    assert live is not None and live.managed
    assert (live.serving, live.latest, live.image) == ("calc--v1", "calc--v2", IMAGE_2)
    assert live.revisions == ("calc--v1", "calc--v2")
    assert app.configuration and app.configuration.ingress
    assert live.fqdn == app.configuration.ingress.fqdn
    assert ours.wait_revision("calc--v2")["properties"]["active"] is True

    ours.move_traffic("calc--v2")  # activate, then PATCH the weights
    moved = client.container_apps.get(GROUP, APP)
    assert moved.configuration and moved.configuration.ingress
    traffic = moved.configuration.ingress.traffic or []
    assert [(t.revision_name, t.weight) for t in traffic] == [("calc--v2", 100)]
    assert moved.latest_revision_name == "calc--v2"  # a configuration change: no new revision
    weights = {
        r.name: r.traffic_weight for r in client.container_apps_revisions.list_revisions(GROUP, APP)
    }
    assert weights == {"calc--v1": 0, "calc--v2": 100}
    assert moved.template and moved.template.containers
    assert moved.template.containers[0].env == [m.EnvironmentVar(name="RUST_LOG", value="info")]


def test_top_level_fields_the_sdk_may_send_are_accepted_and_kept(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    client = sdk(peer)
    environment = sdk_environment(client)
    app = sdk_app(environment, "v1", IMAGE_1, [m.TrafficWeight(latest_revision=True, weight=100)])
    app.kind = "workflowapp"
    app.managed_by = "/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites/z"
    created = client.container_apps.begin_create_or_update(GROUP, APP, app).result()
    got = client.container_apps.get(GROUP, APP)
    assert (created.kind, got.kind) == ("workflowapp", "workflowapp")
    assert got.managed_by == app.managed_by
    # A member ARM does not have is still refused, in ARM's shape.
    bogus = m.ContainerApp({**app.as_dict(), "revisionMode": "Single"})
    with pytest.raises(HttpResponseError) as caught:
        client.container_apps.begin_create_or_update(GROUP, APP, bogus)
    assert caught.value.status_code == 400
    assert caught.value.error is not None and caught.value.error.code == "InvalidRequestContent"


def test_a_body_that_is_not_json_is_refused_as_arm_refuses_it(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    environment = sdk_environment(sdk(peer))
    token = secret_credential(peer).get_token(peer.scope).token
    body = app_body(ours.config, str(environment.id), IMAGE_1, LATEST)
    with tls_client(peer) as http:
        refused = http.put(
            f"{peer.base}{peer.app_id()}",
            params={"api-version": "2026-07-01"},
            content=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"},
        )
    assert refused.status_code == 415
    assert refused.json()["error"]["code"] == "UnsupportedMediaType"
    assert peer.app_id().lower() not in peer.fake.arm.resources
    # Both clients label their bodies as JSON.
    ours.arm.put(ours.app_path, body, "creating the app")
    sdk(peer).container_apps.begin_update(
        GROUP, APP, m.ContainerApp(location="eastus", tags={"team": "calc"})
    ).result()
    writes = [
        r
        for r in peer.fake.requests
        if r.method in ("PUT", "PATCH") and r.headers.get("content-type") != "text/plain"
    ]
    agents = {r.headers["user-agent"].split("/")[0] for r in writes}
    assert agents == {"pmcp-deploy-action", "azsdk-python-mgmt-appcontainers"}
    assert {r.headers["content-type"] for r in writes} == {"application/json"}
    assert len(writes) == 4  # the group and our app; the SDK's environment and PATCH


def test_both_clients_follow_revision_pages(peer: Peer, ours: Ours) -> None:
    our_group(ours)
    client = sdk(peer)
    environment = sdk_environment(client)
    latest = [m.TrafficWeight(latest_revision=True, weight=100)]
    for n in range(1, 6):
        image = "ghcr.io/acme/calc@sha256:" + str(n) * 64
        app = sdk_app(environment, f"v{n}", image, latest)
        client.container_apps.begin_create_or_update(GROUP, APP, app).result()
    peer.fake.arm.page_size = 2
    names = [f"calc--v{n}" for n in range(1, 6)]
    assert [r.name for r in client.container_apps_revisions.list_revisions(GROUP, APP)] == names
    assert [r["name"] for r in ours.arm.revisions(GROUP, APP)] == names
    pages = peer.sent("GET", "/containerApps/calc/revisions")
    assert [r.params.get("$skiptoken") for r in pages] == [None, "2", "4"] * 2


def test_deletes_seen_from_both_clients(peer: Peer, ours: Ours) -> None:
    environment_id = ours.prepare()
    body = app_body(ours.config, environment_id, IMAGE_1, LATEST)
    ours.arm.put(ours.app_path, body, "creating the app")
    client = sdk(peer)
    assert client.container_apps.get(GROUP, APP).name == APP

    ours.arm.delete(ours.app_path, "deleting the app")  # 202 + Location
    with pytest.raises(ResourceNotFoundError):
        client.container_apps.get(GROUP, APP)
    with pytest.raises(ResourceNotFoundError):  # its revisions went with it
        list(client.container_apps_revisions.list_revisions(GROUP, APP))
    # Deleting what is gone: 204 at once, no operation to wait for, for either client.
    before = len(peer.fake.arm.operations)
    assert client.container_apps.begin_delete(GROUP, APP).result() is None
    ours.arm.delete(ours.app_path, "deleting the app again")
    assert len(peer.fake.arm.operations) == before
    assert len(peer.sent("DELETE", "/containerApps/")) == 3
