"""Reading the service as it is (its body, revisions and secrets), and what that says: what
serves, what served before it, whether this tool made it, and what a deploy would change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...flow import Deployed
from ...ownership import is_managed
from ...result import PlanChange
from .config import GoogleConfig
from .connection import Connection
from .secrets import SecretsSurvey, SecretStore
from .service import (
    SecretRef,
    changes,
    is_ready,
    previous_revision,
    serving_revision,
    short_name,
)

__all__ = ["Survey", "planned_service_change", "take_survey"]


@dataclass(frozen=True)
class Survey:
    """The service (None when there is none), its revisions, newest first, and secrets."""

    service: dict[str, Any] | None
    revisions: tuple[dict[str, Any], ...] = ()
    secrets: SecretsSurvey = field(default_factory=SecretsSurvey)

    @property
    def current(self) -> dict[str, Any]:
        """The service's body ({} when there is none)."""
        return self.service or {}

    @property
    def serving(self) -> str:
        """The revision taking the most traffic ("" when none does)."""
        return serving_revision(self.current)

    @property
    def previous(self) -> str:
        """The revision that served before the serving one ("" when none is ready)."""
        return previous_revision(self.current, list(self.revisions)) if self.service else ""

    @property
    def latest(self) -> str:
        """The revision created last (it may serve nothing: a discarded candidate)."""
        return short_name(str(self.current.get("latestCreatedRevision", "")))

    @property
    def ready(self) -> list[str]:
        """The revisions that became ready, newest first."""
        return [short_name(str(r.get("name", ""))) for r in self.revisions if is_ready(r)]

    @property
    def image(self) -> str:
        containers = (self.current.get("template") or {}).get("containers") or [{}]
        return str(containers[0].get("image", ""))

    @property
    def uri(self) -> str:
        return str(self.current.get("uri", ""))

    @property
    def deployed(self) -> Deployed:
        return Deployed(
            exists=self.service is not None,
            serving=self.serving,
            previous=self.previous,
            managed=is_managed(self.current.get("labels")),
        )


def take_survey(conn: Connection, config: GoogleConfig, store: SecretStore) -> Survey:
    service = conn.run.get_service(config.service)
    if service is None:
        return Survey(None, secrets=store.survey({}))
    return Survey(service, tuple(conn.run.list_revisions(config.service)), store.survey(service))


def planned_service_change(
    survey: Survey, config: GoogleConfig, secrets: Mapping[str, SecretRef]
) -> PlanChange:
    """What a deploy would do to the service (plan reads no image: a digest is compared);
    ``secrets``: the versions it would read."""
    resource = f"Cloud Run service {config.service}"
    if survey.service is None:
        return PlanChange("create", resource, "first revision at 100 %")
    image = config.images.image if "@sha256:" in config.images.image else ""
    found = changes(survey.current, config.settings(image, secrets)) if image else ["a new image"]
    if not found:
        return PlanChange("keep", resource, f"{survey.serving} serves")
    return PlanChange(
        "update",
        resource,
        f"new revision at 0 % (tag candidate), verified, then 100 % (now {survey.serving}): "
        + "; ".join(found),
    )
