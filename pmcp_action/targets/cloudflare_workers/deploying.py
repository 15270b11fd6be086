"""The steps of the flow on Workers: a first deploy in one PUT, an unchanged Worker (its
route repaired), a new version uploaded without traffic, a version deployed at 100 %, a
rollback, the Worker deleted."""

from __future__ import annotations

from dataclasses import replace

from ...artifact.workers_bundle import ModuleBundle
from ...context import RunContext
from ...errors import DeployError
from ...flow import NothingDeployedError, TrafficMovedError
from ...flow import Steps as FlowSteps
from ...once import create_once
from ...ownership import Adoption, Resource
from ...previews.identity import Preview
from ...result import PlanChange, TargetResult
from ...traffic_steps import split_change
from .api import DeploymentInfo, ScriptUpload, VersionInfo
from .config import WorkersConfig
from .connection import Connection
from .decision import deploy_tag
from .declaration import NAME
from .failures import ERR_SECRETS_CHANGED, CloudflareApiError
from .previews import ALIAS_ANNOTATION
from .results import alias_url, describe, live_url, preview_url, result
from .secrets import live_secret_names, secret_outcomes
from .survey import Survey, matches, pick_version, planned_changes, take_survey
from .upload import MANAGED_TAG, MESSAGE_ANNOTATION, Messages, make_upload

__all__ = ["Steps"]


