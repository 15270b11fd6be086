"""Image sources, the registry and pull access, against the ARM + ACR fakes (MockTransport).

Hosts: 7001 Entra ID, 7002 ARM, ``*.azurecr.io`` the fake ACR login servers (an in-memory
registry each), 127.0.0.1:5000 a public registry holding the base image, ghcr.io a public
registry holding prebuilt images.
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.deadline import Deadline
from pmcp_action.errors import DeployError
from pmcp_action.result import TargetResult
from pmcp_action.targets.azure_container_apps.pull_access import ACR_PULL_ROLE
from pmcp_action.targets.azure_container_apps.target import AzureContainerAppsTarget
from tests.fakes.azure_container_apps import FakeArm, FakeEntra
from tests.fakes.oci_registry import FakeOciRegistry
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.unit.artifact.oci_image.helpers import HOST_BINARY, seed_base

from .helpers import CLIENT, SUBSCRIPTION, TENANT, resolved

LOGIN = "http://127.0.0.1:7001"
ARM = "http://127.0.0.1:7002"
SHA = "0123456789abcdef0123456789abcdef01234567"
BASE = "127.0.0.1:5000/base/debian:bookworm"


@dataclass
class World:
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
        given = {"image": "", "base-image": BASE, **inputs}
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


@pytest.fixture
def world(tmp_path: Path) -> World:
    entra = FakeEntra(arm_audience=ARM)
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
    return World(entra, arm, issuer, public, ghcr, io.StringIO(), root)


def _outputs(result: TargetResult) -> dict[str, str]:
    return dict(result.outputs)


def test_the_binary_is_assembled_and_pushed_to_a_registry_made_for_it(world: World) -> None:
    world.arm.cold()
    result = world.target().deploy()

    # The providers registered, the registry created Basic and tagged, its name derived.
    assert world.arm.providers["Microsoft.ContainerRegistry"] == "Registered"
    registry = world.registry()
    assert registry["sku"]["name"] == "Basic" and registry["tags"] == {"managed-by": "pmcp"}
    assert registry["name"].startswith("calc") and registry["name"].isalnum()
    assert "derived from the subscription, group and server name" in world.log.getvalue()
    server = registry["properties"]["loginServer"]

    # Pushed with the refresh token /oauth2/exchange gave for the Entra ID ARM token.
    [exchange] = world.arm.acr.exchanges
    assert exchange == {"grant_type": "access_token", "service": server, "tenant": TENANT}
    outputs = _outputs(result)
    assert outputs["image"].startswith(f"{server}/calc@sha256:")
    backend = world.arm.acr.backends[server]
    assert backend.tags["calc"][SHA] == outputs["image"].split("@")[1]
    assert outputs["image-source"] == "assembled"

    # The app pulls with its identity, which holds AcrPull on the registry.
    assert outputs["registry-access"] == "managed-identity"
    app = world.app()
    principal = app["identity"]["principalId"]
    assert app["identity"]["type"] == "SystemAssigned"
    assert app["properties"]["configuration"]["registries"] == [
        {"server": server, "identity": "system"}
    ]
    [assignment] = world.arm.acr.assignments.values()
    assert assignment["properties"]["principalId"] == principal
    assert assignment["properties"]["roleDefinitionId"].endswith(ACR_PULL_ROLE)
    assert assignment["properties"]["scope"] == registry["id"]
    assert result.version.startswith("calc--p") and result.candidate_url == ""
    assert app["properties"]["template"]["containers"][0]["image"] == outputs["image"]
    assert any("assembled onto the base image" in note for note in result.notes)
    assert any("system-assigned identity" in note for note in result.notes)
    # The bootstrap revision the identity was made with is not a version to roll back to.
    revisions = world.arm.revisions[app["id"].lower()]
    assert revisions["calc--bootstrap"]["properties"]["active"] is False  # retired
    shown = world.target().outputs()
    assert shown.previous_version == "" and shown.version == result.version


def test_the_same_binary_again_is_unchanged_and_writes_nothing(world: World) -> None:
    first = world.target().deploy()
    mutations = len(world.arm.mutations)
    again = world.target().deploy()
    assert again.unchanged is True and again.version == first.version
    assert world.arm.mutations[mutations:] == []
    assert again.outputs["image"] == first.outputs["image"]
    assert "nothing uploaded" in world.log.getvalue()
    # A new binary: a new revision at 0 %, the first one still serving.
    binary = world.root / "target" / "release" / "calc"
    binary.write_bytes(binary.read_bytes() + b"\0")
    staged = world.target().stage()
    assert staged.previous_version == first.version and staged.candidate_url
    assert staged.outputs["image"] != first.outputs["image"]
    assert len(world.arm.acr.assignments) == 1  # found, not assigned again


def test_without_role_assignment_rights_the_admin_credentials_are_used(world: World) -> None:
    world.arm.acr.refuse_role_assignments = True
    target = world.target()
    result = target.deploy()
    outputs = _outputs(result)
    assert outputs["registry-access"] == "admin-credentials"
    registry = world.registry()
    assert registry["properties"]["adminUserEnabled"] is True
    app = world.app()
    configuration = app["properties"]["configuration"]
    assert configuration["registries"] == [
        {
            "server": registry["properties"]["loginServer"],
            "username": registry["name"],
            "passwordSecretRef": "acr-admin-password",
        }
    ]
    assert configuration["secrets"] == [{"name": "acr-admin-password"}]  # names only
    assert "ACR admin credentials" in world.log.getvalue()
    assert any("admin credentials" in note for note in result.notes)
    revision = world.arm.revisions[app["id"].lower()][result.version]
    assert revision["properties"]["runningState"] == "Running"
    # The password is masked when read and is in nothing shown or written.
    passwords = world.arm.acr.passwords[registry["id"].lower()]
    target.console.info(f"echo {passwords[0]}")  # masked: the console redacts it
    assert "echo " in world.log.getvalue() and passwords[0] not in world.log.getvalue()
    shown = world.printed() + repr(result) + json.dumps(world.arm.resources)
    for password in passwords:
        assert password not in shown


def test_a_new_identity_not_yet_replicated_is_granted_on_a_later_try(world: World) -> None:
    world.arm.acr.principal_lag = 2
    result = world.target().deploy()
    assert result.outputs["registry-access"] == "managed-identity"
    assert "not replicated yet" in world.log.getvalue()


def test_a_prebuilt_tag_is_pinned_to_its_digest_and_needs_no_registry(world: World) -> None:
    digest = world.ghcr.add_manifest(
        "acme/calc", "1.2.0", b'{"schemaVersion": 2}', "application/vnd.oci.image.manifest.v1+json"
    )
    result = world.target(image="ghcr.io/acme/calc:1.2.0").deploy()
    outputs = _outputs(result)
    assert outputs["image"] == f"ghcr.io/acme/calc@{digest}"
    assert outputs["image-source"] == "prebuilt" and outputs["registry-access"] == ""
    assert not any(r["type"].endswith("registries") for r in world.arm.resources.values())
    app = world.app()
    assert "registries" not in app["properties"]["configuration"]
    assert app["identity"] == {"type": "None"}
    assert any("the tag resolved to" in note for note in result.notes)


def test_a_prebuilt_tag_in_the_subscriptions_acr_uses_its_login(world: World) -> None:
    world.target().deploy()  # makes the registry and pushes calc:<sha>
    server = world.registry()["properties"]["loginServer"]
    first = world.app()["properties"]["template"]["containers"][0]["image"]
    exchanges = len(world.arm.acr.exchanges)
    result = world.target(image=f"{server}/calc:{SHA}").deploy()
    assert result.outputs["image"] == first and result.unchanged is True
    assert len(world.arm.acr.exchanges) == exchanges + 1


def test_an_image_that_cannot_be_pulled_fails_with_azures_reason(world: World) -> None:
    first = world.target().deploy()
    server = world.registry()["properties"]["loginServer"]
    missing = f"{server}/calc@sha256:" + "7" * 64
    with pytest.raises(DeployError) as error:
        world.target(image=missing).deploy()
    assert "failed to provision: Failed to pull image" in error.value.message
    assert "manifest unknown" in error.value.message
    assert "running Failed" in error.value.message and "registry access" in error.value.remediation
    assert world.app()["properties"]["configuration"]["ingress"]["traffic"] == [
        {"revisionName": first.version, "weight": 100}
    ]


def test_a_revision_that_does_not_run_shows_its_state(world: World) -> None:
    image = "ghcr.io/acme/calc@sha256:" + "3" * 64
    world.arm.revision_states[image] = {
        "runningState": "Failed",
        "healthState": "Unhealthy",
        "runningStateDetails": "Container crashed: exit code 101",
    }
    with pytest.raises(DeployError) as error:
        world.target(image=image).deploy()
    assert "failed to run: Container crashed: exit code 101" in error.value.message
    assert "health Unhealthy" in error.value.message

    stuck = "ghcr.io/acme/calc@sha256:" + "4" * 64
    world.arm.revision_states[stuck] = {"provisioningState": "Provisioning"}
    with pytest.raises(DeployError) as error:
        world.target(image=stuck).deploy()
    assert "did not become ready in time" in error.value.message
    assert "provisioning Provisioning" in error.value.message


def test_a_missing_binary_fails_before_any_cloud_call(world: World) -> None:
    shutil.rmtree(world.root / "target")
    with pytest.raises(DeployError, match="No image to deploy"):
        world.target().deploy()
    assert world.entra.issued == {} and world.arm.requests == []


def test_a_taken_registry_name_says_to_pick_another(world: World) -> None:
    world.arm.acr.taken.add("acmeregistry1")
    with pytest.raises(DeployError) as error:
        world.target(**{"azure-registry": "AcmeRegistry1"}).deploy()
    assert "The registry name AcmeRegistry1 is taken" in error.value.message
    assert "Set azure-registry to another name" in error.value.remediation


def test_plan_names_the_registry_and_the_image_source_and_writes_nothing(world: World) -> None:
    result = world.target().plan()
    assert world.arm.mutations == []
    changes = {c.resource: (c.action, c.detail) for c in result.changes}
    registry = next(name for name in changes if name.startswith("container registry calc"))
    assert changes[registry] == ("create", "SKU Basic") and "(derived name)" in registry
    assert changes["image"][0] == "update" and "laid onto" in changes["image"][1]
    assert changes["registry access"][0] == "update"
    world.target().deploy()
    again = {c.resource: c for c in world.target().plan().changes}
    assert (again["registry access"].action, again["registry access"].detail) == (
        "keep",
        "managed-identity",
    )


def test_a_dockerfile_is_built_by_acr_tasks_and_a_built_commit_is_reused(world: World) -> None:
    (world.root / "Dockerfile").write_text("FROM scratch\nCOPY target/release/calc /calc\n")
    result = world.target(**{"build-args": "GREETING=hi"}).deploy()
    [run] = world.arm.tasks.all_runs()
    registry = world.registry()
    login_server = registry["properties"]["loginServer"]
    assert run.registry_id.lower() == registry["id"].lower()
    assert run.request["imageNames"] == [f"calc:{SHA}"]
    assert run.request["dockerFilePath"] == "Dockerfile"
    assert run.request["arguments"] == [{"name": "GREETING", "value": "hi", "isSecret": False}]
    assert run.request["platform"] == {"os": "Linux", "architecture": "amd64"}
    # What ACR Tasks pushed is what the revision runs, by digest, and the revision pulled it.
    image = f"{login_server}/calc@{run.digest}"
    assert result.outputs["image"] == image
    assert world.app()["properties"]["template"]["containers"][0]["image"] == image
    assert result.outputs["image-source"] == "cloud-build"
    assert result.outputs["registry-access"] == "managed-identity"
    assert any("built by ACR Tasks" in note for note in result.notes)
    assert "Step 2/2 : COPY target/release/calc /calc" in world.log.getvalue()

    again = world.target(**{"build-args": "GREETING=hi"}).deploy()
    assert len(world.arm.tasks.all_runs()) == 1 and again.unchanged is True
    assert "not built again" in world.log.getvalue()


def test_an_app_deployed_from_a_public_image_gets_an_identity_for_acr(world: World) -> None:
    public = world.target(image="ghcr.io/acme/calc@sha256:" + "5" * 64).deploy()
    assert world.app()["identity"] == {"type": "None"}
    target = world.target()
    staged = target.stage()
    assert staged.previous_version == public.version and staged.candidate_url
    app = world.app()
    assert app["identity"]["type"] == "SystemAssigned"
    assert any(m.startswith("PATCH ") and "containerApps/calc" in m for m in world.arm.mutations)
    assert "bootstrap" not in json.dumps(world.arm.revisions)
    target.promote(staged)
    assert world.target().outputs().outputs["registry-access"] == "managed-identity"


def test_an_unmanaged_registry_is_not_switched_to_admin_credentials(world: World) -> None:
    world.target(**{"azure-registry": "TheirRegistry1"}).deploy()  # made (and tagged) by us
    registry = world.registry()
    registry["tags"] = {}  # now it is someone else's
    world.arm.acr.refuse_role_assignments = True
    binary = world.root / "target" / "release" / "calc"
    binary.write_bytes(binary.read_bytes() + b"\0")
    app_key = world.app()["id"].lower()  # a new app: a new identity
    world.arm.resources.pop(app_key)
    world.arm.revisions.pop(app_key)
    with pytest.raises(DeployError) as error:
        world.target(**{"azure-registry": "TheirRegistry1"}).deploy()
    assert "admin user is off" in error.value.message
    assert "az acr update -n TheirRegistry1 --admin-enabled true" in error.value.remediation
    assert registry["properties"]["adminUserEnabled"] is False


def test_an_artifact_input_wins_over_the_dockerfile(world: World) -> None:
    (world.root / "Dockerfile").write_text("FROM scratch\n")
    result = world.target(artifact="target/release/calc").deploy()
    assert result.outputs["image-source"] == "assembled"


def test_destroy_removes_the_apps_acr_pull_assignment_and_keeps_the_registry(
    world: World,
) -> None:
    world.target().deploy()
    assert len(world.arm.acr.assignments) == 1
    result = world.target().destroy()
    assert world.arm.acr.assignments == {}
    resources = [c.resource for c in result.changes]
    assert resources[0] == "container app calc"
    assert resources[1].startswith("AcrPull role assignment on calc")
    assert world.registry()["tags"] == {"managed-by": "pmcp"}  # kept, with its images
    assert "(and any registry in it) is kept" in world.log.getvalue()
