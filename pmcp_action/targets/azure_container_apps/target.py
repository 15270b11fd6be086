"""The ``azure-container-apps`` target: plan, deploy (staged), outputs, rollback and destroy.

A first deploy creates the app with its revision at 100 % (the pipeline verifies it live
and fails loudly). A redeploy PUTs the app with the new revision at weight 0 and the
serving one pinned at 100 % (``stage``); the pipeline verifies the revision at its own
FQDN, and ``promote`` moves 100 % to it; ``discard`` leaves the previous revision serving.
The same image and settings name the same revision: no new revision (``unchanged``).

The image comes from :mod:`.image` (prebuilt, ACR Tasks cloud build, or assembled and
pushed), pull access from :mod:`.access` (managed identity + AcrPull, else the registry's
admin credentials). This module holds the protocol methods only; the steps live in
:mod:`.deploying`.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from ...context import RunContext
from ...errors import DeployError, Problem
from ...result import PlanChange, TargetResult
from .access import pull_access, revoke_acr_pull
from .app import Live, Pull, app_body, revision_suffix
from .arm import Arm
from .config import AzureConfig, resolve
from .deploying import NAME, Connector, Steps
from .image import DeployImage, ImageStep

__all__ = ["AzureContainerAppsTarget", "create"]


class AzureContainerAppsTarget:
    name = NAME

    def __init__(
        self,
        context: RunContext,
        *,
        resolved: tuple[AzureConfig, list[Problem]] | None = None,
    ) -> None:
        self.context = context
        self.console = context.console
        self.config, self._problems = resolved or resolve(context)
        self._connector = Connector(context, self.config, self._problems)
        self._steps = Steps(context, self.config)
        self._image = ImageStep(context, self.config)

    # --- results ---------------------------------------------------------------------------
    def _url(self, fqdn: str) -> str:
        if not fqdn:
            return ""
        origin = self.config.apps_origin or f"https://{fqdn}"
        return f"{origin}{self.config.mcp_path}"

    def _result(self, **fields: object) -> TargetResult:
        image = str(fields.pop("image", self.config.image))
        source = str(fields.pop("image_source", ""))
        access = str(fields.pop("access", ""))
        return TargetResult(
            region=self.config.location,
            identity=self._connector.identity,
            outputs=MappingProxyType(
                {
                    "image": image,
                    "image-source": source,
                    "registry-access": access,
                    "resource-group": self.config.resource_group,
                }
            ),
            **fields,  # type: ignore[arg-type]
        )

    def _live_or_fail(self, live: Live | None, doing: str) -> Live:
        if live is None:
            raise DeployError(
                f"{doing}: there is no container app {self.config.app_name} in resource group "
                f"{self.config.resource_group}.",
                target=NAME,
                remediation="Deploy first, or check server-name and azure-resource-group.",
            )
        return live

    # --- protocol ----------------------------------------------------------------------------
    def validate(self) -> Sequence[Problem]:
        return tuple(self._problems)

    def plan(self) -> TargetResult:
        with self._connector.open() as arm:
            survey = self._steps.survey(
                arm,
                image=self._image.describe(),
                needs_registry=self._image.source != "prebuilt",
            )
        changes = self._steps.planned(survey)
        for change in changes:
            self.console.info(f"  {change.action:<7} {change.resource}  {change.detail}".rstrip())
        live = survey.live
        return self._result(
            url=self._url(live.fqdn) if live else "",
            version=live.serving if live else "",
            previous_version=live.previous if live else "",
            deployment_id=live.latest if live else "",
            unchanged=all(change.action == "keep" for change in changes),
            changes=tuple(changes),
        )

    def deploy(self) -> TargetResult:
        staged = self.stage()
        return self.promote(staged) if staged.candidate_url else staged

    def stage(self) -> TargetResult:
        c = self.config
        self._connector.check()
        self._image.check()
        with self._connector.open() as arm:
            environment_id = self._steps.prepare(arm)
            live = self._steps.live(arm)
            if live is not None and not live.managed:
                raise DeployError(
                    f"The container app {c.app_name} was not made by pmcp-action (it lacks "
                    "the tag managed-by=pmcp); it is left alone.",
                    target=NAME,
                    remediation="Add the tag managed-by=pmcp to adopt it, or pick another "
                    "server-name.",
                )
            image = self._image.obtain(arm, self._connector.token)
            self.console.info(image.note)
            wanted = f"{c.app_name}--{revision_suffix(c, image.reference)}"
            first = live is None or live.bootstrapping
            if live is not None and live.serving == wanted:
                self.console.info(
                    f"Revision {wanted} (this image and settings) already "
                    "serves 100 %; nothing to change."
                )
                return self._result(
                    url=self._url(live.fqdn),
                    version=wanted,
                    previous_version=live.previous,
                    deployment_id=live.latest,
                    unchanged=True,
                    can_roll_back=bool(live.previous),
                    image=image.reference,
                    image_source=image.source,
                    access=live.registry_access,
                    notes=(image.note,),
                )
            pull, access_note = self._pull(arm, image, live, environment_id)
            traffic: list[dict[str, object]]
            if first:
                traffic = [{"latestRevision": True, "weight": 100}]
            else:
                assert live is not None
                traffic = [{"revisionName": live.serving, "weight": 100}]
            app = arm.put(
                self._steps.app_path(arm),
                app_body(
                    c,
                    environment_id,
                    image.reference,
                    traffic,
                    pull,
                    identity=bool(live and live.principal_id),
                ),
                f"writing container app {c.app_name}",
            )
            revision = self._steps.wait_revision(arm, wanted)
            # A new app pulling from ACR was made with the bootstrap revision (.app).
            if (live is None and pull.server) or (live is not None and live.bootstrapping):
                self._steps.retire_bootstrap(arm)
            fqdn = str(
                app.get("properties", {})
                .get("configuration", {})
                .get("ingress", {})
                .get("fqdn", "")
            )
        notes = tuple(n for n in (image.note, access_note) if n)
        extra: dict[str, object] = {
            "image": image.reference,
            "image_source": image.source,
            "access": pull.mode,
            "notes": notes,
        }
        if first:
            self.console.info(
                f"Created container app {c.app_name}: revision {wanted} serves "
                "100 % (first deploy: verified live)."
            )
            return self._result(
                url=self._url(fqdn),
                version=wanted,
                deployment_id=wanted,
                unchanged=False,
                changes=(PlanChange("create", f"container app {c.app_name}", wanted),),
                **extra,
            )
        assert live is not None
        candidate = str(revision.get("properties", {}).get("fqdn", ""))
        self.console.info(
            f"Revision {wanted} is provisioned with 0 % traffic; {live.serving} still serves 100 %."
        )
        return self._result(
            url=self._url(fqdn),
            version=wanted,
            previous_version=live.serving,
            deployment_id=wanted,
            unchanged=False,
            candidate_url=self._url(candidate),
            can_roll_back=True,
            changes=(PlanChange("create", f"revision {wanted}", "0 % traffic"),),
            **extra,
        )

    def _pull(
        self, arm: Arm, image: DeployImage, live: Live | None, environment_id: str
    ) -> tuple[Pull, str]:
        """How the app pulls ``image``: nothing to set for a public one."""
        registry = image.registry
        if registry is None:
            return Pull(), ""
        return pull_access(
            arm,
            self.config.resource_group,
            registry,
            lambda: self._steps.ensure_identity(arm, live, environment_id),
            deadline=self.context.deadline,
            sleep=self.context.sleep,
            console=self.console,
        )

    def promote(self, staged: TargetResult) -> TargetResult:
        with self._connector.open() as arm:
            self._steps.move_traffic(arm, staged.version)
        self.console.info(
            f"Revision {staged.version}, verified at its own FQDN, now serves "
            f"100 % (was {staged.previous_version})."
        )
        return self._result(
            image=staged.outputs.get("image", self.config.image),
            image_source=staged.outputs.get("image-source", ""),
            access=staged.outputs.get("registry-access", ""),
            notes=staged.notes,
            url=staged.url,
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
            ),
        )

    def discard(self, staged: TargetResult) -> None:
        self.console.info(
            f"Revision {staged.version} got no traffic; revision "
            f"{staged.previous_version} still serves 100 %."
        )

    def outputs(self) -> TargetResult:
        with self._connector.open() as arm:
            live = self._live_or_fail(self._steps.live(arm), "No outputs")
        return self._result(
            url=self._url(live.fqdn),
            version=live.serving,
            previous_version=live.previous,
            deployment_id=live.latest,
            image=live.image,
            access=live.registry_access,
            can_roll_back=bool(live.previous),
        )

    def rollback(self, to_version: str) -> TargetResult:
        wanted = to_version.strip()
        with self._connector.open() as arm:
            live = self._live_or_fail(self._steps.live(arm), "Nothing to roll back")
            if wanted and not wanted.startswith(f"{self.config.app_name}--"):
                wanted = f"{self.config.app_name}--{wanted}"
            target = wanted or live.previous
            if not target or target not in live.revisions:
                raise DeployError(
                    f"There is no revision {target or 'before ' + live.serving} to roll back "
                    f"to; the revisions are {', '.join(live.revisions) or 'none'}.",
                    target=NAME,
                    remediation="Name one of them with rollback-to.",
                )
            if target == live.serving:
                self.console.info(f"Revision {target} already serves 100 %; nothing to do.")
                return self._result(
                    url=self._url(live.fqdn),
                    version=target,
                    previous_version=live.previous,
                    deployment_id=live.latest,
                    unchanged=True,
                )
            self._steps.move_traffic(arm, target)
        self.console.info(
            f"{self.config.app_name}: traffic {live.serving} → {target} at 100 % (rolled back)."
        )
        return self._result(
            url=self._url(live.fqdn),
            version=target,
            previous_version=live.serving,
            deployment_id=live.latest,
            unchanged=False,
            can_roll_back=True,
            changes=(PlanChange("update", "traffic", f"{live.serving} → {target} at 100 %"),),
        )

    def destroy(self) -> TargetResult:
        c = self.config
        changes: list[PlanChange] = []
        with self._connector.open() as arm:
            live = self._live_or_fail(self._steps.live(arm), "Nothing to destroy")
            if not live.managed:
                raise DeployError(
                    f"The container app {c.app_name} lacks the tag managed-by=pmcp; it is "
                    "left alone.",
                    target=NAME,
                    remediation=f"Delete it where it was made (az containerapp delete -n "
                    f"{c.app_name} -g {c.resource_group}).",
                )
            registry = revoke_acr_pull(arm, live, self.console)
            arm.delete(self._steps.app_path(arm), f"deleting container app {c.app_name}")
            changes.append(PlanChange("delete", f"container app {c.app_name}", "all revisions"))
            if registry:
                changes.append(
                    PlanChange("delete", f"AcrPull role assignment on {registry}", "its identity")
                )
            if c.delete_resource_group:
                group = arm.resource_group(c.resource_group) or {}
                if (group.get("tags") or {}).get("managed-by") != "pmcp":
                    self.console.warning(
                        f"Resource group {c.resource_group} lacks the tag "
                        "managed-by=pmcp; it is kept."
                    )
                else:
                    arm.delete_resource_group(c.resource_group)
                    changes.append(
                        PlanChange(
                            "delete", f"resource group {c.resource_group}", "everything in it"
                        )
                    )
        self.console.info(
            f"Deleted container app {c.app_name}"
            + (
                f" and resource group {c.resource_group}."
                if any(change.resource.startswith("resource group") for change in changes)
                else f"; resource group {c.resource_group} (and any registry in it) is kept."
            )
        )
        return self._result(unchanged=False, changes=tuple(changes))


def create(context: RunContext) -> AzureContainerAppsTarget:
    """The factory the declaration names."""
    return AzureContainerAppsTarget(context)
