"""The deploy steps: a first deploy in one PUT, an unchanged Worker (its route repaired),
a new version uploaded without traffic, a version deployed at 100 %."""

from __future__ import annotations

from ...artifact.workers_bundle import ModuleBundle
from ...context import RunContext
from ...result import PlanChange, TargetResult
from .api import DeploymentInfo
from .config import WorkersConfig
from .connection import Connection
from .failures import ERR_SECRETS_CHANGED, CloudflareApiError
from .results import describe, live_url, preview_url, result
from .retry import create_once
from .survey import Survey
from .upload import MESSAGE_ANNOTATION, Messages, make_upload

__all__ = ["Steps"]


class Steps:
    """The calls that change a Worker, for one target (its messages are unique per call)."""

    def __init__(self, context: RunContext, config: WorkersConfig) -> None:
        self.context = context
        self.config = config
        self.console = context.console
        self.messages = Messages(context.environ)

    def first_deploy(self, conn: Connection, bundle: ModuleBundle, tag: str) -> TargetResult:
        name = self.config.script_name
        upload = make_upload(self.config, bundle, tag=tag, message=self.messages.next(), first=True)
        self.console.info(
            f"{name} is a new Worker: uploading {len(bundle.modules)} modules and deploying "
            "them at 100 % (a first deploy has no earlier version to keep serving)."
        )
        answer = conn.api.upload_script(name, upload)
        deployments = conn.api.deployments(name)
        version = deployments[0].main_version if deployments else ""
        conn.api.enable_script_subdomain(name, previews=True)
        deployment_id = str(answer.get("deployment_id") or "") or (
            deployments[0].id if deployments else ""
        )
        return result(
            conn.known,
            self.config,
            url=live_url(conn.known, self.config),
            version=version,
            deployment_id=deployment_id,
            unchanged=False,
            changes=(
                PlanChange("create", f"Worker {name}", describe(bundle)),
                PlanChange("create", "workers.dev route", "with version preview URLs"),
            ),
        )

    def unchanged(self, conn: Connection, survey: Survey) -> TargetResult:
        name = self.config.script_name
        changes: tuple[PlanChange, ...] = ()
        if not survey.subdomain_enabled:
            conn.api.enable_script_subdomain(name, previews=survey.previews_enabled)
            changes = (PlanChange("update", "workers.dev route", "enabled again"),)
        self.console.info(
            f"{name}: version {survey.current} already serves this bundle with these bindings "
            "and compatibility settings; no new version."
            + (" Repaired: the workers.dev route was off." if changes else "")
        )
        return result(
            conn.known,
            self.config,
            url=live_url(conn.known, self.config),
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id,
            unchanged=not changes,
            changes=changes,
            can_roll_back=bool(survey.previous),
        )

    def stage_version(
        self, conn: Connection, survey: Survey, bundle: ModuleBundle, tag: str
    ) -> TargetResult:
        name = self.config.script_name
        message = self.messages.next()
        upload = make_upload(self.config, bundle, tag=tag, message=message, first=False)
        version = create_once(
            self.context,
            lambda: conn.api.upload_version(name, upload),
            lambda: next(
                (
                    v
                    for v in conn.api.versions(name)
                    if v.annotations.get(MESSAGE_ANNOTATION) == message[:100]
                ),
                None,
            ),
            f"the upload of a new version of {name}",
        )
        if not survey.subdomain_enabled:
            conn.api.enable_script_subdomain(name, previews=survey.previews_enabled)
        current = survey.current
        created = PlanChange("create", f"version {version.id}", describe(bundle))
        if version.has_preview and survey.previews_enabled:
            preview = preview_url(version.id, conn.known, self.config)
            self.console.info(
                f"Uploaded version {version.id} without traffic; it is verified at its preview "
                f"URL {preview} before it serves. Version {current} serves meanwhile."
            )
            return result(
                conn.known,
                self.config,
                candidate_url=preview,
                version=version.id,
                previous_version=current,
                unchanged=False,
                changes=(created,),
                preview_url=preview,
            )
        reason = (
            "version preview URLs are off for this Worker"
            if not survey.previews_enabled
            else "Cloudflare gave the new version no preview URL"
        )
        self.console.info(
            f"Uploaded version {version.id}; {reason}, so it is deployed at 100 % now and "
            f"verified at the live URL (version {current} comes back if that fails)."
        )
        deployment = self.deploy_version(conn, version.id)
        return result(
            conn.known,
            self.config,
            url=live_url(conn.known, self.config),
            version=version.id,
            previous_version=current,
            deployment_id=deployment.id,
            unchanged=False,
            changes=(
                created,
                PlanChange("update", "deployment", f"{current} → {version.id} at 100 %"),
            ),
            notes=(f"Not verified before it served: {reason}.",),
            can_roll_back=bool(current),
        )

    def deploy_version(
        self, conn: Connection, version_id: str, *, rollback: bool = False
    ) -> DeploymentInfo:
        """Deploy one version at 100 %; a rollback refused for changed secrets is forced."""
        name = self.config.script_name

        def create(force: bool) -> DeploymentInfo:
            message = self.messages.next()
            return create_once(
                self.context,
                lambda: conn.api.create_deployment(name, version_id, message, force=force),
                lambda: next(
                    (
                        d
                        for d in conn.api.deployments(name)[:5]
                        if d.annotations.get(MESSAGE_ANNOTATION) == message[:100]
                    ),
                    None,
                ),
                f"the deployment of version {version_id}",
            )

        try:
            return create(False)
        except CloudflareApiError as exc:
            if not (rollback and exc.has(ERR_SECRETS_CHANGED)):
                raise
        self.console.warning(
            f"Cloudflare refused to deploy version {version_id} again because a secret changed "
            "since it was active (code 10220); deploying it with force=true, the documented "
            "override. It runs with the secrets it was uploaded with.",
            title="Rollback with force",
        )
        return create(True)
