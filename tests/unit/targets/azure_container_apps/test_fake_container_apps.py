"""azure-mgmt-appcontainers against the ARM fake, over HTTPS on 127.0.0.1: managed
environments, container apps, revisions, traffic, long-running operations and faults. What
the SDK sends, the fake must accept as real ARM does."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)

# azure.core.pipeline.transport re-exports it lazily (untyped for mypy); its module is typed.
from azure.mgmt.appcontainers import models as m

from .helpers import (
    APP,
    CLIENT,
    ENV,
    GROUP,
    IMAGE_1,
    IMAGE_2,
    Ours,
    Peer,
    SleeplessTransport,
    assertion_credential,
    our_group,
    sdk,
    sdk_app,
    sdk_environment,
)


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
