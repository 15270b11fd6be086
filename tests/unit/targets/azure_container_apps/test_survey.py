"""Plan reads only: provider registration, the registry and the image source, what is kept
and what a deploy would change."""

from __future__ import annotations

from .helpers import IMAGE_2, RegistryWorld, World


def test_plan_reads_only_and_includes_provider_registration(world: World) -> None:
    world.arm.cold()
    result = world.target().plan()
    assert world.arm.mutations == []
    actions = [(c.action, c.resource) for c in result.changes]
    assert ("update", "provider Microsoft.App") in actions
    assert ("create", "container app calc") in actions
    world.arm.reset_state()
    world.target().deploy()
    assert world.target().plan().unchanged is True
    staged = world.target(image=IMAGE_2).plan()
    assert any(c.action == "update" for c in staged.changes)


def test_plan_names_the_registry_and_the_image_source_and_writes_nothing(
    registries: RegistryWorld,
) -> None:
    result = registries.target().plan()
    assert registries.arm.mutations == []
    changes = {c.resource: (c.action, c.detail) for c in result.changes}
    registry = next(name for name in changes if name.startswith("container registry calc"))
    assert changes[registry] == ("create", "SKU Basic") and "(derived name)" in registry
    assert changes["image"][0] == "update" and "laid onto" in changes["image"][1]
    assert changes["registry access"][0] == "update"
    registries.target().deploy()
    again = {c.resource: c for c in registries.target().plan().changes}
    assert (again["registry access"].action, again["registry access"].detail) == (
        "keep",
        "managed-identity",
    )
