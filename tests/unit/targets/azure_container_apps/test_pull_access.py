"""Registry pull access: AcrPull for the app's identity (its replication waited out), the
admin credentials when that is refused (never shown), a registry made elsewhere left
alone, the assignment removed on destroy."""

from __future__ import annotations

import json

import pytest

from pmcp_action.errors import DeployError

from .helpers import RegistryWorld, outputs_of


def test_without_role_assignment_rights_the_admin_credentials_are_used(
    registries: RegistryWorld,
) -> None:
    registries.arm.acr.refuse_role_assignments = True
    target = registries.target()
    result = target.deploy()
    outputs = outputs_of(result)
    assert outputs["registry-access"] == "admin-credentials"
    registry = registries.registry()
    assert registry["properties"]["adminUserEnabled"] is True
    app = registries.app()
    configuration = app["properties"]["configuration"]
    assert configuration["registries"] == [
        {
            "server": registry["properties"]["loginServer"],
            "username": registry["name"],
            "passwordSecretRef": "acr-admin-password",
        }
    ]
    assert configuration["secrets"] == [{"name": "acr-admin-password"}]  # names only
    assert "ACR admin credentials" in registries.log.getvalue()
    assert any("admin credentials" in note for note in result.notes)
    revision = registries.arm.revisions[app["id"].lower()][result.version]
    assert revision["properties"]["runningState"] == "Running"
    # The password is masked when read and is in nothing shown or written.
    passwords = registries.arm.acr.passwords[registry["id"].lower()]
    target.console.info(f"echo {passwords[0]}")  # masked: the console redacts it
    assert "echo " in registries.log.getvalue() and passwords[0] not in registries.log.getvalue()
    shown = registries.printed() + repr(result) + json.dumps(registries.arm.resources)
    for password in passwords:
        assert password not in shown


def test_a_new_identity_not_yet_replicated_is_granted_on_a_later_try(
    registries: RegistryWorld,
) -> None:
    registries.arm.acr.principal_lag = 2
    result = registries.target().deploy()
    assert result.outputs["registry-access"] == "managed-identity"
    assert "not replicated yet" in registries.log.getvalue()


def test_an_app_deployed_from_a_public_image_gets_an_identity_for_acr(
    registries: RegistryWorld,
) -> None:
    public = registries.target(image="ghcr.io/acme/calc@sha256:" + "5" * 64).deploy()
    assert registries.app()["identity"] == {"type": "None"}
    target = registries.target()
    staged = target.stage()
    assert staged.previous_version == public.version and staged.candidate_url
    app = registries.app()
    assert app["identity"]["type"] == "SystemAssigned"
    assert any(
        m.startswith("PATCH ") and "containerApps/calc" in m for m in registries.arm.mutations
    )
    assert "bootstrap" not in json.dumps(registries.arm.revisions)
    target.promote(staged)
    assert registries.target().outputs().outputs["registry-access"] == "managed-identity"


def test_an_unmanaged_registry_is_not_switched_to_admin_credentials(
    registries: RegistryWorld,
) -> None:
    registries.target(**{"azure-registry": "TheirRegistry1"}).deploy()  # made (and tagged) by us
    registry = registries.registry()
    registry["tags"] = {}  # now it is someone else's
    registries.arm.acr.refuse_role_assignments = True
    binary = registries.root / "target" / "release" / "calc"
    binary.write_bytes(binary.read_bytes() + b"\0")
    app_key = registries.app()["id"].lower()  # a new app: a new identity
    registries.arm.resources.pop(app_key)
    registries.arm.revisions.pop(app_key)
    with pytest.raises(DeployError) as error:
        registries.target(**{"azure-registry": "TheirRegistry1"}).deploy()
    assert "admin user is off" in error.value.message
    assert "az acr update -n TheirRegistry1 --admin-enabled true" in error.value.remediation
    assert registry["properties"]["adminUserEnabled"] is False


def test_destroy_removes_the_apps_acr_pull_assignment_and_keeps_the_registry(
    registries: RegistryWorld,
) -> None:
    registries.target().deploy()
    assert len(registries.arm.acr.assignments) == 1
    result = registries.target().destroy()
    assert registries.arm.acr.assignments == {}
    resources = [c.resource for c in result.changes]
    assert resources[0] == "container app calc"
    assert resources[1].startswith("AcrPull role assignment on calc")
    assert registries.registry()["tags"] == {"managed-by": "pmcp"}  # kept, with its images
    assert "(and any registry in it) is kept" in registries.log.getvalue()
