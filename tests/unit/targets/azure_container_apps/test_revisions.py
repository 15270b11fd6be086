"""A revision that does not provision, cannot pull or does not run: Azure's reason and
state, and the previous revision keeps its traffic."""

from __future__ import annotations

import pytest

from pmcp_action.errors import DeployError

from .helpers import IMAGE_2, RegistryWorld, World


def test_a_revision_that_fails_to_provision_reports_azures_reason(world: World) -> None:
    first = world.target().deploy()
    world.arm.failing_images[IMAGE_2] = "Container 'calc' crashed: exit code 1"
    with pytest.raises(DeployError, match="exit code 1"):
        world.target(image=IMAGE_2).deploy()
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]


def test_an_image_that_cannot_be_pulled_fails_with_azures_reason(registries: RegistryWorld) -> None:
    first = registries.target().deploy()
    server = registries.registry()["properties"]["loginServer"]
    missing = f"{server}/calc@sha256:" + "7" * 64
    with pytest.raises(DeployError) as error:
        registries.target(image=missing).deploy()
    assert "failed to provision: Failed to pull image" in error.value.message
    assert "manifest unknown" in error.value.message
    assert "running Failed" in error.value.message and "registry access" in error.value.remediation
    assert registries.app()["properties"]["configuration"]["ingress"]["traffic"] == [
        {"revisionName": first.version, "weight": 100}
    ]


def test_a_revision_that_does_not_run_shows_its_state(registries: RegistryWorld) -> None:
    image = "ghcr.io/acme/calc@sha256:" + "3" * 64
    registries.arm.revision_states[image] = {
        "runningState": "Failed",
        "healthState": "Unhealthy",
        "runningStateDetails": "Container crashed: exit code 101",
    }
    with pytest.raises(DeployError) as error:
        registries.target(image=image).deploy()
    assert "failed to run: Container crashed: exit code 101" in error.value.message
    assert "health Unhealthy" in error.value.message

    stuck = "ghcr.io/acme/calc@sha256:" + "4" * 64
    registries.arm.revision_states[stuck] = {"provisioningState": "Provisioning"}
    with pytest.raises(DeployError) as error:
        registries.target(image=stuck).deploy()
    assert "did not become ready in time" in error.value.message
    assert "provisioning Provisioning" in error.value.message
