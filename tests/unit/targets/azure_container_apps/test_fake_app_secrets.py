"""A container app's secrets in the ARM fake, driven by azure-mgmt-appcontainers (a test-only
peer) and our client over HTTPS on 127.0.0.1: names only on a GET, values through
listSecrets, a PUT writing the whole array and a PATCH without one keeping it, the
refusals ARM answers (a secret without a value, a bad name, a dangling secretRef, a secret
an active revision reads), the tag limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers import models as m

from pmcp_action.targets.azure_container_apps.app import Secrets, app_body, revision_suffix
from pmcp_action.targets.azure_container_apps.failures import ArmError
from pmcp_action.targets.azure_container_apps.survey import read_app

from .helpers import (
    APP,
    GROUP,
    IMAGE_1,
    IMAGE_2,
    Ours,
    Peer,
    our_group,
    sdk,
    sdk_app,
    sdk_environment,
    sdk_refusals,
)
from .test_peers import LATEST

API_KEY = "sk-live-4f1d9c2b7a8e6d3f"
DB_URL = "postgres://calc:Hunter2-x9@db.internal/calc"


def _secret_app(
    environment: m.ManagedEnvironment,
    suffix: str,
    image: str,
    secrets: list[m.Secret] | None,
    env: list[m.EnvironmentVar],
) -> m.ContainerApp:
    app = sdk_app(environment, suffix, image, [m.TrafficWeight(latest_revision=True, weight=100)])
    assert app.configuration and app.template and app.template.containers
    app.configuration.secrets = secrets
    app.configuration.active_revisions_mode = "Multiple"
    app.template.containers[0].env = env
    return app


def _code(caught: pytest.ExceptionInfo[HttpResponseError]) -> str:
    assert caught.value.error is not None
    return str(caught.value.error.code)


@pytest.fixture
def client(peer: Peer, ours: Ours) -> ContainerAppsAPIClient:
    our_group(ours)
    return sdk(peer)


def test_a_get_shows_names_and_list_secrets_the_values(
    peer: Peer, ours: Ours, client: ContainerAppsAPIClient
) -> None:
    environment = sdk_environment(client)
    app = _secret_app(
        environment,
        "v1",
        IMAGE_1,
        [m.Secret(name="api-key", value=API_KEY), m.Secret(name="db-url", value=DB_URL)],
        [
            m.EnvironmentVar(name="API_KEY", secret_ref="api-key"),
            m.EnvironmentVar(name="GREETING", value="hi"),
        ],
    )
    written = client.container_apps.begin_create_or_update(GROUP, APP, app).result()
    read = client.container_apps.get(GROUP, APP)
    for seen in (written, read):
        assert seen.configuration and seen.configuration.secrets
        assert [(s.name, s.value) for s in seen.configuration.secrets] == [
            ("api-key", None),
            ("db-url", None),
        ]
    raw = ours.arm.get(ours.app_path, "2024-03-01", "reading the app")
    assert API_KEY not in json.dumps(raw) and DB_URL not in json.dumps(raw)
    listed = client.container_apps.list_secrets(GROUP, APP)
    assert {s.name: s.value for s in listed.value} == {"api-key": API_KEY, "db-url": DB_URL}
    # The revision started with the value: a replica reads its secrets when it starts.
    started = peer.fake.arm.secrets.started_env(f"{peer.app_id()}/revisions/calc--v1")
    assert started == {"API_KEY": API_KEY, "GREETING": "hi"}

    live = read_app(ours.arm, ours.config)
    assert live is not None and live.secret_names == {"api-key", "db-url"}
    assert live.reading == {"calc--v1": frozenset({"api-key"})}
    answer = ours.arm.post(f"{ours.app_path}/listSecrets", "2024-03-01", "listing")
    assert {s["name"] for s in answer["value"]} == {"api-key", "db-url"}


def test_a_patch_without_secrets_keeps_them_a_put_without_them_drops_them(
    peer: Peer, client: ContainerAppsAPIClient
) -> None:
    environment = sdk_environment(client)
    secrets = [m.Secret(name="api-key", value=API_KEY)]
    uses = [m.EnvironmentVar(name="API_KEY", secret_ref="api-key")]
    app = _secret_app(environment, "v1", IMAGE_1, secrets, uses)
    client.container_apps.begin_create_or_update(GROUP, APP, app).result()
    client.container_apps.begin_update(
        GROUP, APP, m.ContainerApp(location="eastus", tags={"managed-by": "pmcp", "team": "a"})
    ).result()
    listed = client.container_apps.list_secrets(GROUP, APP)
    assert [(s.name, s.value) for s in listed.value] == [("api-key", API_KEY)]

    # What a GET gave, PUT back: its secrets have no values, and ARM refuses them.
    again = client.container_apps.get(GROUP, APP)
    with pytest.raises(HttpResponseError) as caught:
        client.container_apps.begin_create_or_update(GROUP, APP, again).result()
    assert _code(caught) == "ContainerAppSecretInvalid"
    assert "value or keyVaultUrl and identity should be provided" in str(caught.value)

    # A PUT without the array while the container still reads the secret: a dangling ref.
    bare = _secret_app(environment, "v2", IMAGE_2, None, uses)
    with pytest.raises(HttpResponseError) as caught:
        client.container_apps.begin_create_or_update(GROUP, APP, bare).result()
    assert _code(caught) == "ContainerAppSecretRefNotFound"
    assert "SecretRef 'api-key' defined for container 'calc' not found" in str(caught.value)

    # In Multiple mode the secret calc--v1 reads cannot go while calc--v1 is active...
    plain = _secret_app(environment, "v2", IMAGE_2, None, [])
    with pytest.raises(HttpResponseError) as caught:
        client.container_apps.begin_create_or_update(GROUP, APP, plain).result()
    assert _code(caught) == "ContainerAppSecretInvalid" and "calc--v1" in str(caught.value)
    # ... and goes once it is not.
    client.container_apps.begin_create_or_update(
        GROUP, APP, _secret_app(environment, "v2", IMAGE_2, secrets, [])
    ).result()
    client.container_apps_revisions.deactivate_revision(GROUP, APP, "calc--v1")
    client.container_apps.begin_create_or_update(GROUP, APP, plain).result()
    assert client.container_apps.list_secrets(GROUP, APP).value == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("API_KEY", "ContainerAppInvalidSecretName"),
        ("-api", "ContainerAppInvalidSecretName"),
        ("api-", "ContainerAppInvalidSecretName"),
        ("a" * 254, "ContainerAppInvalidSecretName"),
    ],
)
def test_a_secret_name_arm_refuses(client: ContainerAppsAPIClient, name: str, code: str) -> None:
    environment = sdk_environment(client)
    app = _secret_app(environment, "v1", IMAGE_1, [m.Secret(name=name, value=API_KEY)], [])
    with pytest.raises(HttpResponseError) as caught:
        client.container_apps.begin_create_or_update(GROUP, APP, app).result()
    assert _code(caught) == code
    ok = _secret_app(environment, "v1", IMAGE_1, [m.Secret(name="a" * 253, value=API_KEY)], [])
    client.container_apps.begin_create_or_update(GROUP, APP, ok).result()


def test_a_duplicate_or_an_unknown_member_is_refused(peer: Peer, ours: Ours) -> None:
    environment_id = ours.prepare()
    body: dict[str, Any] = app_body(ours.config, environment_id, IMAGE_1, LATEST)
    for secrets in (
        [{"name": "a-b", "value": "x" * 8}, {"name": "a-b", "value": "y" * 8}],
        [{"name": "a-b", "value": "x" * 8, "secretValue": "y"}],
    ):
        body["properties"]["configuration"]["secrets"] = secrets
        with pytest.raises(ArmError) as caught:
            ours.arm.put(ours.app_path, body, "writing the app")
        assert caught.value.status == 400
    assert peer.app_id().lower() not in peer.fake.arm.resources


def test_tags_over_arm_limits_are_refused(ours: Ours) -> None:
    environment_id = ours.prepare()
    body = app_body(ours.config, environment_id, IMAGE_1, LATEST)
    for tags in ({f"t{n}": "v" for n in range(51)}, {"t": "v" * 257}, {"t" * 513: "v"}):
        body["tags"] = tags
        with pytest.raises(ArmError) as caught:
            ours.arm.put(ours.app_path, body, "writing the app")
        assert caught.value.code.startswith("InvalidTag")
    body["tags"] = {f"t{n}": "v" * 256 for n in range(50)}
    ours.arm.put(ours.app_path, body, "writing the app")


def test_our_body_with_secrets_is_what_the_sdk_sends_and_reads(
    peer: Peer, ours: Ours, client: ContainerAppsAPIClient
) -> None:
    environment_id = ours.prepare()
    secrets = Secrets(
        entries=({"name": "api-key", "value": API_KEY},),
        reads=(("API_KEY", "api-key"),),
        tags={"pmcp-secret-API_KEY": "s1:" + "0" * 64},
        fingerprints={"API_KEY": "s1:" + "0" * 64},
    )
    body = app_body(ours.config, environment_id, IMAGE_1, LATEST, secrets=secrets)
    assert sdk_refusals(m.ContainerApp(body), body) == []
    assert revision_suffix(ours.config, IMAGE_1, secrets.fingerprints) != revision_suffix(
        ours.config, IMAGE_1
    )
    ours.arm.put(ours.app_path, body, "creating the app")
    app = client.container_apps.get(GROUP, APP)
    assert app.tags == {"managed-by": "pmcp", "pmcp-secret-API_KEY": "s1:" + "0" * 64}
    assert app.template and app.template.containers
    assert app.template.containers[0].env == [
        m.EnvironmentVar(name="API_KEY", secret_ref="api-key")
    ]
    assert [s.value for s in client.container_apps.list_secrets(GROUP, APP).value] == [API_KEY]
    sent = [r for r in peer.fake.requests if r.method == "PUT" and "/containerApps/" in r.path]
    assert (
        json.loads(sent[-1].body)["properties"]["configuration"]["secrets"][0]["value"] == API_KEY
    )
