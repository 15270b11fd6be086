"""The steps of the flow on Demo Cloud: a service created with its first version, a new
version staged without traffic, promoted or discarded, traffic moved back, the service
deleted, a version's logs read."""

from __future__ import annotations

from dataclasses import replace

from pmcp_action.plugin import (
    MANAGED_BY,
    OWNER,
    DeployError,
    LogExcerpt,
    PlanChange,
    Resource,
    TargetResult,
    labels,
)
from pmcp_action.plugin import Steps as FlowSteps

from .artifact import Artifact
from .config import DemoConfig
from .connection import Connection
from .logs import read_logs
from .results import candidate_url, result
from .survey import Survey, take_survey

__all__ = ["Steps"]


class Steps(FlowSteps[Survey, Artifact]):
    """The calls that read and change one Demo Cloud service over one connection."""

    def __init__(self, config: DemoConfig, conn: Connection) -> None:
        self.config = config
        self.conn = conn
        self.api = conn.api
        self.name = config.service

    # --- reading -------------------------------------------------------------------------
    def resource(self) -> Resource:
        return Resource(
            kind="Demo Cloud service",
            name=self.name,
            where=f"at {self.config.endpoint}",
            mark=f"the label {MANAGED_BY}={OWNER}",
            chosen_by="server-name and demo-endpoint",
            adopt_hint=f"Label it {MANAGED_BY}={OWNER} in the Demo Cloud console",
            delete_hint="the Demo Cloud console",
        )

    def survey(self, artifact: Artifact | None) -> Survey:
        return take_survey(self.conn, self.config)

    def planned(self, survey: Survey, artifact: Artifact) -> TargetResult:
        serving = survey.deployed.serving
        changes: tuple[PlanChange, ...]
        if not survey.deployed.exists:
            changes = (
                PlanChange("create", f"service {self.name}", f"in {self.config.region}"),
                PlanChange("create", "version 1", artifact.describe),
            )
        elif survey.serving_digest == artifact.digest:
            changes = (PlanChange("keep", f"version {serving}", "same digest"),)
        else:
            changes = (
                PlanChange("create", "version", artifact.describe),
                PlanChange("update", "traffic", f"version {serving} → the new version"),
            )
        return self._result(
            survey,
            version=serving,
            previous_version=survey.deployed.previous,
            unchanged=all(change.action == "keep" for change in changes),
            changes=changes,
        )

    def outputs(self, survey: Survey) -> TargetResult:
        return self._result(
            survey, version=survey.deployed.serving, previous_version=survey.deployed.previous
        )

    # --- changing ------------------------------------------------------------------------
    def first_deploy(self, survey: Survey, artifact: Artifact) -> TargetResult:
        self.api.create_service(self.name, self.config.region, labels(), artifact.digest)
        return self._result(take_survey(self.conn, self.config), version="1", unchanged=False)

    def unchanged(self, survey: Survey, artifact: Artifact) -> TargetResult | None:
        if survey.serving_digest != artifact.digest:
            return None
        return self._result(
            survey,
            version=survey.deployed.serving,
            previous_version=survey.deployed.previous,
            unchanged=True,
        )

    def stage(self, survey: Survey, artifact: Artifact) -> TargetResult:
        version = self.api.add_version(self.name, artifact.digest)
        return self._result(
            survey,
            version=version,
            previous_version=survey.deployed.serving,
            unchanged=False,
            candidate_url=candidate_url(self.config, version),
        )

    def promote(self, staged: TargetResult) -> TargetResult:
        self.api.serve(self.name, staged.version, instead_of=staged.previous_version)
        return replace(staged, candidate_url="")

    def discard(self, staged: TargetResult) -> None:
        self.api.drop_version(self.name, staged.version)

    def rollback_version(self, survey: Survey, wanted: str) -> str:
        if wanted and wanted not in survey.versions:
            known = ", ".join(survey.versions) or "none"
            raise DeployError(
                f"Service {self.name} has no version {wanted!r}.",
                remediation=f"Give one of its versions with rollback-to (--to): {known}.",
            )
        return super().rollback_version(survey, wanted)

    def move_traffic(self, survey: Survey, version: str) -> TargetResult:
        serving = survey.deployed.serving
        self.api.serve(self.name, version, instead_of=serving)
        return self._result(survey, version=version, previous_version=serving, unchanged=False)

    def remove(self, survey: Survey) -> TargetResult:
        self.api.delete_service(self.name)
        detail = f"{len(survey.versions)} version{'s' if len(survey.versions) != 1 else ''}"
        return self._result(
            survey, changes=(PlanChange("delete", f"service {self.name}", detail),), served=False
        )

    def read_logs(
        self, survey: Survey, version: str, *, since: float | None, limit: int
    ) -> LogExcerpt:
        return read_logs(self.conn, self.config, version, limit)

    def _result(
        self,
        survey: Survey,
        *,
        version: str = "",
        previous_version: str = "",
        unchanged: bool | None = None,
        candidate_url: str = "",
        changes: tuple[PlanChange, ...] = (),
        served: bool = True,
    ) -> TargetResult:
        """A result naming the service ``survey`` read; its URL while it serves."""
        return result(
            self.config,
            self.conn,
            ref=survey.ref,
            url=self.config.endpoint if served and survey.deployed.exists else "",
            version=version,
            previous_version=previous_version,
            unchanged=unchanged,
            candidate_url=candidate_url,
            changes=changes,
        )
