"""Our ARM client and azure-mgmt-appcontainers on the same fake state, over HTTPS on
127.0.0.1: what our client writes, the SDK reads back, and the other way round; both see
failed operations, a running operation, pages and deletes alike."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

import pytest
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)

# azure.core.pipeline.transport re-exports it lazily (untyped for mypy); its module is typed.
from azure.mgmt.appcontainers import models as m

from pmcp_action.errors import DeployError
from pmcp_action.targets.azure_container_apps.app import app_body, revision_suffix
from pmcp_action.targets.azure_container_apps.failures import ArmError
from pmcp_action.targets.azure_container_apps.survey import read_app

from .helpers import (
    APP,
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
    sdk_refusals,
    secret_credential,
    tls_client,
)

#: Our client's traffic: the latest revision at 100 %.
LATEST: list[dict[str, object]] = [{"latestRevision": True, "weight": 100}]


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
