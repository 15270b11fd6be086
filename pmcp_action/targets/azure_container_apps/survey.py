"""Reading what is there (the app and its revisions; for a deploy or a plan also the
providers, the group, the environment and the registry), and the plan it gives.

Nothing here writes: ``plan`` PUTs, PATCHes, POSTs and DELETEs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ...flow import Deployed
from ...result import PlanChange
from .acr import Registry, read_registry
from .app import Live, app_path, environment_path, read_live, revision_name
from .arm import APP_API, Arm
from .config import AzureConfig
from .connection import Connection
from .image import ImageStep

__all__ = ["APP_PROVIDER", "REGISTRY_PROVIDER", "Survey", "planned_changes", "take_survey"]

APP_PROVIDER = "Microsoft.App"
REGISTRY_PROVIDER = "Microsoft.ContainerRegistry"


@dataclass(frozen=True)
class Survey:
    """The app as ARM shows it (None: there is none), and what a deploy would build on."""

    live: Live | None
    #: Resource provider namespace → registration state (read for a deploy or a plan).
    providers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    group: Mapping[str, Any] | None = None
    environment: Mapping[str, Any] | None = None
    registry: Registry | None = None
    #: What the image is made from (:meth:`.image.ImageStep.describe`).
    image: str = ""
    #: True when the image needs the registry (built or assembled into it).
    needs_registry: bool = False

    @property
    def deployed(self) -> Deployed:
        live = self.live
        if live is None:
            return Deployed(exists=False)
        return Deployed(
            exists=True, serving=live.serving, previous=live.previous, managed=live.managed
        )


def read_app(arm: Arm, config: AzureConfig) -> Live | None:
    """The app and its revisions; None when the group or the app is not there."""
    if arm.resource_group(config.resource_group) is None:
        return None
    app = arm.get(app_path(arm, config), APP_API, f"reading container app {config.app_name}")
    if app is None:
        return None
    return read_live(app, arm.revisions(config.resource_group, config.app_name))


def take_survey(conn: Connection, config: AzureConfig, image: ImageStep | None) -> Survey:
    """The app; with the ``image`` a deploy or plan would use, all it builds on as well."""
    arm = conn.arm
    if image is None:
        return Survey(read_app(arm, config))
    needs_registry = image.source != "prebuilt"
    providers = {APP_PROVIDER: arm.provider_state(APP_PROVIDER)}
    if needs_registry:
        providers[REGISTRY_PROVIDER] = arm.provider_state(REGISTRY_PROVIDER)
    group = arm.resource_group(config.resource_group)
    environment = live = registry = None
    if group is not None and providers[APP_PROVIDER] == "Registered":
        environment = arm.get(
            environment_path(arm, config),
            APP_API,
            f"reading managed environment {config.environment}",
        )
        live = read_app(arm, config)
    if group is not None and needs_registry:
        registry = read_registry(arm, config.resource_group, config.registry)
    return Survey(
        live,
        MappingProxyType(providers),
        group,
        environment,
        registry,
        image.describe(),
        needs_registry,
    )


def planned_changes(
    survey: Survey, config: AzureConfig, secrets: Mapping[str, str] | None = None
) -> list[PlanChange]:
    """What a deploy would change, from the survey (``secrets``: variable → fingerprint of
    those the new revision would read, part of its name)."""
    c = config
    changes = [
        PlanChange("update", f"provider {ns}", "register (NotRegistered)")
        for ns, state in survey.providers.items()
        if state == "NotRegistered"
    ]
    changes.append(
        PlanChange(
            "keep" if survey.group else "create",
            f"resource group {c.resource_group}",
            c.location,
        )
    )
    changes.append(
        PlanChange(
            "keep" if survey.environment else "create",
            f"managed environment {c.environment}",
            "no Log Analytics",
        )
    )
    if survey.needs_registry:
        how = " (derived name)" if c.registry_derived else ""
        changes.append(
            PlanChange(
                "keep" if survey.registry else "create",
                f"container registry {c.registry}{how}",
                survey.registry.login_server if survey.registry else "SKU Basic",
            )
        )
        access = survey.live.registry_access if survey.live else ""
        changes.append(
            PlanChange(
                "keep" if access else "update",
                "registry access",
                access
                or "the app's identity with AcrPull (the admin credentials if a role "
                "assignment is refused)",
            )
        )
    if survey.image:
        # A prebuilt image is only read; one built or assembled may be pushed.
        action = "update" if survey.needs_registry else "keep"
        changes.append(PlanChange(action, "image", survey.image))
    pinned = bool(c.image) and "@sha256:" in c.image
    wanted = revision_name(c, c.image, secrets) if pinned else "a new revision"
    if survey.live is None:
        changes.append(PlanChange("create", f"container app {c.app_name}", f"{wanted} at 100 %"))
    elif pinned and survey.live.serving == wanted:
        changes.append(
            PlanChange("keep", f"container app {c.app_name}", f"revision {wanted} serves 100 %")
        )
    else:
        changes.append(
            PlanChange(
                "update",
                f"container app {c.app_name}",
                f"{wanted} at 0 % (unless the image is unchanged), verified, then 100 % "
                f"(now {survey.live.serving})",
            )
        )
    return changes
