"""The ``cloudflare-workers`` target: plan, deploy (staged), outputs, rollback and destroy.

A deploy finds the bundle first (nothing is called before it is complete and within the
limits), checks the token, picks the account and reads its workers.dev subdomain. A
new Worker is uploaded and deployed in one PUT. An existing one gets a new version
without traffic (``stage``); when preview URLs work, the pipeline verifies it there and
``promote`` deploys it at 100 %, otherwise it is deployed at once and a failed
verification deploys the previous version again. The same bundle, bindings and
compatibility settings as the live version make no new version (``unchanged``).

This module holds the protocol methods only; each step lives in its own module
(see the package docstring).
"""

from __future__ import annotations

from collections.abc import Sequence

from ...artifact.workers_bundle import WorkersBundle
from ...context import RunContext
from ...errors import DeployError, Problem
from ...result import PlanChange, TargetResult
from .bundle import obtain_bundle
from .config import WorkersConfig, resolve
from .connection import NAME, Connector
from .decision import deploy_tag
from .deploying import Steps
from .results import live_url, result
from .survey import adopt, matches, pick_version, planned_changes, take_survey
from .upload import MANAGED_TAG

__all__ = ["CloudflareWorkersTarget", "create"]


class CloudflareWorkersTarget:
    name = NAME

    def __init__(self, context: RunContext, *, bundle_kind: WorkersBundle | None = None) -> None:
        self.context = context
        self.console = context.console
        self.config: WorkersConfig
        self.config, self._problems = resolve(context)
        self.bundle_kind = bundle_kind or WorkersBundle()
        self._connector = Connector(context, self.config, self._problems)
        self._steps = Steps(context, self.config)

    def validate(self) -> Sequence[Problem]:
        return tuple(self._problems)

    def plan(self) -> TargetResult:
        bundle = obtain_bundle(self.context, self.config, self.bundle_kind, self._problems)
        with self._connector.open() as conn:
            tag = deploy_tag(self.config, bundle, conn.known.account_id)
            survey = take_survey(conn, self.config)
        changes = planned_changes(survey, self.config, bundle, tag)
        for change in changes:
            self.console.info(f"  {change.action:<7} {change.resource}  {change.detail}".rstrip())
        return result(
            conn.known,
            self.config,
            url=live_url(conn.known, self.config) if survey.exists else "",
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id if survey.deployments else "",
            unchanged=all(change.action == "keep" for change in changes),
            changes=tuple(changes),
            notes=(f"Deploy tag of this bundle and its settings: {tag}.",),
        )

    def deploy(self) -> TargetResult:
        staged = self.stage()
        return self.promote(staged) if staged.candidate_url else staged

    def stage(self) -> TargetResult:
        bundle = obtain_bundle(self.context, self.config, self.bundle_kind, self._problems)
        with self._connector.open() as conn:
            tag = deploy_tag(self.config, bundle, conn.known.account_id)
            survey = take_survey(conn, self.config)
            if not survey.exists:
                return self._steps.first_deploy(conn, bundle, tag)
            adopt(conn, survey, self.config, self.console)
            if matches(survey, tag):
                return self._steps.unchanged(conn, survey)
            return self._steps.stage_version(conn, survey, bundle, tag)

    def promote(self, staged: TargetResult) -> TargetResult:
        with self._connector.open() as conn:
            deployment = self._steps.deploy_version(conn, staged.version)
        self.console.info(
            f"Version {staged.version} verified at its preview URL now serves 100 % "
            f"(deployment {deployment.id})."
        )
        return result(
            conn.known,
            self.config,
            url=live_url(conn.known, self.config),
            version=staged.version,
            previous_version=staged.previous_version,
            deployment_id=deployment.id,
            unchanged=False,
            changes=(
                *staged.changes,
                PlanChange(
                    "update", "deployment", f"{staged.previous_version} → {staged.version} at 100 %"
                ),
            ),
            preview_url=staged.outputs.get("preview-url", ""),
            can_roll_back=bool(staged.previous_version),
        )

    def discard(self, staged: TargetResult) -> None:
        self.console.info(
            f"Version {staged.version} got no traffic and stays in the version history only; "
            f"version {staged.previous_version} still serves."
        )

    def outputs(self) -> TargetResult:
        with self._connector.open() as conn:
            survey = take_survey(conn, self.config)
        if not survey.exists or not survey.deployments:
            raise DeployError(
                f"No Worker {self.config.script_name} is deployed on account "
                f"{conn.known.account_id}.",
                target=NAME,
                remediation="Deploy first, or check server-name and cloudflare-account-id.",
            )
        return result(
            conn.known,
            self.config,
            url=live_url(conn.known, self.config),
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id,
            can_roll_back=bool(survey.previous),
        )

    def rollback(self, to_version: str) -> TargetResult:
        name = self.config.script_name
        with self._connector.open() as conn:
            survey = take_survey(conn, self.config)
            if not survey.exists or not survey.deployments:
                raise DeployError(
                    f"There is nothing to roll back: no Worker {name} is deployed on account "
                    f"{conn.known.account_id}.",
                    target=NAME,
                    remediation="Deploy first, or check server-name and cloudflare-account-id.",
                )
            current = survey.current
            wanted = pick_version(conn, survey, self.config, to_version.strip())
            url = live_url(conn.known, self.config)
            if wanted == current and survey.deployments[0].whole_version == current:
                self.console.info(f"Version {wanted} already serves 100 %; nothing to do.")
                return result(
                    conn.known,
                    self.config,
                    url=url,
                    version=current,
                    previous_version=survey.previous,
                    deployment_id=survey.deployments[0].id,
                    unchanged=True,
                )
            deployment = self._steps.deploy_version(conn, wanted, rollback=True)
        self.console.info(f"{name}: version {current} → {wanted} at 100 % (rolled back).")
        return result(
            conn.known,
            self.config,
            url=url,
            version=wanted,
            previous_version=current,
            deployment_id=deployment.id,
            unchanged=False,
            changes=(PlanChange("update", "deployment", f"{current} → {wanted} at 100 %"),),
            can_roll_back=True,
        )

    def destroy(self) -> TargetResult:
        name = self.config.script_name
        with self._connector.open() as conn:
            survey = take_survey(conn, self.config)
            if not survey.exists:
                raise DeployError(
                    f"Nothing to destroy: there is no Worker {name} on account "
                    f"{conn.known.account_id}.",
                    target=NAME,
                    remediation="Check server-name and cloudflare-account-id.",
                )
            if MANAGED_TAG not in survey.tags:
                raise DeployError(
                    f"The Worker {name} was not deployed by pmcp-action (it lacks the tag "
                    f"{MANAGED_TAG}); it is left alone.",
                    target=NAME,
                    remediation="Delete it where it was made (`wrangler delete --name "
                    f"{name}` or the dashboard).",
                )
            conn.api.delete_script(name)
        self.console.info(f"Deleted the Worker {name} (all its versions and deployments).")
        return result(
            conn.known,
            self.config,
            unchanged=False,
            changes=(PlanChange("delete", f"Worker {name}", "all versions and deployments"),),
        )


def create(context: RunContext) -> CloudflareWorkersTarget:
    """The factory the declaration names."""
    return CloudflareWorkersTarget(context)