class Steps(FlowSteps[Survey, ModuleBundle]):
    """The calls that read and change one Worker over one connection."""

    #: A Worker made elsewhere has nothing this tool could lose: it is tagged and updated.
    adoption = Adoption.ADOPT

    def __init__(
        self, context: RunContext, config: WorkersConfig, conn: Connection, messages: Messages
    ) -> None:
        self.context = context
        self.config = config
        self.conn = conn
        self.console = context.console
        #: Unique per create call (and per target), so a lost answer can be looked up.
        self.messages = messages
        self._tags: dict[str, str] = {}

    # --- reading -------------------------------------------------------------------------
    def resource(self) -> Resource:
        name = self.config.script_name
        return Resource(
            kind="Worker",
            name=name,
            where=f"on account {self.conn.known.account_id}",
            mark=f"the tag {MANAGED_TAG}",
            chosen_by="server-name and cloudflare-account-id",
            delete_hint=f"`wrangler delete --name {name}` or the dashboard",
        )

    def survey(self, artifact: ModuleBundle | None) -> Survey:
        return take_survey(self.conn, self.config)

    def _tag(self, bundle: ModuleBundle) -> str:
        """The deploy tag of this bundle and these settings (computed once per bundle)."""
        if bundle.sha256 not in self._tags:
            self._tags[bundle.sha256] = deploy_tag(self.config, bundle, self.conn.known.account_id)
        return self._tags[bundle.sha256]

    def _upload_once(self, upload: ScriptUpload, message: str, what: str) -> VersionInfo:
        """Upload a version (no deployment) once: after a lost answer, the versions list
        (the upload's message annotation) proves whether it happened."""
        name, api = self.config.script_name, self.conn.api
        return create_once(
            self.context,
            lambda: api.upload_version(name, upload),
            lambda: next(
                (
                    v
                    for v in api.versions(name)
                    if v.annotations.get(MESSAGE_ANNOTATION) == message[:100]
                ),
                None,
            ),
            what,
        )

    def planned(self, survey: Survey, artifact: ModuleBundle) -> TargetResult:
        tag = self._tag(artifact)
        changes = planned_changes(survey, self.config, artifact, tag)
        return self._result(
            url=live_url(self.conn.known, self.config) if survey.exists else "",
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id if survey.deployments else "",
            unchanged=all(change.action == "keep" for change in changes),
            changes=tuple(changes),
            notes=(f"Deploy tag of this bundle and its settings: {tag}.",),
            secrets=secret_outcomes(self.config, survey.live, new_version=not matches(survey, tag)),
        )

    def outputs(self, survey: Survey) -> TargetResult:
        if not survey.deployments:
            raise self._never_deployed("No outputs")
        return self._result(
            url=live_url(self.conn.known, self.config),
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id,
            can_roll_back=bool(survey.previous),
        )

    def stored_secrets(self, survey: Survey) -> frozenset[str]:
        return live_secret_names(survey.live)

    # --- deploying -----------------------------------------------------------------------
    def adopt(self, survey: Survey) -> None:
        """Tag a Worker this tool did not make, with a warning, before it is updated."""
        self.console.warning(
            f"The Worker {self.config.script_name} exists but was not deployed by pmcp-action; "
            f"it is updated and tagged {MANAGED_TAG} from now on.",
            title="Existing Worker",
        )
        self.conn.api.set_tags(self.config.script_name, [*survey.tags, MANAGED_TAG])

    def first_deploy(self, survey: Survey, artifact: ModuleBundle) -> TargetResult:
        name = self.config.script_name
        upload = make_upload(
            self.config, artifact, tag=self._tag(artifact), message=self.messages.next(), first=True
        )
        self.console.info(
            f"{name} is a new Worker: uploading {len(artifact.modules)} modules and deploying "
            "them at 100 % (a first deploy has no earlier version to keep serving)."
        )
        api = self.conn.api
        # The Worker did not exist: after a lost answer, its existence proves the upload.
        answer = create_once(
            self.context,
            lambda: api.upload_script(name, upload),
            lambda: {} if api.service(name) is not None else None,
            f"the upload of the Worker {name}",
        )
        deployments = api.deployments(name)
        version = deployments[0].main_version if deployments else ""
        api.enable_script_subdomain(name, previews=True)
        deployment_id = str(answer.get("deployment_id") or "") or (
            deployments[0].id if deployments else ""
        )
        return self._result(
            url=live_url(self.conn.known, self.config),
            version=version,
            deployment_id=deployment_id,
            unchanged=False,
            changes=(
                PlanChange("create", f"Worker {name}", describe(artifact)),
                PlanChange("create", "workers.dev route", "with version preview URLs"),
            ),
            secrets=secret_outcomes(self.config, None, new_version=True),
        )

    def unchanged(self, survey: Survey, artifact: ModuleBundle) -> TargetResult | None:
        if not matches(survey, self._tag(artifact)):
            return None
        name = self.config.script_name
        changes: tuple[PlanChange, ...] = ()
        if not survey.subdomain_enabled:
            self.conn.api.enable_script_subdomain(name, previews=survey.previews_enabled)
            changes = (PlanChange("update", "workers.dev route", "enabled again"),)
        self.console.info(
            f"{name}: version {survey.current} already serves this bundle with these bindings "
            "and compatibility settings; no new version."
            + (" Repaired: the workers.dev route was off." if changes else "")
        )
        return self._result(
            url=live_url(self.conn.known, self.config),
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id,
            unchanged=not changes,
            changes=changes,
            can_roll_back=bool(survey.previous),
            secrets=secret_outcomes(self.config, survey.live, new_version=False),
        )

    def stage(self, survey: Survey, artifact: ModuleBundle) -> TargetResult:
        name = self.config.script_name
        api, known = self.conn.api, self.conn.known
        message = self.messages.next()
        upload = make_upload(
            self.config, artifact, tag=self._tag(artifact), message=message, first=False
        )
        version = self._upload_once(upload, message, f"the upload of a new version of {name}")
        if not survey.subdomain_enabled:
            api.enable_script_subdomain(name, previews=survey.previews_enabled)
        current = survey.current
        created = PlanChange("create", f"version {version.id}", describe(artifact))
        if version.has_preview and survey.previews_enabled:
            preview = preview_url(version.id, known, self.config)
            self.console.info(
                f"Uploaded version {version.id} without traffic; it is verified at its preview "
                f"URL {preview} before it serves. Version {current} serves meanwhile."
            )
            return self._result(
                candidate_url=preview,
                version=version.id,
                previous_version=current,
                unchanged=False,
                changes=(created,),
                preview_url=preview,
                secrets=secret_outcomes(self.config, survey.live, new_version=True),
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
        deployment = self._deploy_version(version.id)
        return self._result(
            url=live_url(known, self.config),
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
            secrets=secret_outcomes(self.config, survey.live, new_version=True),
        )

    def promote(self, staged: TargetResult) -> TargetResult:
        deployment = self._deploy_version(staged.version)
        self.console.info(
            f"Version {staged.version} verified at its preview URL now serves 100 % "
            f"(deployment {deployment.id})."
        )
        return self._result(
            url=live_url(self.conn.known, self.config),
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
            preview_url=staged.outputs.get("version-preview-url", ""),
            can_roll_back=bool(staged.previous_version),
            secrets=staged.secrets,
        )

    def discard(self, staged: TargetResult) -> None:
        self.console.info(
            f"Version {staged.version} got no traffic and stays in the version history only; "
            f"version {staged.previous_version} still serves."
        )

    def shift_traffic(self, staged: TargetResult, percent: int, *, current: int) -> TargetResult:
        """A deployment of the two versions at these percentages (100 % of the previous one
        for 0), once the active deployment is read to be the split this run left.

        Cloudflare's deployments take no precondition (no etag, no If-Match): the read just
        before the write is the check, and a deployment another run makes between the two
        wins the last word over this one's step."""
        name = self.config.script_name
        new, previous = staged.version, staged.previous_version
        left = {previous: 100 - current, new: current}
        left = {version: share for version, share in left.items() if share}
        active = self.conn.api.deployments(name)
        found = dict(active[0].versions) if active else {}
        if found != left:
            serving = active[0].main_version if active else ""
            raise TrafficMovedError(
                f"The active deployment of the Worker {name} is no longer the split this run "
                f"left ({new} at {current} %, {previous} at {100 - current} %): "
                f"{serving or 'no version'} takes the most now.",
                target=NAME,
                serving=serving,
            )
        if percent == current:
            return staged  # a check only, before the promotion
        split = ((previous, 100),) if not percent else ((previous, 100 - percent), (new, percent))
        # A step back to the previous version is a rollback: forced past changed secrets.
        deployment = self._deploy(split, rollback=not percent)
        self.console.info(
            f"{name}: version {new} at {percent} %, {previous} at {100 - percent} % "
            f"(deployment {deployment.id})."
        )
        live = live_url(self.conn.known, self.config)  # what each step verifies
        return split_change(replace(staged, url=live, deployment_id=deployment.id), percent)

    # --- rolling back and removing -----------------------------------------------------
    def rollback_version(self, survey: Survey, wanted: str) -> str:
        if not survey.deployments:
            raise self._never_deployed("There is nothing to roll back")
        return pick_version(self.conn, survey, self.config, wanted)

    def already_serving(self, survey: Survey) -> TargetResult:
        return self._result(
            url=live_url(self.conn.known, self.config),
            version=survey.current,
            previous_version=survey.previous,
            deployment_id=survey.deployments[0].id,
            unchanged=True,
        )

    def move_traffic(self, survey: Survey, version: str) -> TargetResult:
        current = survey.current
        deployment = self._deploy_version(version, rollback=True)
        self.console.info(
            f"{self.config.script_name}: version {current} → {version} at 100 % (rolled back)."
        )
        return self._result(
            url=live_url(self.conn.known, self.config),
            version=version,
            previous_version=current,
            deployment_id=deployment.id,
            unchanged=False,
            changes=(PlanChange("update", "deployment", f"{current} → {version} at 100 %"),),
            can_roll_back=True,
        )

    def remove(self, survey: Survey) -> TargetResult:
        name = self.config.script_name
        self.conn.api.delete_script(name)
        self.console.info(f"Deleted the Worker {name} (all its versions and deployments).")
        return self._result(
            unchanged=False,
            changes=(PlanChange("delete", f"Worker {name}", "all versions and deployments"),),
        )

    # --- previews ------------------------------------------------------------------------
    def _aliased(self) -> dict[str, list[str]]:
        """Preview alias -> the versions that carry it, newest first."""
        found: dict[str, list[str]] = {}
        for version in self.conn.api.versions(self.config.script_name):
            alias = version.annotations.get(ALIAS_ANNOTATION, "")
            if alias:
                found.setdefault(alias, []).append(version.id)
        return found

    def previews(self, survey: Survey) -> tuple[str, ...]:
        return tuple(sorted(self._aliased())) if survey.exists else ()

    def deploy_preview(
        self, survey: Survey, artifact: ModuleBundle, preview: Preview
    ) -> TargetResult:
        name = self.config.script_name
        known = self.conn.known
        if not survey.deployments:
            raise self._never_deployed(f"No preview {preview.id}")
        if not (survey.subdomain_enabled and survey.previews_enabled):
            raise DeployError(
                f"The Worker {name} has its preview URLs turned off, so the preview "
                f"{preview.id} would have no URL.",
                target=NAME,
                remediation="Turn on Preview URLs (Worker → Settings → Domains & Routes), or "
                "set preview_urls = true in wrangler.toml and deploy.",
            )
        message = self.messages.next()
        upload = make_upload(
            self.config,
            artifact,
            tag=self._tag(artifact),
            message=message,
            first=False,
            alias=preview.id,
        )
        version = self._upload_once(
            upload, message, f"the upload of preview {preview.id} of {name}"
        )
        url = alias_url(preview.id, known, self.config)
        self.console.info(
            f"Uploaded version {version.id} under the preview alias {preview.id} ({url}), "
            f"without a deployment; version {survey.current} still serves."
        )
        done = self._result(
            url=url,
            version=version.id,
            deployment_id=version.id,
            unchanged=False,
            changes=(PlanChange("create", f"version {version.id}", f"preview alias {preview.id}"),),
        )
        return replace(done, service_url=url, preview_id=preview.id, preview_url=url)

    def remove_preview(self, survey: Survey, preview: str) -> TargetResult:
        name = self.config.script_name
        versions = self._aliased().get(preview, []) if survey.exists else []
        if not versions:
            note = f"There is no preview {preview} of the Worker {name}; nothing to remove."
            self.console.info(note)
            return replace(self._result(unchanged=True, notes=(note,)), preview_id=preview)
        serving = {v for d in survey.deployments[:1] for v, _ in d.versions}
        kept = [v for v in versions if v in serving]
        for version_id in versions:
            if version_id not in serving:
                self.conn.api.delete_version(name, version_id)
        removed = [v for v in versions if v not in serving]
        self.console.info(
            f"Deleted {len(removed)} version(s) of {name} under the preview alias {preview}"
            + (f"; {', '.join(kept)} serve(s) production and stay." if kept else ".")
        )
        return replace(
            self._result(
                unchanged=False,
                changes=tuple(
                    PlanChange("delete", f"version {v}", f"preview alias {preview}")
                    for v in removed
                ),
            ),
            preview_id=preview,
        )

    # --- helpers --------------------------------------------------------------------------
    def _result(self, **fields: object) -> TargetResult:
        return result(self.conn.known, self.config, **fields)  # type: ignore[arg-type]

    def _never_deployed(self, doing: str) -> NothingDeployedError:
        resource = self.resource()
        return NothingDeployedError(
            f"{doing}: the {resource.title} {resource.where} has never been deployed.",
            target=NAME,
            remediation=f"Deploy first, or check {resource.chosen_by}.",
        )

    def _deploy_version(self, version_id: str, *, rollback: bool = False) -> DeploymentInfo:
        """Deploy one version at 100 %; a rollback refused for changed secrets is forced."""
        return self._deploy(((version_id, 100),), rollback=rollback)

    def _deploy(
        self, versions: tuple[tuple[str, int], ...], *, rollback: bool = False
    ) -> DeploymentInfo:
        """Deploy ``versions`` (id, percentage); a rollback refused for changed secrets is
        forced."""
        name = self.config.script_name
        api = self.conn.api
        version_id = max(versions, key=lambda item: item[1])[0]

        def create(force: bool) -> DeploymentInfo:
            message = self.messages.next()
            return create_once(
                self.context,
                lambda: api.create_deployment(name, versions, message, force=force),
                lambda: next(
                    (
                        d
                        for d in api.deployments(name)[:5]
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
