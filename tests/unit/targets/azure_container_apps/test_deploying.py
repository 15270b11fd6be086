"""The steps through the target, against the Entra ID and ARM fakes: first deploy, stage,
promote, discard, unchanged, rollback, outputs, destroy, an app made elsewhere."""

from __future__ import annotations

import pytest

from pmcp_action.errors import DeployError

from .helpers import IMAGE_1, IMAGE_2, World


def test_first_deploy_on_a_cold_subscription(world: World) -> None:
    world.arm.cold()
    result = world.target().deploy()
    assert world.arm.providers["Microsoft.App"] == "Registered"
    assert world.arm.groups["calc-rg"]["tags"] == {"managed-by": "pmcp"}
    assert result.version.startswith("calc--p") and result.candidate_url == ""
    assert result.url.startswith("https://calc.calc-env-")
    assert result.outputs["image"] == IMAGE_1 and result.region == "eastus"
    assert world.traffic() == [{"latestRevision": True, "weight": 100}]
    assert "Registering the resource provider Microsoft.App" in world.log.getvalue()
    app = next(iter(r for r in world.arm.resources.values() if "containerApps" in r["type"]))
    ingress = app["properties"]["configuration"]["ingress"]
    assert ingress["external"] and ingress["targetPort"] == 8080
    assert ingress["corsPolicy"]["allowedOrigins"] == ["*"]
    assert app["properties"]["configuration"]["activeRevisionsMode"] == "Multiple"


def test_redeploy_stages_at_weight_zero_then_promotes(world: World) -> None:
    first = world.target().deploy()
    target = world.target(image=IMAGE_2)
    staged = target.stage()
    assert staged.previous_version == first.version
    assert staged.candidate_url.startswith(f"https://{staged.version}.")
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]
    done = target.promote(staged)
    assert world.traffic() == [{"revisionName": staged.version, "weight": 100}]
    assert done.version == staged.version and done.can_roll_back


def test_a_failed_verification_leaves_the_previous_revision_serving(world: World) -> None:
    first = world.target().deploy()
    target = world.target(image=IMAGE_2)
    staged = target.stage()
    target.discard(staged)
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]
    assert world.target().outputs().version == first.version


def test_unchanged_image_and_settings_make_no_revision(world: World) -> None:
    world.target().deploy()
    puts = len(world.arm.mutations)
    result = world.target().deploy()
    assert result.unchanged is True
    assert world.arm.mutations[puts:] == []


def test_rollback_to_the_previous_and_to_a_named_revision(world: World) -> None:
    first = world.target().deploy()
    second = world.target(image=IMAGE_2).deploy()
    back = world.target().rollback("")
    assert back.version == first.version and back.previous_version == second.version
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]
    again = world.target().rollback(second.version.split("--", 1)[1])
    assert again.version == second.version
    with pytest.raises(DeployError, match="no revision"):
        world.target().rollback("nope")


def testoutputs_of(world: World) -> None:
    first = world.target().deploy()
    out = world.target().outputs()
    assert (out.version, out.deployment_id, out.url) == (first.version, first.version, first.url)
    assert out.outputs["resource-group"] == "calc-rg"


def test_destroy_keeps_the_group_unless_asked(world: World) -> None:
    world.target().deploy()
    world.target().destroy()
    assert "calc-rg" in world.arm.groups
    assert not any("containerApps" in r["type"] for r in world.arm.resources.values())
    with pytest.raises(DeployError, match="Nothing to destroy") as nothing:
        world.target().destroy()
    assert nothing.value.title == "Nothing deployed"
    world.target().deploy()
    world.target(**{"azure-delete-resource-group": "true"}).destroy()
    assert "calc-rg" not in world.arm.groups


def test_an_app_not_made_by_pmcp_is_left_alone(world: World) -> None:
    world.target().deploy()
    app = next(r for r in world.arm.resources.values() if "containerApps" in r["type"])
    app["tags"] = {}
    before = list(world.arm.mutations)
    with pytest.raises(DeployError, match="managed-by=pmcp"):
        world.target(image=IMAGE_2).deploy()
    with pytest.raises(DeployError, match="left alone"):
        world.target().destroy()
    with pytest.raises(DeployError, match="left alone"):  # nor is its traffic moved
        world.target().rollback("")
    assert world.arm.mutations == before
