"""Image sources through the target: the binary assembled and pushed to a registry made
for it, unchanged, a prebuilt tag pinned, an ACR Tasks build reused per commit, the
artifact input first, the offline checks before any call."""

from __future__ import annotations

import shutil

import pytest

from pmcp_action.errors import DeployError
from pmcp_action.targets.azure_container_apps.pull_access import ACR_PULL_ROLE

from .helpers import SHA, TENANT, RegistryWorld, outputs_of


def test_the_binary_is_assembled_and_pushed_to_a_registry_made_for_it(
    registries: RegistryWorld,
) -> None:
    registries.arm.cold()
    result = registries.target().deploy()

    # The providers registered, the registry created Basic and tagged, its name derived.
    assert registries.arm.providers["Microsoft.ContainerRegistry"] == "Registered"
    registry = registries.registry()
    assert registry["sku"]["name"] == "Basic" and registry["tags"] == {"managed-by": "pmcp"}
    assert registry["name"].startswith("calc") and registry["name"].isalnum()
    assert "derived from the subscription, group and server name" in registries.log.getvalue()
    server = registry["properties"]["loginServer"]

    # Pushed with the refresh token /oauth2/exchange gave for the Entra ID ARM token.
    [exchange] = registries.arm.acr.exchanges
    assert exchange == {"grant_type": "access_token", "service": server, "tenant": TENANT}
    outputs = outputs_of(result)
    assert outputs["image"].startswith(f"{server}/calc@sha256:")
    backend = registries.arm.acr.backends[server]
    assert backend.tags["calc"][SHA] == outputs["image"].split("@")[1]
    assert outputs["image-source"] == "assembled"

    # The app pulls with its identity, which holds AcrPull on the registry.
    assert outputs["registry-access"] == "managed-identity"
    app = registries.app()
    principal = app["identity"]["principalId"]
    assert app["identity"]["type"] == "SystemAssigned"
    assert app["properties"]["configuration"]["registries"] == [
        {"server": server, "identity": "system"}
    ]
    [assignment] = registries.arm.acr.assignments.values()
    assert assignment["properties"]["principalId"] == principal
    assert assignment["properties"]["roleDefinitionId"].endswith(ACR_PULL_ROLE)
    assert assignment["properties"]["scope"] == registry["id"]
    assert result.version.startswith("calc--p") and result.candidate_url == ""
    assert app["properties"]["template"]["containers"][0]["image"] == outputs["image"]
    assert any("assembled onto the base image" in note for note in result.notes)
    assert any("system-assigned identity" in note for note in result.notes)
    # The bootstrap revision the identity was made with is not a version to roll back to.
    revisions = registries.arm.revisions[app["id"].lower()]
    assert revisions["calc--bootstrap"]["properties"]["active"] is False  # retired
    shown = registries.target().outputs()
    assert shown.previous_version == "" and shown.version == result.version


def test_the_same_binary_again_is_unchanged_and_writes_nothing(registries: RegistryWorld) -> None:
    first = registries.target().deploy()
    mutations = len(registries.arm.mutations)
    again = registries.target().deploy()
    assert again.unchanged is True and again.version == first.version
    assert registries.arm.mutations[mutations:] == []
    assert again.outputs["image"] == first.outputs["image"]
    assert "nothing uploaded" in registries.log.getvalue()
    # A new binary: a new revision at 0 %, the first one still serving.
    binary = registries.root / "target" / "release" / "calc"
    binary.write_bytes(binary.read_bytes() + b"\0")
    staged = registries.target().stage()
    assert staged.previous_version == first.version and staged.candidate_url
    assert staged.outputs["image"] != first.outputs["image"]
    assert len(registries.arm.acr.assignments) == 1  # found, not assigned again


