"""The steps of the flow on Container Apps: a first deploy (the app with its revision at
100 %), an unchanged app (the same image and settings name the revision that serves), a
revision staged at weight 0 with the serving one pinned, promoted or left without traffic,
a rollback, the app removed (its AcrPull assignment, and the group when asked).

The image is obtained here, once per command (:meth:`Steps.image`): building or pushing it
needs the ARM token and the registry's login, and ``unchanged`` and ``stage`` share it. The
server's secrets (:mod:`.secrets`) are decided once per survey, before anything changes;
they go into the app with the new revision, and a pruned one leaves once that revision
serves.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ... import ownership
from ...access import Access
from ...context import RunContext
from ...errors import DeployError
from ...flow import Steps as FlowSteps
from ...flow import TrafficMovedError
from ...ownership import Adoption, Resource
from ...previews.identity import Preview
from ...result import PlanChange, TargetResult
from ...secrets import SecretOutcome, SecretStatus
from ...traffic_steps import split_change
from .app import Live, Pull, Secrets, app_body, app_path, revision_name
from .config import AzureConfig
from .connection import Connection
from .declaration import NAME
from .environment import prepare_environment
from .image import DeployImage, ImageStep
from .previews import PREVIEW_PREFIX, kept_labels, label_fqdn, preview_labels, preview_suffix
from .pull_access import AUTHORIZATION_API, ensure_identity, pull_access, revoke_acr_pull
from .results import Shipped, app_url, result
from .revisions import move_traffic, retire_bootstrap, split_traffic, wait_revision
from .secrets import (
    SecretPlan,
    app_secrets,
    plan_secrets,
    planned_secret_changes,
    recorded,
    sync_secrets,
)
from .survey import Survey, planned_changes, take_survey
from .trust import probe

__all__ = ["Steps"]

#: The traffic of a first deploy: whichever revision is the latest, at 100 %.
_LATEST: list[dict[str, object]] = [{"latestRevision": True, "weight": 100}]


class Steps(FlowSteps[Survey, ImageStep]):
    """The calls that read and change one container app over one connection."""

    #: An app made elsewhere is left alone (its revisions and settings are someone's).
    adoption = Adoption.REFUSE

    def __init__(self, context: RunContext, config: AzureConfig, conn: Connection) -> None:
        self.context = context
        self.config = config
        self.conn = conn
        self.console = context.console
        self._image: DeployImage | None = None
        self._plan: tuple[Survey, SecretPlan] | None = None

    # --- reading -------------------------------------------------------------------------
    def resource(self) -> Resource:
        c = self.config
        mark = f"{ownership.MANAGED_BY}={ownership.OWNER}"
        return Resource(
            kind="container app",
            name=c.app_name,
            where=f"in resource group {c.resource_group}",
            mark=f"the tag {mark}",
            chosen_by="server-name and azure-resource-group",
            adopt_hint=f"Add the tag {mark} to adopt it",
            delete_hint=f"az containerapp delete -n {c.app_name} -g {c.resource_group}",
        )

    def survey(self, artifact: ImageStep | None) -> Survey:
        return take_survey(self.conn, self.config, artifact)

    def planned(self, survey: Survey, artifact: ImageStep) -> TargetResult:
        plan = self.secrets(survey)
        changes = planned_changes(survey, self.config, plan.fingerprints)
        changes += planned_secret_changes(plan, survey.live)
        live = survey.live
        return result(
            self.config,
            self.identity,
            service=app_url(self.config, live.fqdn) if live else "",
            version=live.serving if live else "",
            previous_version=live.previous if live else "",
            deployment_id=live.latest if live else "",
            unchanged=all(change.action == "keep" for change in changes),
            changes=tuple(changes),
            secrets=plan.outcomes,
        )

    def outputs(self, survey: Survey) -> TargetResult:
        live = self._live(survey)
        return result(
            self.config,
            self.identity,
            service=app_url(self.config, live.fqdn),
            version=live.serving,
            previous_version=live.previous,
            deployment_id=live.latest,
            shipped=Shipped(live.image, access=live.registry_access),
            can_roll_back=bool(live.previous),
            secrets=tuple(SecretOutcome(n, SecretStatus.KEPT) for n in sorted(recorded(live))),
        )

    def stored_secrets(self, survey: Survey) -> frozenset[str]:
        return frozenset(recorded(survey.live, self.context.project.secrets.missing))

    def probe_access(self, survey: Survey, artifact: ImageStep | None) -> Access:
        arm, group = self.conn.arm, self.config.resource_group
        scope = arm.group_path(group)
        if arm.resource_group(group) is None:
            # A deploy creates the group: what it may do is decided on the subscription.
            scope = arm.sub_path("")
        listed = arm.get(
            f"{scope}/providers/Microsoft.Authorization/permissions",
            AUTHORIZATION_API,
            f"listing the permissions of {self.conn.session.identity} on {scope}",
        )
        entries = list((listed or {}).get("value") or [])
        return probe(entries, self.config, self.conn.session.identity, scope)

    def secrets(self, survey: Survey) -> SecretPlan:
        """What this deploy does with the server's secrets (decided once per survey; refused,
        before any change, when the app could not hold them)."""
        if self._plan is None or self._plan[0] is not survey:
            plan = plan_secrets(self.config, self.context.project.secrets, survey.live)
            self._plan = (survey, plan)
        return self._plan[1]

    @property
    def identity(self) -> str:
        """Who deploys, for every result (never a secret)."""
        return self.conn.session.identity

    def image(self, artifact: ImageStep) -> DeployImage:
        """The image this command deploys, obtained on first use (built or pushed if need be)."""
        if self._image is None:
            self._image = artifact.obtain(self.conn)
            self.console.info(self._image.note)
        return self._image

    # --- deploying -----------------------------------------------------------------------
    def first_deploy(self, survey: Survey, artifact: ImageStep) -> TargetResult:
        """The app with its revision at 100 %; also finishes one that only has the bootstrap
        revision (a first deploy that stopped after its identity was made)."""
        c = self.config
        live = survey.live
        plan = self.secrets(survey)
        secrets = app_secrets(self.conn.arm, c, plan, live, self.console)
        environment_id = self._prepare(survey)
        image = self.image(artifact)
        wanted = revision_name(c, image.reference, plan.fingerprints)
        pull, access_note = self._pull(image, live, environment_id)
        app = self._write(live, environment_id, image, _LATEST, pull, secrets)
        self._ready(wanted)
        # A new app pulling from ACR was made with the bootstrap revision (.pull_access).
        if live is not None or pull.server:
            retire_bootstrap(self.conn.arm, c, self.console)
        self.console.info(
            f"Created container app {c.app_name}: revision {wanted} serves "
            "100 % (first deploy: verified live)."
        )
        return result(
            self.config,
            self.identity,
            service=app_url(c, _fqdn(app)),
            version=wanted,
            deployment_id=wanted,
            unchanged=False,
            changes=(PlanChange("create", f"container app {c.app_name}", wanted),),
            shipped=Shipped(image.reference, image.source, pull.mode),
            notes=tuple(n for n in (image.note, access_note) if n),
            secrets=plan.reported,
        )

    def unchanged(self, survey: Survey, artifact: ImageStep) -> TargetResult | None:
        live = self._live(survey)
        plan = self.secrets(survey)
        image = self.image(artifact)
        wanted = revision_name(self.config, image.reference, plan.fingerprints)
        if live.serving != wanted:
            return None
        outcomes = plan.outcomes
        changes: tuple[PlanChange, ...] = ()
        if plan.writes:
            # The revision that serves reads these very values (its name holds their
            # fingerprints): the app's secrets are put back to them, no new revision.
            removed, changes = sync_secrets(
                self.conn.arm, self.config, self.context.project.secrets, wanted, self.console
            )
            outcomes = _removed(plan.reported, removed)
            self.console.info(f"Revision {wanted} already serves 100 %; the app's secrets written.")
        else:
            self.console.info(
                f"Revision {wanted} (this image, settings and secrets) already serves 100 %; "
                "nothing to change."
            )
        return result(
            self.config,
            self.identity,
            service=app_url(self.config, live.fqdn),
            version=wanted,
            previous_version=live.previous,
            deployment_id=live.latest,
            unchanged=not changes,
            changes=changes,
            can_roll_back=bool(live.previous),
            shipped=Shipped(image.reference, image.source, live.registry_access),
            notes=(image.note,),
            secrets=outcomes,
        )

    def stage(self, survey: Survey, artifact: ImageStep) -> TargetResult:
        """The new revision at weight 0, the serving one pinned at 100 %; its own FQDN is the
        candidate the pipeline verifies."""
        live = self._live(survey)
        if live.bootstrapping:
            return self.first_deploy(survey, artifact)
        plan = self.secrets(survey)
        # The values a write keeps are read first: a refusal stops before anything changes.
        secrets = app_secrets(self.conn.arm, self.config, plan, live, self.console)
        environment_id = self._prepare(survey)
        image = self.image(artifact)
        wanted = revision_name(self.config, image.reference, plan.fingerprints)
        pull, access_note = self._pull(image, live, environment_id)
        pinned: list[dict[str, object]] = [
            {"revisionName": live.serving, "weight": 100},
            *kept_labels(live.app),
        ]
        app = self._write(live, environment_id, image, pinned, pull, secrets)
        revision = self._ready(wanted)
        candidate = str((revision.get("properties") or {}).get("fqdn", ""))
        self.console.info(
            f"Revision {wanted} is provisioned with 0 % traffic; {live.serving} still serves 100 %."
        )
        return result(
            self.config,
            self.identity,
            service=app_url(self.config, _fqdn(app)),
            version=wanted,
            previous_version=live.serving,
            deployment_id=wanted,
            unchanged=False,
            candidate=app_url(self.config, candidate),
            can_roll_back=True,
            changes=(PlanChange("create", f"revision {wanted}", "0 % traffic"),),
            shipped=Shipped(image.reference, image.source, pull.mode),
            notes=tuple(n for n in (image.note, access_note) if n),
            secrets=plan.reported,
        )

    def promote(self, staged: TargetResult) -> TargetResult:
        move_traffic(self.conn.arm, self.config, staged.version)
        self.console.info(
            f"Revision {staged.version}, verified at its own FQDN, now serves "
            f"100 % (was {staged.previous_version})."
        )
        removed: tuple[str, ...] = ()
        pruned: tuple[PlanChange, ...] = ()
        if self.context.project.secrets.prune:
            removed, pruned = sync_secrets(
                self.conn.arm,
                self.config,
                self.context.project.secrets,
                staged.version,
                self.console,
            )
        return result(
            self.config,
            self.identity,
            shipped=Shipped(
                staged.outputs.get("image", self.config.image),
                staged.outputs.get("image-source", ""),
                staged.outputs.get("registry-access", ""),
            ),
            notes=staged.notes,
            service=staged.service_url,
            version=staged.version,
            previous_version=staged.previous_version,
            deployment_id=staged.deployment_id,
            unchanged=False,
            can_roll_back=True,
            changes=(
                *staged.changes,
                PlanChange(
                    "update", "traffic", f"{staged.previous_version} → {staged.version} at 100 %"
                ),
                *pruned,
            ),
            secrets=_removed(staged.secrets, removed),
        )

    def discard(self, staged: TargetResult) -> None:
        self.console.info(
            f"Revision {staged.version} got no traffic; revision "
            f"{staged.previous_version} still serves 100 %."
        )
        written = [s.name for s in staged.secrets if s.status is SecretStatus.SET]
        if written:
            self.console.warning(
                f"The secrets this run set ({', '.join(written)}) stay stored on container app "
                f"{self.config.app_name} (Container Apps keeps secrets per app, not per "
                f"revision): a replica of {staged.previous_version} that starts later reads "
                "the new values. Deploy again with the values it was made with (that "
                "deploy writes them back and makes no new revision), or with fixed ones.",
                title="Secrets",
            )

    def shift_traffic(self, staged: TargetResult, percent: int, *, current: int) -> TargetResult:
        """The revisions' weights: ``percent`` to the new one, the rest to the previous one
        (all of it for 0); a PATCH right after the weights read are found to be the ones
        this run left, with If-Match when the app shows an etag (:func:`.split_traffic`)."""
        new, previous = staged.version, staged.previous_version
        app = self.config.app_name
        left = {previous: 100 - current, new: current}
        left = {name: weight for name, weight in left.items() if weight}
        wanted = {previous: 100 - percent, new: percent}
        wanted = {name: weight for name, weight in wanted.items() if weight}

        def expected(found: dict[str, int]) -> None:
            if found not in (left, wanted):
                serving = max(found, key=lambda name: found[name], default="")
                raise TrafficMovedError(
                    f"The traffic of container app {app} is no longer split as this run left "
                    f"it ({new} at {current} %, {previous} at {100 - current} %): "
                    f"{serving or 'no revision'} takes the most now.",
                    target=NAME,
                    serving=serving,
                )

        split_traffic(self.conn.arm, self.config, wanted, expected)
        self.console.info(f"{app}: revision {new} at {percent} %, {previous} at {100 - percent} %.")
        return split_change(staged, percent)

    # --- rollback --------------------------------------------------------------------------
    def rollback_version(self, survey: Survey, wanted: str) -> str:
        """The revision asked for (with or without the ``<app>--`` prefix), else the one
        created before the serving one; it must be one of the app's revisions."""
        live = self._live(survey)
        prefix = f"{self.config.app_name}--"
        if wanted and not wanted.startswith(prefix):
            wanted = f"{prefix}{wanted}"
        target = wanted or live.previous
        if not target or target not in live.revisions:
            raise DeployError(
                f"There is no revision {target or 'before ' + live.serving} to roll back "
                f"to; the revisions are {', '.join(live.revisions) or 'none'}.",
                target=NAME,
                remediation="Name one of them with rollback-to.",
            )
        return target

    def already_serving(self, survey: Survey) -> TargetResult:
        live = self._live(survey)
        return result(
            self.config,
            self.identity,
            service=app_url(self.config, live.fqdn),
            version=live.serving,
            previous_version=live.previous,
            deployment_id=live.latest,
            unchanged=True,
        )

    def move_traffic(self, survey: Survey, version: str) -> TargetResult:
        live = self._live(survey)
        move_traffic(self.conn.arm, self.config, version)
        self.console.info(
            f"{self.config.app_name}: traffic {live.serving} → {version} at 100 % (rolled back)."
        )
        return result(
            self.config,
            self.identity,
            service=app_url(self.config, live.fqdn),
            version=version,
            previous_version=live.serving,
            deployment_id=live.latest,
            unchanged=False,
            can_roll_back=True,
            changes=(PlanChange("update", "traffic", f"{live.serving} → {version} at 100 %"),),
        )

    # --- destroy ---------------------------------------------------------------------------
    def remove(self, survey: Survey) -> TargetResult:
        """The app (all its revisions) and its AcrPull assignment; the group only when asked
        and when it carries the ownership mark. A registry is kept, with its images."""
        c = self.config
        arm = self.conn.arm
        live = self._live(survey)
        changes: list[PlanChange] = []
        stored = sorted(recorded(live))
        registry = revoke_acr_pull(arm, live, self.console)
        arm.delete(app_path(arm, c), f"deleting container app {c.app_name}")
        changes.append(PlanChange("delete", f"container app {c.app_name}", "all revisions"))
        if stored:
            changes.append(
                PlanChange("delete", "app secrets", f"{', '.join(stored)} (with the app)")
            )
            self.console.info(
                f"The secrets {', '.join(stored)} were app secrets of {c.app_name}: deleted "
                "with it."
            )
        if registry:
            changes.append(
                PlanChange("delete", f"AcrPull role assignment on {registry}", "its identity")
            )
        group_deleted = False
        if c.delete_resource_group:
            group = arm.resource_group(c.resource_group) or {}
            if not ownership.is_managed(group.get("tags")):
                self.console.warning(
                    f"Resource group {c.resource_group} lacks the tag "
                    f"{ownership.MANAGED_BY}={ownership.OWNER}; it is kept."
                )
            else:
                arm.delete_resource_group(c.resource_group)
                group_deleted = True
                changes.append(
                    PlanChange("delete", f"resource group {c.resource_group}", "everything in it")
                )
        self.console.info(
            f"Deleted container app {c.app_name}"
            + (
                f" and resource group {c.resource_group}."
                if group_deleted
                else f"; resource group {c.resource_group} (and any registry in it) is kept."
            )
        )
        return result(
            self.config,
            self.identity,
            unchanged=False,
            changes=tuple(changes),
            secrets=tuple(SecretOutcome(n, SecretStatus.REMOVED) for n in stored),
        )

    # --- the parts ---------------------------------------------------------------------------
    # --- previews --------------------------------------------------------------------------
    def previews(self, survey: Survey) -> tuple[str, ...]:
        return tuple(sorted(preview_labels(survey.live.app))) if survey.live else ()

    def deploy_preview(self, survey: Survey, artifact: ImageStep, preview: Preview) -> TargetResult:
        """A new revision at 0 % under the label ``preview``; what serves keeps 100 %."""
        c = self.config
        live = survey.live
        if live is None or live.bootstrapping or not live.serving:
            raise DeployError(
                f"There is no serving container app {c.app_name} in {c.resource_group} for the "
                f"preview {preview.id} to run beside.",
                target=NAME,
                remediation="A Container Apps preview is a revision of the production app: "
                "deploy the server first (command: deploy), then deploy its previews.",
            )
        plan = self.secrets(survey)
        if plan.writes:
            changed = ", ".join(plan.names(SecretStatus.SET, SecretStatus.REMOVED))
            raise DeployError(
                f"The preview {preview.id} would change the app's secrets ({changed}), which "
                "production reads too: Container Apps keeps secrets per app, not per revision.",
                target=NAME,
                remediation="Give the preview the secrets production has (or deploy the new "
                "values to production first).",
            )
        secrets = app_secrets(self.conn.arm, c, plan, live, self.console)
        environment_id = self._prepare(survey)
        image = self.image(artifact)
        suffix = preview_suffix(preview.id)
        wanted = f"{c.app_name}--{suffix}"
        pull, access_note = self._pull(image, live, environment_id)
        traffic: list[dict[str, object]] = [
            {"revisionName": live.serving, "weight": 100},
            *kept_labels(live.app, dropped=preview.id),
            {"revisionName": wanted, "weight": 0, "label": preview.id},
        ]
        body = app_body(
            c,
            environment_id,
            image.reference,
            traffic,
            pull,
            identity=bool(live.principal_id),
            secrets=secrets,
            suffix=suffix,
        )
        arm = self.conn.arm
        app = arm.put(app_path(arm, c), body, f"writing container app {c.app_name}")
        self._ready(wanted)
        url = app_url(c, label_fqdn(_fqdn(app), preview.id))
        self.console.info(
            f"Revision {wanted} is provisioned with 0 % traffic under the label {preview.id} "
            f"({url}); {live.serving} still serves 100 %."
        )
        done = result(
            c,
            self.identity,
            service=url,
            version=wanted,
            deployment_id=wanted,
            unchanged=False,
            changes=(PlanChange("create", f"revision {wanted}", f"label {preview.id}, 0 %"),),
            shipped=Shipped(image.reference, image.source, pull.mode),
            notes=tuple(n for n in (image.note, access_note) if n),
            secrets=plan.reported,
        )
        return replace(done, preview_id=preview.id, preview_url=done.url)

    def remove_preview(self, survey: Survey, preview: str) -> TargetResult:
        c = self.config
        live = survey.live
        found = preview_labels(live.app).get(preview, "") if live else ""
        if live is None or not found:
            note = (
                f"There is no preview {preview} of container app {c.app_name} in "
                f"{c.resource_group}; nothing to remove."
            )
            self.console.info(note)
            return replace(
                result(c, self.identity, unchanged=True, notes=(note,)), preview_id=preview
            )
        arm = self.conn.arm
        traffic = [
            {
                k: v
                for k, v in t.items()
                if k in ("revisionName", "latestRevision", "weight", "label")
            }
            for t in (
                ((live.app.get("properties") or {}).get("configuration") or {}).get("ingress") or {}
            ).get("traffic")
            or []
            if t.get("label") != preview
        ]
        arm.patch(
            app_path(arm, c),
            {"properties": {"configuration": {"ingress": {"traffic": traffic}}}},
            f"removing the label {preview}",
        )
        changes = [PlanChange("delete", f"label {preview}", f"of revision {found}")]
        # Every revision this preview made (one per push), deactivated: it serves nothing.
        for revision in arm.revisions(c.resource_group, c.app_name):
            name = str(revision.get("name", ""))
            active = (revision.get("properties") or {}).get("active", True)
            if name.startswith(f"{c.app_name}--{PREVIEW_PREFIX}{preview}-") and active:
                arm.activate(c.resource_group, c.app_name, name, action="deactivate")
                changes.append(PlanChange("update", f"revision {name}", "deactivated"))
        self.console.info(
            f"Removed the label {preview} (its URL no longer answers) and deactivated "
            f"{len(changes) - 1} revision(s) of the preview."
        )
        return replace(
            result(c, self.identity, version=found, unchanged=False, changes=tuple(changes)),
            preview_id=preview,
        )

    def _live(self, survey: Survey) -> Live:
        """The app the flow found (it calls these steps only when there is one)."""
        assert survey.live is not None, "the flow calls this step only for an existing app"
        return survey.live

    def _prepare(self, survey: Survey) -> str:
        return prepare_environment(self.conn.arm, self.config, survey, self.console)

    def _pull(self, image: DeployImage, live: Live | None, environment_id: str) -> tuple[Pull, str]:
        """How the app pulls ``image``: nothing to set for a public one."""
        registry = image.registry
        if registry is None:
            return Pull(), ""
        arm = self.conn.arm
        return pull_access(
            arm,
            self.config.resource_group,
            registry,
            lambda: ensure_identity(arm, self.config, live, environment_id, self.console),
            deadline=self.context.deadline,
            sleep=self.context.sleep,
            console=self.console,
        )

    def _write(
        self,
        live: Live | None,
        environment_id: str,
        image: DeployImage,
        traffic: list[dict[str, object]],
        pull: Pull,
        secrets: Secrets,
    ) -> dict[str, Any]:
        """The app PUT with the new revision, ``traffic`` and the secrets (the whole array:
        a PUT without one drops it); the app once ARM is done."""
        c = self.config
        arm = self.conn.arm
        body = app_body(
            c,
            environment_id,
            image.reference,
            traffic,
            pull,
            identity=bool(live and live.principal_id),
            secrets=secrets,
        )
        return arm.put(app_path(arm, c), body, f"writing container app {c.app_name}")

    def _ready(self, revision: str) -> dict[str, Any]:
        return wait_revision(
            self.conn.arm,
            self.config,
            revision,
            deadline=self.context.deadline,
            sleep=self.context.sleep,
        )


def _fqdn(app: dict[str, Any]) -> str:
    """The app's own FQDN, as the written app shows it."""
    ingress = ((app.get("properties") or {}).get("configuration") or {}).get("ingress") or {}
    return str(ingress.get("fqdn", ""))


def _removed(
    outcomes: tuple[SecretOutcome, ...], removed: tuple[str, ...]
) -> tuple[SecretOutcome, ...]:
    """``outcomes`` with each of ``removed`` marked so."""
    return tuple(
        SecretOutcome(o.name, SecretStatus.REMOVED) if o.name in removed else o for o in outcomes
    )
