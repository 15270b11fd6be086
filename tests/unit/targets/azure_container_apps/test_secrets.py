"""The server's secrets through the target, against the Entra ID and ARM fakes: app secrets the
container reads as variables, fingerprints in app tags, an unchanged secret writing nothing,
a changed one making a new revision verified before traffic, listSecrets only for values a
write keeps, prune once the new revision serves, plan, destroy, a required secret, the
registry password and a secret made by hand left alone. Every test scans what was printed
and returned for each value and its base64."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from pmcp_action.errors import DeployError, ValidationError
from pmcp_action.result import TargetResult
from pmcp_action.secrets import SecretStatus
from pmcp_action.settings.deploy_toml import DeployConfig
from pmcp_action.targets.azure_container_apps.failures import ArmError

from .helpers import IMAGE_1, IMAGE_2, SUBSCRIPTION, RegistryWorld, World

API_KEY = "sk-live-4f1d9c2b7a8e6d3f"
API_KEY_2 = "sk-live-rotated-77a1e0c9"
DB_URL = "postgres://calc:Hunter2-x9@db.internal/calc"
BY_HAND = "made-by-hand-0b3c9e1f"
VALUES = (API_KEY, API_KEY_2, DB_URL, BY_HAND)


def _secrets(**values: str) -> str:
    return "\n".join(f"{k}={v}" for k, v in values.items())


def _key(world: World | RegistryWorld) -> str:
    return next(k for k in world.arm.resources if k.endswith("/containerapps/calc"))


def _app(world: World | RegistryWorld) -> dict[str, Any]:
    return world.arm.resources[_key(world)]


def _stored(world: World | RegistryWorld) -> dict[str, str]:
    """The app's secrets with their values, as the fake keeps them."""
    return {n: str(e.get("value")) for n, e in world.arm.secrets.entries[_key(world)].items()}


def _started(world: World | RegistryWorld, revision: str) -> dict[str, str]:
    return dict(world.arm.secrets.started_env(f"{_app(world)['id']}/revisions/{revision}"))


def _listings(world: World | RegistryWorld) -> int:
    return world.arm.secrets.listings.get(_key(world), 0)


def _status(result: TargetResult) -> dict[str, str]:
    return {s.name: s.status.value for s in result.secrets}


def _no_leak(world: World | RegistryWorld, *results: TargetResult) -> None:
    printed = "\n".join(
        line for line in world.log.getvalue().splitlines() if "::add-mask::" not in line
    )
    said = printed + "".join(repr(r) for r in results)
    for value in VALUES:
        for form in (value, base64.b64encode(value.encode()).decode()):
            assert form not in said


def test_first_deploy_writes_app_secrets_the_container_reads(world: World) -> None:
    result = world.target(secrets=_secrets(API_KEY=API_KEY, DB_URL=DB_URL)).deploy()
    app = _app(world)
    assert app["properties"]["configuration"]["secrets"] == [
        {"name": "api-key"},
        {"name": "db-url"},
    ]
    env = app["properties"]["template"]["containers"][0]["env"]
    assert env == [
        {"name": "API_KEY", "secretRef": "api-key"},
        {"name": "DB_URL", "secretRef": "db-url"},
    ]
    tags = app["tags"]
    assert set(tags) == {"managed-by", "pmcp-secret-API_KEY", "pmcp-secret-DB_URL"}
    assert all(re.fullmatch(r"s1:[0-9a-f]{64}", tags[k]) for k in tags if k != "managed-by")
    assert _stored(world) == {"api-key": API_KEY, "db-url": DB_URL}
    assert _started(world, result.version) == {"API_KEY": API_KEY, "DB_URL": DB_URL}
    assert _status(result) == {"API_KEY": "set", "DB_URL": "set"}
    assert _listings(world) == 0  # nothing to keep: every value is this run's
    _no_leak(world, result)


def test_the_same_secrets_again_write_nothing_and_make_no_revision(world: World) -> None:
    first = world.target(secrets=_secrets(API_KEY=API_KEY)).deploy()
    before = list(world.arm.mutations)
    again = world.target(secrets=_secrets(API_KEY=API_KEY)).deploy()
    assert again.unchanged is True and again.version == first.version
    assert world.arm.mutations == before and _listings(world) == 0
    assert _status(again) == {"API_KEY": "unchanged"}
    _no_leak(world, first, again)


