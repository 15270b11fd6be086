"""Reading the Worker as it is (script, tags, deployments, live version, route), and what
that says: unchanged or not, the plan, the version a rollback returns to."""

from __future__ import annotations

from dataclasses import dataclass

from ...artifact.workers_bundle import ModuleBundle
from ...errors import DeployError
from ...flow import Deployed
from ...result import PlanChange
from .api import DeploymentInfo, VersionInfo
from .bindings import binding_changes
from .config import WorkersConfig
from .connection import Connection
from .decision import serves_tag
from .declaration import NAME
from .results import describe
from .upload import MANAGED_TAG, TAG_ANNOTATION

__all__ = ["Survey", "matches", "pick_version", "planned_changes", "take_survey"]


@dataclass(frozen=True)
class Survey:
    exists: bool
    tags: tuple[str, ...] = ()
    #: Newest first.
    deployments: tuple[DeploymentInfo, ...] = ()
    live: VersionInfo | None = None
    #: The version that served at 100 % before the live one.
    previous: str = ""
    subdomain_enabled: bool = False
    previews_enabled: bool = False

    @property
    def current(self) -> str:
        """The version with the largest share of the newest deployment."""
        return self.deployments[0].main_version if self.deployments else ""

    @property
    def deployed(self) -> Deployed:
        whole = self.deployments[0].whole_version if self.deployments else ""
        return Deployed(
            exists=self.exists,
            serving=whole,
            previous=self.previous,
            managed=MANAGED_TAG in self.tags,
        )


def take_survey(conn: Connection, config: WorkersConfig) -> Survey:
    name = config.script_name
    service = conn.api.service(name)
    if service is None:
        return Survey(exists=False)
    environment = service.get("default_environment")
    script = environment.get("script") if isinstance(environment, dict) else None
    tags = tuple(str(t) for t in (script or {}).get("tags") or ())
    deployments = tuple(conn.api.deployments(name))
    current = deployments[0].main_version if deployments else ""
    live = conn.api.version(name, current) if current else None
    previous = next(
        (d.whole_version for d in deployments[1:] if d.whole_version not in ("", current)),
        "",
    )
    enabled, previews = conn.api.script_subdomain(name)
    return Survey(True, tags, deployments, live, previous, enabled, previews)


def matches(survey: Survey, tag: str) -> bool:
    """Unchanged: the live version was made from this tag and serves alone."""
    return serves_tag(survey.live, survey.deployments[0] if survey.deployments else None, tag)


def pick_version(conn: Connection, survey: Survey, config: WorkersConfig, wanted: str) -> str:
    """The version a rollback deploys: the one asked for (8+ characters), else the previous."""
    name = config.script_name
    if not wanted:
        if not survey.previous:
            raise DeployError(
                f"No earlier deployment of {name} served a single version at 100 %, so "
                "there is no previous version to return to.",
                target=NAME,
                remediation="Give the version id to return to with rollback-to (--to).",
            )
        return survey.previous
    versions = conn.api.versions(name)
    exact = [v.id for v in versions if v.id == wanted]
    found = exact or [v.id for v in versions if len(wanted) >= 8 and v.id.startswith(wanted)]
    if len(found) == 1:
        return found[0]
    recent = ", ".join(v.id for v in versions[:5]) or "none"
    raise DeployError(
        f"{wanted!r} names {'no' if not found else 'more than one'} version of {name}.",
        target=NAME,
        remediation=f"Give a version id (or its first 8+ characters); recent versions: {recent}.",
    )


def planned_changes(
    survey: Survey, config: WorkersConfig, bundle: ModuleBundle, tag: str
) -> list[PlanChange]:
    name = config.script_name
    if not survey.exists:
        return [
            PlanChange("create", f"Worker {name}", describe(bundle)),
            PlanChange("create", "workers.dev route", "with version preview URLs"),
        ]
    if matches(survey, tag):
        changes = [PlanChange("keep", f"version {survey.current}", "same bundle and settings")]
        if not survey.subdomain_enabled:
            changes.append(PlanChange("update", "workers.dev route", "enable"))
        return changes
    live = survey.live
    diffs: list[str] = []
    if live is not None:
        if live.compatibility_date and live.compatibility_date != config.compatibility_date:
            diffs.append(
                f"compatibility date {live.compatibility_date} → {config.compatibility_date}"
            )
        diffs += binding_changes(live, config)
    detail = "; ".join([describe(bundle), *diffs])
    live_tag = live.annotations.get(TAG_ANNOTATION, "") if live else ""
    return [
        PlanChange("create", "version", detail),
        PlanChange(
            "update",
            "deployment",
            f"{survey.current} → the new version at 100 % (live tag {live_tag or 'none'}, "
            f"new tag {tag})",
        ),
    ]
