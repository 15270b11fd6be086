"""The container app bodies this target writes use only field names the vendor's client knows
(azure-mgmt-appcontainers, a test-only peer): identity, registries, secrets included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pmcp_action.targets.azure_container_apps.app import Pull, app_body, bootstrap_body

from .helpers import resolved

models = pytest.importorskip("azure.mgmt.appcontainers.models")


def _unknown(model: Any, data: Any, where: str) -> list[str]:
    """Keys of ``data`` the SDK model has no REST field for, recursively."""
    if not isinstance(data, dict) or not hasattr(type(model), "_attr_to_rest_field"):
        return []
    fields = {f._rest_name: attr for attr, f in type(model)._attr_to_rest_field.items()}
    found: list[str] = []
    for key, value in data.items():
        if key not in fields:
            found.append(f"{where}.{key}")
            continue
        typed = getattr(model, fields[key])
        if isinstance(value, list) and isinstance(typed, list):
            for index, (item, raw) in enumerate(zip(typed, value, strict=False)):
                found += _unknown(item, raw, f"{where}.{key}[{index}]")
        else:
            found += _unknown(typed, value, f"{where}.{key}")
    return found


@pytest.mark.parametrize("mode", ["", "managed-identity", "admin-credentials"])
def test_app_bodies_match_the_sdk_model(tmp_path: Path, mode: str) -> None:
    _, config, _ = resolved(tmp_path, environment={"GREETING": "hi"})
    pull = (
        Pull(server="calc.azurecr.io", mode=mode, username="calc", password="pw") if mode else None
    )
    env_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.App/managedEnvironments/e"
    body = app_body(
        config,
        env_id,
        "calc.azurecr.io/calc@sha256:" + "1" * 64,
        [{"revisionName": "calc--p1", "weight": 100}],
        pull,
    )
    assert _unknown(models.ContainerApp(body), body, "app") == []
    assert ("registries" in body["properties"]["configuration"]) == bool(mode)
    bootstrap = bootstrap_body(config, env_id)
    assert _unknown(models.ContainerApp(bootstrap), bootstrap, "app") == []
    assert bootstrap["identity"] == {"type": "SystemAssigned"}


def test_the_checker_finds_an_unknown_field(tmp_path: Path) -> None:
    body = {"properties": {"configuration": {"registries": [{"server": "x", "bogus": 1}]}}}
    assert _unknown(models.ContainerApp(body), body, "app") == [
        "app.properties.configuration.registries[0].bogus"
    ]