def test_a_changed_secret_makes_a_revision_verified_before_traffic(world: World) -> None:
    first = world.target(secrets=_secrets(API_KEY=API_KEY)).deploy()
    target = world.target(secrets=_secrets(API_KEY=API_KEY_2))
    staged = target.stage()
    assert staged.version != first.version and staged.candidate_url
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]
    assert _started(world, staged.version) == {"API_KEY": API_KEY_2}
    assert _started(world, first.version) == {"API_KEY": API_KEY}  # read when it started
    assert _status(staged) == {"API_KEY": "set"}
    done = target.promote(staged)
    assert world.traffic() == [{"revisionName": staged.version, "weight": 100}]
    assert _status(done) == {"API_KEY": "set"} and _listings(world) == 0
    _no_leak(world, first, staged, done)


def test_a_secret_not_given_is_kept_its_value_read_only_to_write_it_back(world: World) -> None:
    world.target(secrets=_secrets(API_KEY=API_KEY, DB_URL=DB_URL)).deploy()
    # Only DB_URL not given: the revision's name is the same (its fingerprint is on record).
    same = world.target(secrets=_secrets(API_KEY=API_KEY)).deploy()
    assert same.unchanged is True and _listings(world) == 0
    assert _status(same) == {"API_KEY": "unchanged", "DB_URL": "kept"}
    # A new image: the app is written whole, DB_URL's value read with listSecrets.
    moved = world.target(image=IMAGE_2, secrets=_secrets(API_KEY=API_KEY)).deploy()
    assert _listings(world) == 1
    assert _stored(world) == {"api-key": API_KEY, "db-url": DB_URL}
    assert _started(world, moved.version) == {"API_KEY": API_KEY, "DB_URL": DB_URL}
    assert _status(moved) == {"API_KEY": "unchanged", "DB_URL": "kept"}
    _no_leak(world, same, moved)


def test_prune_removes_a_secret_once_the_new_revision_serves(world: World) -> None:
    first = world.target(secrets=_secrets(API_KEY=API_KEY, DB_URL=DB_URL)).deploy()
    target = world.target(secrets=_secrets(API_KEY=API_KEY), **{"prune-secrets": "true"})
    staged = target.stage()
    # The serving revision still reads db-url: it stays until the new one serves.
    assert _status(staged) == {"API_KEY": "unchanged", "DB_URL": "kept"}
    assert "db-url" in _stored(world)
    assert _started(world, staged.version) == {"API_KEY": API_KEY}
    done = target.promote(staged)
    assert _status(done) == {"API_KEY": "unchanged", "DB_URL": "removed"}
    assert _stored(world) == {"api-key": API_KEY}
    assert "pmcp-secret-DB_URL" not in _app(world)["tags"]
    revisions = world.arm.revisions[_key(world)]
    assert revisions[first.version]["properties"]["active"] is False  # it read db-url
    assert revisions[staged.version]["properties"]["active"] is True
    assert ("delete", "app secret db-url") in [(c.action, c.resource) for c in done.changes]
    _no_leak(world, staged, done)


def test_prune_never_removes_a_required_secret_nor_one_made_by_hand(world: World) -> None:
    world.target(secrets=_secrets(API_KEY=API_KEY, DB_URL=DB_URL)).deploy()
    vault = {
        "name": "by-vault",
        "keyVaultUrl": "https://calc.vault.azure.net/secrets/token",
        "identity": "system",
    }
    entries = world.arm.secrets.entries[_key(world)]
    entries["by-hand"] = {"name": "by-hand", "value": BY_HAND}
    entries["by-vault"] = dict(vault)
    shown = _app(world)["properties"]["configuration"]["secrets"]
    shown += [{"name": "by-hand"}, dict(vault)]
    required = DeployConfig(secrets={"DB_URL": ""})
    done = world.target(required, image=IMAGE_2, **{"prune-secrets": "true"}).deploy()
    assert _status(done) == {"API_KEY": "removed", "DB_URL": "kept"}
    assert _stored(world) == {"db-url": DB_URL, "by-hand": BY_HAND, "by-vault": "None"}
    assert world.arm.secrets.entries[_key(world)]["by-vault"] == vault  # still a reference
    _no_leak(world, done)


