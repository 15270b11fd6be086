"""The ``google-cloud-run`` target: plan, deploy (staged), outputs, rollback and destroy.

A first deploy creates the service with its revision serving 100 % (the pipeline
verifies it live). A redeploy makes the new revision with no traffic under the tag
``candidate`` (``stage``); the pipeline verifies it at the tag's own URL, and ``promote``
moves 100 % to it, ``discard`` removes the tag and leaves the previous revision serving.
The same image digest and settings make no revision (``unchanged``).

This module holds the protocol methods only; the steps live in :mod:`.deploying`, the
sign-in and the image in :mod:`.connection`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ...context import RunContext
from ...errors import DeployError, Problem
from ...result import LogExcerpt, PlanChange, TargetResult
from .access import INVOKER, PUBLIC, OrgPolicyRefused, set_public
from .cloud_logging import read_log_lines
from .config import GoogleConfig, resolve
from .connection import NAME, Connector, Session
from .deploying import MovedPast, Steps
from .service import changes, previous_revision, serving_revision, short_name

__all__ = ["GoogleCloudRunTarget", "create"]

SETTLING = f"{PUBLIC} was just granted {INVOKER}"


@dataclass(frozen=True)
class Access:
    """What making the service public (or private) as asked did."""

    changes: tuple[PlanChange, ...] = ()
    #: TargetResult.access_settling: set when this run granted allUsers.
    settling: str = ""
    notes: tuple[str, ...] = ()


def _image_of(service: dict[str, Any]) -> str:
    containers = (service.get("template") or {}).get("containers") or [{}]
    return str(containers[0].get("image", ""))


class GoogleCloudRunTarget:
    name = NAME

    def __init__(
        self,
        context: RunContext,
        *,
        resolved: tuple[GoogleConfig, list[Problem]] | None = None,
    ) -> None:
        self.context = context
        self.console = context.console
        self.config, self._problems = resolved or resolve(context)
        self._connector = Connector(context, self.config, self._problems)

    # --- results ---------------------------------------------------------------------------
    def _url(self, uri: str) -> str:
        if not uri:
            return ""
        if self.config.run_app_origin:
            host = uri.partition("://")[2].partition("/")[0]
            return f"{self.config.run_app_origin}/{host}{self.config.mcp_path}"
        return uri.rstrip("/") + self.config.mcp_path

    def _result(self, session: Session | None, image: str = "", **fields: Any) -> TargetResult:
        return TargetResult(
            region=self.config.region,
            identity=session.token.identity if session else self._connector.identity,
            outputs=MappingProxyType({"image": image, "project": self.config.project}),
            **fields,
        )

    def _steps(self, session: Session) -> Steps:
        return Steps(session.api, self.config.service)

    def _existing(self, session: Session, doing: str) -> dict[str, Any]:
        current = session.api.get_service(self.config.service)
        if current is None:
            raise DeployError(
                f"{doing}: there is no Cloud Run service {self.config.service} in "
                f"{session.api.parent}.",
                target=NAME,
                remediation="Deploy first, or check server-name, gcp-project and region.",
            )
        return current

    def _previous(self, session: Session, current: dict[str, Any]) -> str:
        """The revision that served before the serving one ("" when none is ready)."""
        return previous_revision(current, session.api.list_revisions(self.config.service))

    def _access(self, session: Session) -> Access:
        """allUsers as run.invoker as asked (an organisation policy refusing it: a warning)."""
        wanted = self.config.allow_unauthenticated
        try:
            changed = set_public(session.api, self.config.service, wanted)
        except OrgPolicyRefused as exc:
            self.console.warning(f"{exc.message} {exc.remediation}", title=exc.title)
            return Access(notes=(exc.message,))
        if not changed:
            return Access()
        done = f"granted {PUBLIC} {INVOKER}" if wanted else f"withdrew {PUBLIC} {INVOKER}"
        self.console.info(f"IAM of {self.config.service}: {done}.")
        return Access(
            changes=(PlanChange("update", f"IAM of {self.config.service}", done),),
            settling=SETTLING if wanted else "",
        )

    def _refuse_unmanaged(self, current: dict[str, Any]) -> None:
        if (current.get("labels") or {}).get("managed-by") != "pmcp":
            raise DeployError(
                f"The Cloud Run service {self.config.service} was not deployed by pmcp-action "
                "(it lacks the label managed-by=pmcp); it is left alone.",
                target=NAME,
                remediation="Add the label managed-by=pmcp to adopt it (gcloud run services "
                f"update {self.config.service} --update-labels managed-by=pmcp), or pick "
                "another server-name.",
            )

    # --- protocol ----------------------------------------------------------------------------
    def validate(self) -> Sequence[Problem]:
        return tuple(self._problems)

    def plan(self) -> TargetResult:
        c = self.config
        planned: list[PlanChange] = []
        with self._connector.open() as session:
            if self._connector.uses_default_repository():
                exists = self._connector.repository_exists(session)
                planned.append(
                    PlanChange(
                        "keep" if exists else "create",
                        f"Artifact Registry repository {c.repository}",
                        f"{c.region}, Docker",
                    )
                )
            current = session.api.get_service(c.service)
            image = c.image if "@sha256:" in c.image else ""
            if current is None:
                planned.append(
                    PlanChange(
                        "create", f"Cloud Run service {c.service}", "first revision at 100 %"
                    )
                )
            else:
                serving = serving_revision(current)
                found = changes(current, c.settings(image)) if image else ["a new image"]
                if not found:
                    planned.append(
                        PlanChange("keep", f"Cloud Run service {c.service}", f"{serving} serves")
                    )
                else:
                    planned.append(
                        PlanChange(
                            "update",
                            f"Cloud Run service {c.service}",
                            f"new revision at 0 % (tag candidate), verified, then 100 % "
                            f"(now {serving}): {'; '.join(found)}",
                        )
                    )
            public = False
            if current is not None:
                policy = session.api.get_iam_policy(c.service)
                public = any(
                    b.get("role") == INVOKER and PUBLIC in (b.get("members") or ())
                    for b in policy.get("bindings") or ()
                )
            if public != c.allow_unauthenticated:
                planned.append(
                    PlanChange(
                        "update",
                        f"IAM of {c.service}",
                        ("grant " if c.allow_unauthenticated else "withdraw ")
                        + f"{PUBLIC} {INVOKER}",
                    )
                )
        for change in planned:
            self.console.info(f"  {change.action:<7} {change.resource}  {change.detail}".rstrip())
        return self._result(
            session,
            image=_image_of(current) if current else "",
            url=self._url(str(current.get("uri", ""))) if current else "",
            version=serving_revision(current) if current else "",
            unchanged=all(change.action == "keep" for change in planned),
            changes=tuple(planned),
        )

    def deploy(self) -> TargetResult:
        staged = self.stage()
        return self.promote(staged) if staged.candidate_url else staged

    def stage(self) -> TargetResult:
        c = self.config
        with self._connector.open() as session:
            steps = self._steps(session)
            current = session.api.get_service(c.service)
            if current is not None:
                self._refuse_unmanaged(current)
            image = self._connector.image(session)
            settings = c.settings(image.reference)
            attempt = secrets.token_hex(3)
            if current is None or not serving_revision(current):
                if current is None:
                    outcome = steps.first_deploy(settings)
                else:
                    outcome = steps.serve_directly(current, settings, attempt)
                access = self._access(session)
                self.console.info(
                    f"Created {c.service}: revision {outcome.revision} serves 100 % (first "
                    "deploy: verified live)."
                )
                return self._result(
                    session,
                    image=image.reference,
                    url=self._url(str(outcome.service.get("uri", ""))),
                    version=outcome.revision,
                    deployment_id=outcome.revision,
                    unchanged=False,
                    access_settling=access.settling,
                    notes=access.notes,
                    changes=(
                        PlanChange("create", f"Cloud Run service {c.service}")
                        if current is None
                        else PlanChange("update", f"service {c.service}", *outcome.changes),
                        *access.changes,
                    ),
                )
            serving = serving_revision(current)
            latest = short_name(str(current.get("latestCreatedRevision", "")))
            force = bool(latest) and latest != serving
            outcome = steps.stage(current, settings, attempt, force=force)
            access = self._access(session)
            if outcome.unchanged:
                self.console.info(
                    f"Revision {serving} already runs this image and these settings"
                    + ("; nothing to change." if not access.changes else ".")
                )
                previous = self._previous(session, current)
                return self._result(
                    session,
                    image=image.reference,
                    url=self._url(str(current.get("uri", ""))),
                    version=serving,
                    previous_version=previous,
                    deployment_id=serving,
                    unchanged=not access.changes,
                    can_roll_back=bool(previous),
                    access_settling=access.settling,
                    notes=access.notes,
                    changes=access.changes,
                )
        self.console.info(
            f"Revision {outcome.revision} is ready with no traffic (tag candidate); "
            f"{outcome.previous} still serves 100 %."
        )
        return self._result(
            session,
            image=image.reference,
            url=self._url(str(outcome.service.get("uri", ""))),
            version=outcome.revision,
            previous_version=outcome.previous,
            deployment_id=outcome.revision,
            unchanged=False,
            candidate_url=self._url(outcome.candidate_url),
            can_roll_back=True,
            access_settling=access.settling,
            notes=access.notes,
            changes=(
                *(PlanChange("update", f"service {c.service}", d) for d in outcome.changes),
                *access.changes,
            ),
        )

    def promote(self, staged: TargetResult) -> TargetResult:
        with self._connector.open() as session:
            try:
                after = self._steps(session).promote(staged.version, staged.previous_version)
            except MovedPast as moved:
                return self._moved_past(session, staged, moved.serving)
        self.console.info(
            f"Revision {staged.version}, verified at its candidate URL, now serves 100 % "
            f"(was {staged.previous_version})."
        )
        return self._result(
            session,
            image=staged.outputs.get("image", ""),
            url=self._url(str(after.get("uri", ""))) or staged.url,
            version=staged.version,
            previous_version=staged.previous_version,
            deployment_id=staged.deployment_id,
            unchanged=False,
            can_roll_back=True,
            access_settling=staged.access_settling,
            notes=staged.notes,
            changes=(
                *staged.changes,
                PlanChange(
                    "update", "traffic", f"{staged.previous_version} → {staged.version} at 100 %"
                ),
            ),
        )

    def _moved_past(self, session: Session, staged: TargetResult, serving: str) -> TargetResult:
        """Another deploy promoted its revision while ours was verified: the later one wins."""
        note = (
            f"Another deploy moved the traffic of {self.config.service} to {serving} while "
            f"revision {staged.version} was being verified; {serving} keeps serving and "
            f"{staged.version} stays without traffic (tag candidate)."
        )
        self.console.warning(note, title="Another deploy came first")
        current = session.api.get_service(self.config.service) or {}
        return self._result(
            session,
            image=_image_of(current),
            url=self._url(str(current.get("uri", ""))) or staged.url,
            version=serving,
            previous_version=staged.previous_version,
            deployment_id=staged.deployment_id,
            unchanged=False,
            can_roll_back=False,  # never roll back what the other deploy made live
            notes=(note,),
            changes=staged.changes,
        )

    def discard(self, staged: TargetResult) -> None:
        with self._connector.open() as session:
            self._steps(session).discard()
        self.console.info(
            f"Revision {staged.version} got no traffic and lost the tag candidate; revision "
            f"{staged.previous_version} still serves 100 %."
        )

    def outputs(self) -> TargetResult:
        with self._connector.open() as session:
            current = self._existing(session, "No outputs")
            serving = serving_revision(current)
            previous = self._previous(session, current)
        return self._result(
            session,
            image=_image_of(current),
            url=self._url(str(current.get("uri", ""))),
            version=serving,
            previous_version=previous,
            deployment_id=short_name(str(current.get("latestCreatedRevision", ""))),
            can_roll_back=bool(previous),
        )

    def logs(self, *, version: str, since: float | None, limit: int) -> LogExcerpt:
        """What ``version`` (default: the serving revision) logged, oldest of the last first."""
        with self._connector.open() as session:
            wanted = version.strip()
            if not wanted:
                wanted = serving_revision(self._existing(session, "No logs"))
            return read_log_lines(
                session.client,
                self.config.endpoints,
                token=session.token.access_token,
                project=self.config.project,
                service=self.config.service,
                revision=wanted,
                since=since,
                limit=limit,
            )

    def rollback(self, to_version: str) -> TargetResult:
        with self._connector.open() as session:
            current = self._existing(session, "Nothing to roll back")
            self._refuse_unmanaged(current)
            outcome = self._steps(session).rollback(to_version.strip())
        if outcome.unchanged:
            self.console.info(f"Revision {outcome.revision} already serves 100 %; nothing to do.")
        else:
            self.console.info(
                f"{self.config.service}: traffic {outcome.previous} → {outcome.revision} at "
                "100 % (rolled back)."
            )
        return self._result(
            session,
            image=_image_of(outcome.service),
            url=self._url(str(outcome.service.get("uri", ""))),
            version=outcome.revision,
            previous_version=outcome.previous,
            deployment_id=outcome.revision,
            unchanged=outcome.unchanged,
            can_roll_back=not outcome.unchanged,
            changes=tuple(PlanChange("update", "traffic", d) for d in outcome.changes),
        )

    def destroy(self) -> TargetResult:
        c = self.config
        with self._connector.open() as session:
            self._steps(session).destroy()
        self.console.info(
            f"Deleted Cloud Run service {c.service} and its revisions; the images in Artifact "
            f"Registry ({c.repository}) are kept."
        )
        return self._result(
            session,
            unchanged=False,
            changes=(PlanChange("delete", f"Cloud Run service {c.service}", "all revisions"),),
        )


def create(context: RunContext) -> GoogleCloudRunTarget:
    """The factory the declaration names."""
    return GoogleCloudRunTarget(context)