def test_a_prebuilt_tag_is_pinned_to_its_digest_and_needs_no_registry(
    registries: RegistryWorld,
) -> None:
    digest = registries.ghcr.add_manifest(
        "acme/calc", "1.2.0", b'{"schemaVersion": 2}', "application/vnd.oci.image.manifest.v1+json"
    )
    result = registries.target(image="ghcr.io/acme/calc:1.2.0").deploy()
    outputs = outputs_of(result)
    assert outputs["image"] == f"ghcr.io/acme/calc@{digest}"
    assert outputs["image-source"] == "prebuilt" and outputs["registry-access"] == ""
    assert not any(r["type"].endswith("registries") for r in registries.arm.resources.values())
    app = registries.app()
    assert "registries" not in app["properties"]["configuration"]
    assert app["identity"] == {"type": "None"}
    assert any("the tag resolved to" in note for note in result.notes)


def test_a_prebuilt_tag_in_the_subscriptions_acr_uses_its_login(registries: RegistryWorld) -> None:
    registries.target().deploy()  # makes the registry and pushes calc:<sha>
    server = registries.registry()["properties"]["loginServer"]
    first = registries.app()["properties"]["template"]["containers"][0]["image"]
    exchanges = len(registries.arm.acr.exchanges)
    result = registries.target(image=f"{server}/calc:{SHA}").deploy()
    assert result.outputs["image"] == first and result.unchanged is True
    assert len(registries.arm.acr.exchanges) == exchanges + 1


def test_a_missing_binary_fails_before_any_cloud_call(registries: RegistryWorld) -> None:
    shutil.rmtree(registries.root / "target")
    with pytest.raises(DeployError, match="No image to deploy"):
        registries.target().deploy()
    assert registries.entra.issued == {} and registries.arm.requests == []


def test_a_dockerfile_is_built_by_acr_tasks_and_a_built_commit_is_reused(
    registries: RegistryWorld,
) -> None:
    (registries.root / "Dockerfile").write_text("FROM scratch\nCOPY target/release/calc /calc\n")
    result = registries.target(**{"build-args": "GREETING=hi"}).deploy()
    [run] = registries.arm.tasks.all_runs()
    registry = registries.registry()
    login_server = registry["properties"]["loginServer"]
    assert run.registry_id.lower() == registry["id"].lower()
    assert run.request["imageNames"] == [f"calc:{SHA}"]
    assert run.request["dockerFilePath"] == "Dockerfile"
    assert run.request["arguments"] == [{"name": "GREETING", "value": "hi", "isSecret": False}]
    assert run.request["platform"] == {"os": "Linux", "architecture": "amd64"}
    # What ACR Tasks pushed is what the revision runs, by digest, and the revision pulled it.
    image = f"{login_server}/calc@{run.digest}"
    assert result.outputs["image"] == image
    assert registries.app()["properties"]["template"]["containers"][0]["image"] == image
    assert result.outputs["image-source"] == "cloud-build"
    assert result.outputs["registry-access"] == "managed-identity"
    assert any("built by ACR Tasks" in note for note in result.notes)
    assert "Step 2/2 : COPY target/release/calc /calc" in registries.log.getvalue()

    again = registries.target(**{"build-args": "GREETING=hi"}).deploy()
    assert len(registries.arm.tasks.all_runs()) == 1 and again.unchanged is True
    assert "not built again" in registries.log.getvalue()


def test_a_staged_redeploy_builds_its_image_once(registries: RegistryWorld) -> None:
    """The unchanged check and the staged revision share one image: one ACR Tasks run."""
    public = registries.target(image="ghcr.io/acme/calc@sha256:" + "5" * 64).deploy()
    (registries.root / "Dockerfile").write_text("FROM scratch\nCOPY target/release/calc /calc\n")
    staged = registries.target().stage()
    [run] = registries.arm.tasks.all_runs()
    assert staged.previous_version == public.version and staged.candidate_url
    assert staged.outputs["image"].endswith(f"/calc@{run.digest}")
    assert registries.log.getvalue().count("Image: the project's Dockerfile built by") == 1


def test_an_artifact_input_wins_over_the_dockerfile(registries: RegistryWorld) -> None:
    (registries.root / "Dockerfile").write_text("FROM scratch\n")
    result = registries.target(artifact="target/release/calc").deploy()
    assert result.outputs["image-source"] == "assembled"