def test_a_required_secret_stored_earlier_needs_no_value_one_never_stored_does(
    world: World,
) -> None:
    world.target(secrets=_secrets(API_KEY=API_KEY)).deploy()
    target = world.target(DeployConfig(secrets={"API_KEY": ""}), image=IMAGE_2)
    assert _status(target.deploy()) == {"API_KEY": "kept"}
    before = list(world.arm.mutations)
    target = world.target(DeployConfig(secrets={"TOKEN": ""}), image=IMAGE_1)
    with pytest.raises(ValidationError, match="requires the secret TOKEN"):
        target.deploy()
    assert world.arm.mutations == before


def test_a_failed_candidate_leaves_the_new_value_stored_and_says_so_then_it_is_put_back(
    world: World,
) -> None:
    first = world.target(secrets=_secrets(API_KEY=API_KEY)).deploy()
    target = world.target(secrets=_secrets(API_KEY=API_KEY_2))
    staged = target.stage()
    target.discard(staged)
    assert world.traffic() == [{"revisionName": first.version, "weight": 100}]
    assert "stay stored on container app calc" in world.log.getvalue()
    assert _stored(world) == {"api-key": API_KEY_2}
    # The value the serving revision was made with, again: written back, no new revision.
    revisions = set(world.arm.revisions[_key(world)])
    back = world.target(secrets=_secrets(API_KEY=API_KEY)).deploy()
    assert back.version == first.version and back.unchanged is False
    assert set(world.arm.revisions[_key(world)]) == revisions
    assert _stored(world) == {"api-key": API_KEY} and _status(back) == {"API_KEY": "set"}
    assert world.target(secrets=_secrets(API_KEY=API_KEY)).deploy().unchanged is True
    _no_leak(world, staged, back)


def test_plan_lists_names_and_writes_nothing(world: World) -> None:
    world.target(secrets=_secrets(API_KEY=API_KEY, DB_URL=DB_URL)).deploy()
    before = list(world.arm.mutations)
    plan = world.target(
        secrets=_secrets(API_KEY=API_KEY_2, TOKEN=BY_HAND), **{"prune-secrets": "true"}
    ).plan()
    assert world.arm.mutations == before and _listings(world) == 0
    changes = {c.resource: (c.action, c.detail) for c in plan.changes}
    assert changes["app secret api-key"] == ("update", "API_KEY: a new value")
    assert changes["app secret token"] == ("create", "TOKEN: new")
    assert changes["app secret db-url"][0] == "delete"
    assert _status(plan) == {"API_KEY": "set", "DB_URL": "removed", "TOKEN": "set"}
    assert plan.unchanged is False
    same = world.target(secrets=_secrets(API_KEY=API_KEY)).plan()
    assert _status(same) == {"API_KEY": "unchanged", "DB_URL": "kept"}
    _no_leak(world, plan, same)


def test_destroy_says_the_secrets_went_with_the_app(world: World) -> None:
    world.target(secrets=_secrets(API_KEY=API_KEY, DB_URL=DB_URL)).deploy()
    outputs = world.target().outputs()
    assert _status(outputs) == {"API_KEY": "kept", "DB_URL": "kept"}
    removed = world.target().destroy()
    assert _status(removed) == {"API_KEY": "removed", "DB_URL": "removed"}
    assert ("delete", "app secrets") in [(c.action, c.resource) for c in removed.changes]
    assert "API_KEY, DB_URL were app secrets of calc: deleted with it" in world.log.getvalue()
    assert _key_gone(world)
    _no_leak(world, outputs, removed)


def _key_gone(world: World) -> bool:
    return not any(k.endswith("/containerapps/calc") for k in world.arm.resources)


