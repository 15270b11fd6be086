"""The steps of the flow on Cloud Run: a first revision at 100 %, an unchanged service, a
new revision without traffic under the tag ``candidate`` (its own URL), promoted to 100 %
or left without its tag, a rollback to an earlier revision, the service deleted, its logs.

The previous revision serves until the candidate is proven; every traffic move is a
conditional write (:mod:`.traffic`). The image is obtained once per command (a deploy that
turns out unchanged and one that stages push it once). The server's secrets
(:mod:`.secrets`) are written before the revision that reads them: a new value is a new
version the new revision pins, so it is verified with the code; a pruned secret is deleted
once the revision that no longer reads it serves.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from ...access import Access as Permissions
from ...artifact.oci_image import OciImageResult
from ...context import RunContext
from ...errors import DeployError
from ...flow import Steps as FlowSteps
from ...flow import TrafficMovedError
from ...once import create_once
from ...ownership import MANAGED_BY, OWNER, Resource
from ...previews.identity import Preview
from ...result import LogExcerpt, PlanChange, TargetResult
from ...secrets import SecretOutcome, SecretStatus
from ...traffic_steps import split_change
from .config import GoogleConfig
from .connection import Connection
from .declaration import NAME
from .failures import GoogleApiError
from .image import obtain_image, uses_default_repository
from .invoker import INVOKER, PUBLIC, Access, apply_access, is_public
from .logs import read_logs
from .previews import PREVIEW_LABEL, kept_tags, preview_tags, without_tag
from .resource_manager import ResourceManagerApi
from .results import app_url, result
from .secrets import SecretStore, shown
from .service import (
    REVISION_TYPE,
    all_to,
    changes,
    desired_body,
    pinned_traffic,
    revision_name,
    serving_revision,
    short_name,
    split_to,
    staged_traffic,
    tagged_uri,
)
from .survey import Survey, planned_service_change, take_survey
from .traffic import CONFLICT_ATTEMPTS, MovedPast, move, shares
from .trust import probe

__all__ = ["Steps"]


class Steps(FlowSteps[Survey, None]):
    """The calls that read and change one Cloud Run service over one connection."""

    def __init__(self, context: RunContext, config: GoogleConfig, conn: Connection) -> None:
        self.context = context
        self.config = config
        self.conn = conn
        self.console = context.console
        self.secrets = SecretStore(context, config, conn.secrets)
        self._image: OciImageResult | None = None

    # --- reading ---------------------------------------------------------------------------
    def resource(self) -> Resource:
        c = self.config
        where = f"--region {c.region} --project {c.project}"
        return Resource(
            kind="Cloud Run service",
            name=c.service,
            where=f"in project {c.project} ({c.region})",
            mark=f"the label {MANAGED_BY}={OWNER}",
            chosen_by="server-name, gcp-project and region",
            adopt_hint=f"Add the label {MANAGED_BY}={OWNER} to adopt it (gcloud run services "
            f"update {c.service} {where} --update-labels {MANAGED_BY}={OWNER})",
            delete_hint=f"gcloud run services delete {c.service} {where}",
        )

    def survey(self, artifact: None) -> Survey:
        return take_survey(self.conn, self.config, self.secrets)

    def stored_secrets(self, survey: Survey) -> frozenset[str]:
        return survey.secrets.usable_names

    def probe_access(self, survey: Survey, artifact: None) -> Permissions:
        api = ResourceManagerApi(
            self.conn.client,
            self.config.endpoints,
            token=self.conn.token.access_token,
            project=self.config.project,
        )
        return probe(api.held, self.config, self.conn.token.identity)

    def planned(self, survey: Survey, artifact: None) -> TargetResult:
        c = self.config
        self.secrets.check(survey.secrets)
        planned: list[PlanChange] = []
        if uses_default_repository(c):
            exists = self.conn.registry.find_repository(c.region, c.repository) is not None
            planned.append(
                PlanChange(
                    "keep" if exists else "create",
                    f"Artifact Registry repository {c.repository}",
                    f"{c.region}, Docker",
                )
            )
        planned.append(planned_service_change(survey, c, self.secrets.planned_refs(survey.secrets)))
        public = survey.service is not None and is_public(self.conn.run.get_iam_policy(c.service))
        if public != c.allow_unauthenticated:
            verb = "grant " if c.allow_unauthenticated else "withdraw "
            planned.append(PlanChange("update", f"IAM of {c.service}", f"{verb}{PUBLIC} {INVOKER}"))
        planned += self.secrets.planned(survey.secrets)
        return result(
            self.config,
            self._identity,
            image=survey.image,
            service=app_url(c, survey.uri),
            version=survey.serving,
            unchanged=all(change.action == "keep" for change in planned),
            changes=tuple(planned),
            secrets=survey.secrets.outcomes,
        )

    def outputs(self, survey: Survey) -> TargetResult:
        previous = survey.previous
        return result(
            self.config,
            self._identity,
            image=survey.image,
            service=app_url(self.config, survey.uri),
            version=survey.serving,
            previous_version=previous,
            deployment_id=survey.latest,
            can_roll_back=bool(previous),
        )

    def read_logs(
        self, survey: Survey, version: str, *, since: float | None, limit: int
    ) -> LogExcerpt:
        return read_logs(
            self.conn.logging,
            service=self.config.service,
            revision=version,
            since=since,
            limit=limit,
        )

    # --- deploying -------------------------------------------------------------------------
    def first_deploy(self, survey: Survey, artifact: None) -> TargetResult:
        c = self.config
        run = self.conn.run
        self.secrets.check(survey.secrets)
        image = self._obtain_image()
        refs, stored = self.secrets.write(survey.secrets, survey.current)

        def find() -> dict[str, Any] | None:
            found = run.get_service(c.service)
            return found if found is not None and serving_revision(found) else None

        created = create_once(
            self.context,
            lambda: run.wait(
                run.create_service(c.service, desired_body(c.settings(image.reference, refs))),
                f"creating service {c.service}",
            ),
            find,
            f"the creation of service {c.service}",
        )
        return self._first_serving(
            created,
            serving_revision(created),
            PlanChange("create", f"Cloud Run service {c.service}"),
            survey,
            stored,
        )

    def unchanged(self, survey: Survey, artifact: None) -> TargetResult | None:
        serving = survey.serving
        if not serving or (survey.latest and survey.latest != serving):
            return None  # nothing serves, or the serving revision does not run the template
        refs = self.secrets.pinned(survey.secrets)
        if refs is None:
            return None  # a new or changed secret: a new version, read by a new revision
        image = self._obtain_image()
        if changes(survey.current, self.config.settings(image.reference, refs)):
            return None
        access = self._access()
        # Secrets to prune that no revision of the template reads: nothing serves them.
        pruned = self._prune(survey.secrets.names(SecretStatus.REMOVED))
        done = (*access.changes, *pruned.values())
        self.console.info(
            f"Revision {serving} already runs this image and these settings"
            + ("; nothing to change." if not done else ".")
        )
        previous = survey.previous
        return result(
            self.config,
            self._identity,
            image=image.reference,
            service=app_url(self.config, survey.uri),
            version=serving,
            previous_version=previous,
            deployment_id=serving,
            unchanged=not done,
            can_roll_back=bool(previous),
            access_settling=access.settling,
            notes=access.notes,
            changes=done,
            secrets=shown(survey.secrets.outcomes, pruned),
        )

    def stage(self, survey: Survey, artifact: None) -> TargetResult:
        c = self.config
        run = self.conn.run
        self.secrets.check(survey.secrets)
        image = self._obtain_image()
        refs, stored = self.secrets.write(survey.secrets, survey.current)
        settings = c.settings(image.reference, refs)
        revision = revision_name(c.service, image.reference.rpartition("@")[2], _attempt())
        previous = survey.serving
        if not previous:
            # Its first revision never became ready: the new one takes 100 % at once.
            body = desired_body(
                settings, current=survey.current, revision=revision, traffic=all_to(revision)
            )
            after = run.wait(
                run.update_service(c.service, body), f"creating revision {revision} of {c.service}"
            )
            return self._first_serving(
                after,
                revision,
                PlanChange("update", f"service {c.service}", f"revision {revision} at 100 %"),
                survey,
                stored,
            )
        found = tuple(changes(survey.current, settings)) or (
            f"revision {previous} does not run the service's template",
        )
        staged = staged_traffic(survey.current, revision)
        body = desired_body(
            settings,
            current=survey.current,
            revision=revision,
            traffic=[*staged, *kept_tags(survey.current, staged)],
        )
        after = run.wait(
            run.update_service(c.service, body),
            f"creating revision {revision} of {c.service} (no traffic)",
        )
        if serving_revision(after) != previous:  # pragma: no cover - the API keeps the split
            raise DeployError(f"Staging moved the traffic off {previous}.", target=NAME)
        access = self._access()
        self.console.info(
            f"Revision {revision} is ready with no traffic (tag candidate); "
            f"{previous} still serves 100 %."
        )
        return result(
            self.config,
            self._identity,
            image=image.reference,
            service=app_url(c, str(after.get("uri", ""))),
            candidate=app_url(c, tagged_uri(after)),
            version=revision,
            previous_version=previous,
            deployment_id=revision,
            unchanged=False,
            can_roll_back=True,
            access_settling=access.settling,
            notes=access.notes,
            changes=(
                *stored,
                *(PlanChange("update", f"service {c.service}", detail) for detail in found),
                *access.changes,
            ),
            # A secret to prune is deleted by promote, once this revision serves.
            secrets=shown(survey.secrets.outcomes, ()),
        )

    def promote(self, staged: TargetResult) -> TargetResult:
        revision, previous = staged.version, staged.previous_version

        def all_to_ours(current: dict[str, Any]) -> list[dict[str, Any]]:
            serving = serving_revision(current)
            if previous and serving not in (previous, revision):
                raise MovedPast(serving)
            return all_to(revision)

        try:
            after = move(
                self.conn.run, self.config.service, all_to_ours, f"moving 100 % to {revision}"
            )
        except MovedPast as moved:
            return self._moved_past(staged, moved.serving)
        self.console.info(
            f"Revision {revision}, verified at its candidate URL, now serves 100 % "
            f"(was {previous})."
        )
        pruned = self._prune(self.secrets.removable(after))
        return result(
            self.config,
            self._identity,
            image=staged.outputs.get("image", ""),
            service=app_url(self.config, str(after.get("uri", ""))) or staged.service_url,
            version=revision,
            previous_version=previous,
            deployment_id=staged.deployment_id,
            unchanged=False,
            can_roll_back=True,
            access_settling=staged.access_settling,
            notes=staged.notes,
            changes=(
                *staged.changes,
                PlanChange("update", "traffic", f"{previous} → {revision} at 100 %"),
                *pruned.values(),
            ),
            secrets=shown(staged.secrets, pruned),
        )

    def shift_traffic(self, staged: TargetResult, percent: int, *, current: int) -> TargetResult:
        revision, previous = staged.version, staged.previous_version
        service = self.config.service
        left = {previous: 100 - current, revision: current}  # what the last step wrote
        left = {name: share for name, share in left.items() if share}
        wanted = {previous: 100 - percent, revision: percent}
        wanted = {name: share for name, share in wanted.items() if share}

        def split(read: dict[str, Any]) -> list[dict[str, Any]]:
            # Already as wanted: a write of ours whose answer was lost (written again, same).
            if shares(read) not in (left, wanted):
                raise MovedPast(serving_revision(read))
            return split_to(previous, revision, percent)

        try:
            if percent == current:  # a check only, before the promotion
                split(self.conn.run.get_service(service) or {})
                return staged
            move(self.conn.run, service, split, f"moving {percent} % to {revision}")
        except MovedPast as moved:
            raise TrafficMovedError(
                f"The traffic of service {service} is no longer split as this run left it "
                f"({revision} at {current} %, {previous} at {100 - current} %): "
                f"{moved.serving or 'no revision'} takes the most now.",
                target=NAME,
                serving=moved.serving,
            ) from None
        self.console.info(
            f"{service}: revision {revision} at {percent} %, {previous} at {100 - percent} %."
        )
        return split_change(staged, percent)

    def discard(self, staged: TargetResult) -> None:
        move(self.conn.run, self.config.service, pinned_traffic, "removing the candidate tag")
        self.console.info(
            f"Revision {staged.version} got no traffic and lost the tag candidate; revision "
            f"{staged.previous_version} still serves 100 %."
        )

    # --- rolling back and removing ---------------------------------------------------------
    def rollback_version(self, survey: Survey, wanted: str) -> str:
        service = self.config.service
        ready = survey.ready
        listed = f"Ready revisions, newest first: {', '.join(ready[:10]) or 'none'}."
        if wanted:
            if wanted not in ready:
                raise DeployError(
                    f"Revision {wanted} is not a ready revision of {service}.",
                    target=NAME,
                    remediation=listed,
                )
            return wanted
        previous = survey.previous
        if not previous:
            raise DeployError(
                f"Service {service} has no ready revision that served before {survey.serving}.",
                target=NAME,
                remediation=f"Name the revision to return to with rollback-to (--to). {listed}",
            )
        return previous

    def already_serving(self, survey: Survey) -> TargetResult:
        serving = survey.serving
        return result(
            self.config,
            self._identity,
            image=survey.image,
            service=app_url(self.config, survey.uri),
            version=serving,
            previous_version=serving,
            deployment_id=serving,
            unchanged=True,
        )

    def move_traffic(self, survey: Survey, version: str) -> TargetResult:
        c = self.config
        serving = survey.serving
        after = move(
            self.conn.run,
            c.service,
            lambda _current: all_to(version),
            f"moving 100 % to {version}",
            survey.current,
        )
        self.console.info(f"{c.service}: traffic {serving} → {version} at 100 % (rolled back).")
        return result(
            self.config,
            self._identity,
            image=Survey(after).image,
            service=app_url(c, str(after.get("uri", ""))),
            version=version,
            previous_version=serving,
            deployment_id=version,
            unchanged=False,
            can_roll_back=True,
            changes=(PlanChange("update", "traffic", f"traffic {serving} -> {version}"),),
        )

    def remove(self, survey: Survey) -> TargetResult:
        c = self.config
        run = self.conn.run
        run.wait(run.delete_service(c.service), f"deleting {c.service}")
        self.console.info(
            f"Deleted Cloud Run service {c.service} and its revisions; the images in Artifact "
            f"Registry ({c.repository}) are kept."
        )
        deleted = self.secrets.destroy()
        return result(
            self.config,
            self._identity,
            unchanged=False,
            changes=(
                PlanChange("delete", f"Cloud Run service {c.service}", "all revisions"),
                *deleted.values(),
            ),
            secrets=tuple(SecretOutcome(name, SecretStatus.REMOVED) for name in deleted),
        )

    # --- previews --------------------------------------------------------------------------
    def previews(self, survey: Survey) -> tuple[str, ...]:
        return tuple(sorted(preview_tags(survey.current, survey.revisions)))

    def deploy_preview(self, survey: Survey, artifact: None, preview: Preview) -> TargetResult:
        c = self.config
        run = self.conn.run
        tag = preview.id
        if survey.service is None or not survey.serving:
            raise DeployError(
                f"There is no serving Cloud Run service {c.service} in {c.project} ({c.region}) "
                f"for the preview {tag} to run beside.",
                target=NAME,
                remediation="A Cloud Run preview is a revision of the production service: "
                "deploy the server first (command: deploy), then deploy its previews.",
            )
        self.secrets.check(survey.secrets)
        image = self._obtain_image()
        refs, stored = self.secrets.write(survey.secrets, survey.current)
        settings = c.settings(image.reference, refs)
        revision = revision_name(c.service, image.reference.rpartition("@")[2], _attempt())
        serving = survey.serving
        current: dict[str, Any] = survey.current
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            # What serves, pinned as it is; the preview's tag on the new revision at 0 %.
            traffic = [
                *(e for e in pinned_traffic(current)),
                {"type": REVISION_TYPE, "revision": revision, "tag": tag},
            ]
            traffic += kept_tags(current, traffic, dropped=tag)
            body = desired_body(settings, current=current, revision=revision, traffic=traffic)
            body["template"]["labels"][PREVIEW_LABEL] = tag
            body["labels"] = dict(current.get("labels") or {})  # the service's own: kept
            try:
                after = run.wait(
                    run.update_service(c.service, body),
                    f"creating revision {revision} of {c.service} (preview {tag}, no traffic)",
                )
                break
            except GoogleApiError as exc:
                if exc.status != 409 or attempt == CONFLICT_ATTEMPTS:
                    raise
                current = run.get_service(c.service) or current  # another change came first
        if serving_revision(after) != serving:  # pragma: no cover - the API keeps the split
            raise DeployError(f"The preview moved the traffic off {serving}.", target=NAME)
        url = app_url(c, tagged_uri(after, tag))
        self.console.info(
            f"Revision {revision} is ready with no traffic under the tag {tag} ({url}); "
            f"{serving} still serves 100 %."
        )
        done = result(
            self.config,
            self._identity,
            image=image.reference,
            service=url,
            version=revision,
            deployment_id=revision,
            unchanged=False,
            changes=(
                *stored,
                PlanChange("create", f"revision {revision}", f"tag {tag}, no traffic"),
            ),
            secrets=shown(survey.secrets.outcomes, ()),
        )
        return replace(done, preview_id=tag, preview_url=done.url)

    def remove_preview(self, survey: Survey, preview: str) -> TargetResult:
        c = self.config
        found = preview_tags(survey.current, survey.revisions).get(preview, "")
        if not found:
            note = (
                f"There is no preview {preview} of Cloud Run service {c.service} in "
                f"{c.project} ({c.region}); nothing to remove."
            )
            self.console.info(note)
            return replace(
                result(self.config, self._identity, unchanged=True, notes=(note,)),
                preview_id=preview,
            )
        run = self.conn.run
        after = move(
            run,
            c.service,
            lambda current: without_tag(current, preview),
            f"removing the tag {preview}",
            survey.current,
            dropped=preview,
        )
        changes = [PlanChange("delete", f"tag {preview}", f"of revision {found}")]
        # The preview's revisions (every push made one), but the service's latest (the
        # template new revisions come from) and any that traffic names.
        kept = {short_name(str(after.get("latestCreatedRevision", "")))}
        kept |= {short_name(str(s.get("revision", ""))) for s in after.get("trafficStatuses") or ()}
        labelled = [
            short_name(str(r.get("name", "")))
            for r in survey.revisions
            if (r.get("labels") or {}).get(PREVIEW_LABEL) == preview
        ]
        for revision in labelled:
            if revision not in kept:
                run.wait(run.delete_revision(c.service, revision), f"deleting {revision}")
                changes.append(PlanChange("delete", f"revision {revision}", f"preview {preview}"))
        left = [r for r in labelled if r in kept]
        self.console.info(
            f"Removed the tag {preview} (its URL no longer answers) and "
            f"{len(changes) - 1} of its revisions"
            + (
                f"; {', '.join(left)} is the service's latest revision and stays, without "
                "traffic, until the next deploy makes another."
                if left
                else "."
            )
        )
        return replace(
            result(
                self.config,
                self._identity,
                version=found,
                unchanged=False,
                changes=tuple(changes),
            ),
            preview_id=preview,
        )

    # --- helpers ---------------------------------------------------------------------------
    @property
    def _identity(self) -> str:
        return self.conn.token.identity

    def _obtain_image(self) -> OciImageResult:
        """The image, obtained (and pushed, when the action makes it) once per command."""
        if self._image is None:
            self._image = obtain_image(self.context, self.config, self.conn)
        return self._image

    def _access(self) -> Access:
        c = self.config
        return apply_access(self.conn.run, c.service, c.allow_unauthenticated, self.console)

    def _first_serving(
        self,
        after: dict[str, Any],
        revision: str,
        change: PlanChange,
        survey: Survey,
        stored: tuple[PlanChange, ...],
    ) -> TargetResult:
        """A first revision at 100 % (nothing earlier to protect: verified live)."""
        c = self.config
        image = self._obtain_image()
        access = self._access()
        self.console.info(
            f"Created {c.service}: revision {revision} serves 100 % (first deploy: verified live)."
        )
        pruned = self._prune(survey.secrets.names(SecretStatus.REMOVED))
        return result(
            self.config,
            self._identity,
            image=image.reference,
            service=app_url(c, str(after.get("uri", ""))),
            version=revision,
            deployment_id=revision,
            unchanged=False,
            access_settling=access.settling,
            notes=access.notes,
            changes=(*stored, change, *access.changes, *pruned.values()),
            secrets=shown(survey.secrets.outcomes, pruned),
        )

    def _prune(self, names: list[str]) -> dict[str, PlanChange]:
        """Delete the secrets ``prune-secrets`` removes (no serving revision reads them)."""
        return self.secrets.delete(names, "prune-secrets: not given, stored earlier")

    def _moved_past(self, staged: TargetResult, serving: str) -> TargetResult:
        """Another deploy promoted its revision while ours was verified: the later one wins."""
        service = self.config.service
        note = (
            f"Another deploy moved the traffic of {service} to {serving} while "
            f"revision {staged.version} was being verified; {serving} keeps serving and "
            f"{staged.version} stays without traffic (tag candidate)."
        )
        self.console.warning(note, title="Another deploy came first")
        now = Survey(self.conn.run.get_service(service) or {})
        return result(
            self.config,
            self._identity,
            image=now.image,
            service=app_url(self.config, now.uri) or staged.service_url,
            version=serving,
            previous_version=staged.previous_version,
            deployment_id=staged.deployment_id,
            unchanged=False,
            can_roll_back=False,  # never roll back what the other deploy made live
            notes=(note,),
            changes=staged.changes,
            secrets=staged.secrets,
        )


def _attempt() -> str:
    """What makes this run's revision name unique beside the image digest."""
    return secrets.token_hex(3)
