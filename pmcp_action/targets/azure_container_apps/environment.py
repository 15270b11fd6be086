"""What a container app needs before it is written: the resource provider registered, the
resource group and the managed environment there (each made, with the ownership mark, only
when missing)."""

from __future__ import annotations

from ... import ownership
from ...ci.base import Platform
from .app import environment_path
from .arm import APP_API, Arm
from .config import AzureConfig
from .survey import APP_PROVIDER, Survey

__all__ = ["prepare_environment"]


def prepare_environment(arm: Arm, config: AzureConfig, survey: Survey, console: Platform) -> str:
    """Microsoft.App registered, the group and the environment there; the environment's id.

    What the survey read is not read again (a cold subscription's environment is read once
    its provider is registered). Microsoft.ContainerRegistry is registered by :mod:`.acr`,
    when a registry is used.
    """
    c = config
    state = survey.providers.get(APP_PROVIDER) or arm.provider_state(APP_PROVIDER)
    if state == "NotRegistered":
        console.info(
            f"Registering the resource provider {APP_PROVIDER} (first use "
            "in this subscription; this takes a minute or two)…"
        )
        arm.register_provider(APP_PROVIDER)
        console.info(f"{APP_PROVIDER} is registered.")
    if survey.group is None and arm.resource_group(c.resource_group) is None:
        arm.create_resource_group(c.resource_group, c.location, ownership.labels())
        console.info(f"Created resource group {c.resource_group} in {c.location}.")
    path = environment_path(arm, c)
    environment = survey.environment or arm.get(
        path, APP_API, f"reading managed environment {c.environment}"
    )
    if environment is None:
        console.info(
            f"Creating managed environment {c.environment} (no Log Analytics; a few minutes)…"
        )
        environment = arm.put(
            path,
            {"location": c.location, "tags": ownership.labels(), "properties": {}},
            f"creating managed environment {c.environment}",
        )
    return str(environment.get("id") or path)