def test_too_many_secrets_with_those_kept_are_refused_before_any_change(world: World) -> None:
    many = {f"S{n:02d}": f"value-{n:02d}-abcdef" for n in range(40)}
    world.target(secrets=_secrets(**many)).deploy()
    before = list(world.arm.mutations)
    more = {f"T{n:02d}": f"value-{n:02d}-abcdef" for n in range(10)}
    with pytest.raises(DeployError, match="would hold 50 secrets .40 stored earlier"):
        world.target(image=IMAGE_2, secrets=_secrets(**more)).deploy()
    assert world.arm.mutations == before


def test_values_of_every_shape_round_trip(world: World) -> None:
    shapes = {
        "MULTI": "line one\nline two\n  indented=yes",
        "EQUALS": "a=b=c==",
        "BIG": "x" * (64 * 1024),
        "UNICODE": "clé-секрет-🔑",
    }
    text = "MULTI<<EOF\n" + shapes["MULTI"] + "\nEOF\n"
    text += "\n".join(f"{k}={v}" for k, v in shapes.items() if k != "MULTI")
    result = world.target(secrets=text).deploy()
    mapped = {k.lower(): v for k, v in shapes.items()}
    assert _stored(world) == mapped and _started(world, result.version) == shapes
    printed = world.log.getvalue() + repr(result)
    for value in shapes.values():
        assert value not in printed


def test_the_registry_password_is_kept_beside_the_secrets(registries: RegistryWorld) -> None:
    registries.arm.acr.refuse_role_assignments = True
    first = registries.target(secrets=_secrets(API_KEY=API_KEY, DB_URL=DB_URL)).deploy()
    assert first.outputs["registry-access"] == "admin-credentials"
    assert set(_stored(registries)) == {"acr-admin-password", "api-key", "db-url"}
    target = registries.target(secrets=_secrets(API_KEY=API_KEY_2), **{"prune-secrets": "true"})
    done = target.deploy()
    assert _status(done) == {"API_KEY": "set", "DB_URL": "removed"}
    assert set(_stored(registries)) == {"acr-admin-password", "api-key"}
    printed = registries.printed() + repr(done)
    for value in (API_KEY, API_KEY_2, DB_URL, *_stored(registries).values()):
        assert value not in printed
    assert SecretStatus.REMOVED in {s.status for s in done.secrets}


def test_list_secrets_is_asked_again_after_a_failure_and_a_refusal_changes_nothing(
    world: World,
) -> None:
    world.target(secrets=_secrets(API_KEY=API_KEY, DB_URL=DB_URL)).deploy()
    path = (
        f"/subscriptions/{SUBSCRIPTION}/resourcegroups/calc-rg/providers/Microsoft.App"
        "/containerApps/calc/listSecrets"
    )
    world.arm.faults.status(503, path=path).drop(after_handling=True, path=path)
    moved = world.target(image=IMAGE_2, secrets=_secrets(API_KEY=API_KEY)).deploy()
    assert _started(world, moved.version) == {"API_KEY": API_KEY, "DB_URL": DB_URL}
    assert _listings(world) == 2  # the answer lost on the way back, then read again
    before = list(world.arm.mutations)
    world.arm.forbidden.append(path.lower())
    with pytest.raises(ArmError) as caught:
        world.target(image=IMAGE_1, secrets=_secrets(API_KEY=API_KEY)).deploy()
    assert "reading the secrets of container app calc (to keep them)" in caught.value.message
    assert "Contributor" in (caught.value.remediation or "")
    assert [m for m in world.arm.mutations[len(before) :] if not m.endswith("/listSecrets")] == []
    _no_leak(world, moved)


def test_a_tag_name_azure_spells_in_another_case_is_still_the_secret(world: World) -> None:
    first = world.target(secrets=_secrets(API_KEY=API_KEY)).deploy()
    app = _app(world)
    app["tags"] = {k.lower(): v for k, v in app["tags"].items()}  # tag names ignore case
    before = list(world.arm.mutations)
    again = world.target(secrets=_secrets(API_KEY=API_KEY)).deploy()
    assert again.unchanged is True and again.version == first.version
    assert _status(again) == {"API_KEY": "unchanged"} and world.arm.mutations == before
    required = world.target(DeployConfig(secrets={"API_KEY": ""}), image=IMAGE_2).deploy()
    assert _status(required) == {"API_KEY": "kept"}
