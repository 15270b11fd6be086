"""The steps of the flow on Lambda: a function created or updated, a version published and
verified behind alias ``candidate`` at its own function URL, then alias ``live`` moved to it
(the atomic switch); an unchanged function repaired around; a rollback that moves ``live``
back; everything this tool made deleted.

``stage`` leaves ``live`` on the previous version and returns the candidate's URL
(``candidate_url``); ``promote`` moves ``live`` only from the version it served at staging
(a conditional write), clearing any routing configuration; ``shift_traffic`` gives the staged
version a share of ``live`` in between (:mod:`.traffic`); ``discard`` changes nothing, so the
previous version never stopped serving. A first deploy (no ``live`` yet) goes live at once
and is verified there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from botocore.exceptions import ClientError

from ...access import Access
from ...artifact.lambda_package import PreparedPackage
from ...context import Project, RunContext
from ...errors import DeployError
from ...flow import NothingDeployedError, TrafficMovedError
from ...flow import Steps as FlowSteps
from ...ownership import Adoption, Resource
from ...previews.identity import Preview
from ...result import LogExcerpt, PlanChange, TargetResult
from ...traffic_steps import split_change
from .alias import AliasMove, move_alias, promote_alias
from .candidate import CANDIDATE, delete_candidate, point_candidate
from .config import SERVER_TAG, LambdaConfig
from .connection import Connection
from .declaration import NAME
from .failures import aws_step, has_code
from .function import ALIAS, CodeSource, FunctionState, code_changes, config_changes
from .kms import DEFAULT_ALIAS
from .logs import read_logs
from .previews import delete_preview, list_previews, point_preview, read_preview
from .results import Outcome, result
from .secrets import plan_secrets, read_stored, record, removed_changes, resync
from .survey import PACKAGE_MARK, Survey, describe_shape, planned_changes, take_survey
from .traffic import MovedPast, shift_split
from .trust import probe

__all__ = ["Steps", "version_description"]

#: Lambda's limit for a version's description.
_DESCRIPTION_LIMIT = 256


@dataclass(frozen=True)
class _Published:
    """The version a deploy published (or reused), and what it changed to get there."""

    version: str
    function_arn: str
    changes: tuple[PlanChange, ...]
    #: The function as the survey found it, or as a concurrent first deploy made it (when
    #: that run created it first: its alias ``live`` may exist already).
    state: FunctionState


class Steps(FlowSteps[Survey, PreparedPackage]):
    """The calls that read and change one function over one connection."""

    #: A function made elsewhere is updated and tagged, with a warning (its published
    #: versions stay); one a CloudFormation stack made is refused (:meth:`adopt`).
    adoption = Adoption.ADOPT

    def __init__(
        self,
        context: RunContext,
        config: LambdaConfig,
        conn: Connection,
        *,
        direct_upload_limit: int,
    ) -> None:
        self.context = context
        self.config = config
        self.conn = conn
        self.console = context.console
        self.direct_upload_limit = direct_upload_limit

    # --- reading -------------------------------------------------------------------------
    def resource(self) -> Resource:
        name = self.config.function_name
        return Resource(
            kind="Lambda function",
            name=name,
            where=f"in {self.config.region}",
            mark=f"the tags managed-by=pmcp and {SERVER_TAG}={name}",
            chosen_by="server-name and region",
            delete_hint="its CloudFormation stack, cargo pmcp deploy destroy, or the console",
        )

    def survey(self, artifact: PreparedPackage | None) -> Survey:
        return take_survey(self.conn, self.config, artifact, self.context.project.secrets)

    def stored_secrets(self, survey: Survey) -> frozenset[str]:
        return survey.stored.names

    def probe_access(self, survey: Survey, artifact: PreparedPackage | None) -> Access:
        session = self.conn.session
        iam = self.conn.clients.client("iam", session.credentials)
        with aws_step("simulate the deploy's calls (iam:SimulatePrincipalPolicy)"):
            return probe(iam, self.config, session.arn, session.account, info=self.console.info)

    def planned(self, survey: Survey, artifact: PreparedPackage) -> TargetResult:
        self._warn_unreadable(survey)
        changes = planned_changes(
            survey, self.conn, artifact, direct_upload_limit=self.direct_upload_limit
        )
        state = survey.function
        return self._result(
            Outcome(
                function_url=survey.compared.url.url,
                version=state.alias_version,
                previous_version=survey.deployed.previous,
                arn=state.alias_arn,
                unchanged=not any(c.action != "keep" for c in changes),
                changes=tuple(changes),
                notes=(f"CodeSha256 of the artifact: {survey.compared.desired.code_sha256}",),
                secrets=survey.compared.secrets.outcomes,
            )
        )

    def outputs(self, survey: Survey) -> TargetResult:
        state = self._serving(survey, "No outputs")
        previous = survey.deployed.previous
        return self._result(
            Outcome(
                function_url=self.conn.urls.read().url,
                version=state.alias_version,
                previous_version=previous,
                arn=state.alias_arn,
                can_roll_back=bool(previous),
            )
        )

    def read_logs(
        self, survey: Survey, version: str, *, since: float | None, limit: int
    ) -> LogExcerpt:
        if not version:
            self._serving(survey, "No logs")
        return read_logs(self.conn.logs, self.config.log_group, version, since=since, limit=limit)

    # --- deploying -----------------------------------------------------------------------
    def adopt(self, survey: Survey) -> None:
        """Refuse a CloudFormation stack's function; warn about one made elsewhere.

        The mark itself is written by the deploy that follows (``ensure_tags``), which
        reports it as a change.
        """
        name = self.config.function_name
        if survey.stack:
            raise DeployError(
                f"The function {name} belongs to the CloudFormation stack {survey.stack}; "
                "changing it directly would make the stack drift. Nothing was changed.",
                target=NAME,
                remediation="Deploy that stack with cargo pmcp deploy, or delete the stack and "
                "let pmcp-action create the function, or choose another server-name.",
            )
        self.console.warning(
            f"The function {name} exists but was not created by pmcp-action; it is updated "
            "and tagged as managed from now on.",
            title="Existing Lambda function",
        )

    def first_deploy(self, survey: Survey, artifact: PreparedPackage) -> TargetResult:
        return self._serve(survey, self._publish(survey, artifact))

    def stage(self, survey: Survey, artifact: PreparedPackage) -> TargetResult:
        """The new version behind alias ``candidate`` at its own URL; ``live`` unmoved.

        Without ``live`` yet (a function whose first deploy stopped early), or when ``live``
        serves the published version already (only the secrets' tags were stale), there is
        nothing to protect: it is deployed live, as a first deploy is.
        """
        published = self._publish(survey, artifact)
        state = published.state
        if not state.alias_version or published.version == state.alias_version:
            return self._serve(survey, published)
        return self._stage(survey, published)

    def unchanged(self, survey: Survey, artifact: PreparedPackage) -> TargetResult | None:
        """``live`` already serves this code and configuration: repair the rest, publish
        nothing."""
        if not survey.live_matches:
            return None
        conn, state, compared = self.conn, survey.function, survey.compared
        changes: list[PlanChange] = []
        role_arn, _created, role_changes = conn.roles.ensure(compared.role)
        changes += role_changes
        changes += conn.log_group.ensure(compared.log_group)
        if compared.key is not None and compared.key.arn and compared.secrets.values:
            changes += conn.keys.ensure_grant(compared.key.arn, role_arn, role_just_created=False)
        changes += conn.functions.ensure_tags(state)
        changes += conn.functions.ensure_concurrency(state)
        url, url_changes = conn.urls.ensure(compared.url)
        changes += url_changes
        previous = survey.deployed.previous
        self.console.info(
            f"{self.config.function_name}: version {state.alias_version} already serves this "
            "code and configuration; no new version."
            + (f" Repaired: {', '.join(c.resource for c in changes)}." if changes else "")
        )
        return self._result(
            Outcome(
                function_url=url,
                version=state.alias_version,
                previous_version=previous,
                arn=state.alias_arn,
                unchanged=not changes,
                changes=tuple(changes),
                can_roll_back=bool(previous),
                secrets=compared.secrets.outcomes,
            )
        )

    def _publish(self, survey: Survey, artifact: PreparedPackage) -> _Published:
        """Create or update the function and publish a version (or find one to reuse).

        The KMS key comes first (a missing permission to create it changes nothing), the
        role's grant before the function is given the key.
        """
        conn, config, console = self.conn, self.config, self.console
        state, compared = survey.function, survey.compared
        functions = conn.functions
        plan = compared.secrets
        self._warn_unreadable(survey)
        survey.check_write(config, conn.session.arn)
        changes: list[PlanChange] = []

        desired = compared.desired
        if compared.key is not None:
            key_arn, key_changes = conn.keys.ensure(compared.key)
            changes += key_changes
            desired = replace(desired, kms_key_arn=key_arn)
        role_arn, role_created, role_changes = conn.roles.ensure(compared.role)
        changes += role_changes
        desired = replace(desired, role_arn=role_arn)
        changes += conn.log_group.ensure(compared.log_group)
        if compared.key is not None and plan.values:
            changes += conn.keys.ensure_grant(
                desired.kms_key_arn, role_arn, role_just_created=role_created
            )
        code = self._code_source(artifact)

        resource = f"Lambda function {config.function_name}"
        existed = state.exists
        if not existed:
            # Another run may create it first: then it is ours to update, conditionally.
            state = functions.create(desired, code, role_just_created=role_created)
            if not state.raced:
                console.info(f"Created the function {config.function_name}.")
                changes.append(PlanChange("create", resource, describe_shape(desired)))
        function_arn = state.arn
        # A function just made (by this run or a concurrent one) is changed on condition
        # that no one else changed it since: two first deploys may meet here.
        revision = state.revision if not existed else ""
        if existed or state.raced:
            config_diff = config_changes(desired, state.latest)
            if config_diff:
                revision = functions.update_configuration(
                    desired, role_just_created=role_created, revision=revision
                )
                console.info(f"Updated the configuration: {'; '.join(config_diff)}.")
                changes.append(PlanChange("update", resource, "; ".join(config_diff)))
            code_diff = code_changes(desired, state.latest)
            if code_diff:
                revision = functions.update_code(desired, code, revision)
                console.info(f"Updated the code: {'; '.join(code_diff)}.")
                changes.append(PlanChange("update", resource, "; ".join(code_diff)))
            changes += functions.ensure_tags(state)
        changes += functions.ensure_concurrency(state)

        if compared.reusable_version:
            version = compared.reusable_version
            console.info(f"Version {version} already has this code and configuration.")
        else:
            description = version_description(
                self.context.project, self.context.environ, artifact.package_sha256
            )
            version = functions.publish(desired, description, revision)
            console.info(f"Published version {version}.")
            changes.append(PlanChange("create", f"version {version}"))
        return _Published(version, function_arn, tuple(changes), state)

    def _serve(self, survey: Survey, published: _Published) -> TargetResult:
        """``live`` on the published version: created there (a first deploy: nothing served
        before, so it is verified live), or there already (only the secrets' tags were
        stale); then the secrets' tags."""
        conn, config, console = self.conn, self.config, self.console
        state = published.state
        functions = conn.functions
        plan = survey.compared.secrets
        version, function_arn = published.version, published.function_arn
        changes = list(published.changes)
        previous = state.alias_version
        if version == previous:
            # Only the secrets' tags were stale: live serves this version already.
            move = AliasMove(state.alias_arn, version, survey.deployed.previous)
            previous = survey.deployed.previous
        else:
            move = move_alias(functions, state, version, previous)
        notes: tuple[str, ...] = ()
        if move.superseded_by:
            text = (
                f"Another deploy moved alias {ALIAS} to version {move.superseded_by} while this "
                f"one ran: version {version} was published but does not serve, and version "
                f"{move.superseded_by} is what the outputs and the verification describe."
            )
            console.warning(text, title="Concurrent deploy")
            notes = (text,)
        elif version != state.alias_version:
            previous = move.previous
            console.info(
                f"Alias {ALIAS}: version {previous} → {version}."
                if previous
                else f"Alias {ALIAS} → version {version}."
            )
            changes.append(
                PlanChange(
                    "update" if previous else "create",
                    f"alias {ALIAS}",
                    f"{previous} → {version}" if previous else f"→ {version}",
                )
            )
        if not move.superseded_by:
            changes += record(functions, function_arn, plan, salt=config.secret_salt)
            if plan.outcomes:
                console.info(f"Secrets: {plan.summary()}.")
        url, url_changes = conn.urls.ensure(conn.urls.read())
        changes += url_changes
        console.info(f"Function URL: {url}")
        return self._result(
            Outcome(
                function_url=url,
                version=move.version,
                previous_version=move.previous if move.superseded_by else previous,
                arn=move.arn,
                unchanged=False,
                changes=tuple(changes),
                notes=notes,
                # Never roll back a version another deploy put live, nor one served before.
                can_roll_back=bool(previous)
                and not move.superseded_by
                and version != state.alias_version,
                secrets=plan.outcomes,
            )
        )

    def _stage(self, survey: Survey, published: _Published) -> TargetResult:
        """Point ``candidate`` at the published version and give it a URL like ``live``'s."""
        conn, console = self.conn, self.console
        state, compared = published.state, survey.compared
        version, previous = published.version, state.alias_version
        changes = list(published.changes)
        changes += point_candidate(conn.functions, compared.candidate, version)
        urls = conn.urls.for_alias(CANDIDATE)
        candidate_url, url_changes = urls.ensure(compared.candidate.url)
        changes += url_changes
        opened = any(
            c.action == "create" and c.resource.startswith("public invoke permissions")
            for c in url_changes
        )
        console.info(
            f"Version {version} answers at alias {CANDIDATE}'s URL {candidate_url} with no "
            f"traffic; alias {ALIAS} still serves version {previous}."
        )
        return self._result(
            Outcome(
                function_url=compared.url.url,
                candidate_url=candidate_url,
                version=version,
                previous_version=previous,
                arn=state.alias_arn,
                unchanged=False,
                changes=tuple(changes),
                can_roll_back=True,
                secrets=compared.secrets.outcomes,
                access_settling=(
                    f"the public permissions of alias {CANDIDATE}'s function URL were just added"
                    if opened
                    else ""
                ),
            )
        )

    def promote(self, staged: TargetResult) -> TargetResult:
        """Move ``live`` to the verified version, only from the one it served at staging."""
        conn, config, console = self.conn, self.config, self.console
        functions = conn.functions
        version, previous = staged.version, staged.previous_version
        state = functions.read()
        # The plan staging made, again: the tags and what live served are unchanged since.
        plan = plan_secrets(
            self.context.project.secrets, read_stored(state), salt=config.secret_salt
        )
        move = promote_alias(functions, state, version, previous)
        console.info(
            f"Alias {ALIAS}: version {previous} → {version} (verified at alias {CANDIDATE}'s URL)."
        )
        changes = [
            *staged.changes,
            PlanChange("update", f"alias {ALIAS}", f"{previous} → {version}"),
        ]
        changes += record(functions, state.arn, plan, salt=config.secret_salt)
        if plan.outcomes:
            console.info(f"Secrets: {plan.summary()}.")
        url, url_changes = conn.urls.ensure(conn.urls.read())
        changes += url_changes
        console.info(f"Function URL: {url}")
        return self._result(
            Outcome(
                function_url=url,
                version=version,
                previous_version=previous,
                arn=move.arn,
                unchanged=False,
                changes=tuple(changes),
                notes=staged.notes,
                can_roll_back=True,
                secrets=staged.secrets,
            )
        )

    def shift_traffic(self, staged: TargetResult, percent: int, *, current: int) -> TargetResult:
        """``live``'s routing configuration: the staged version ``percent`` %, the one ``live``
        points at the rest (:mod:`.traffic`); 0 clears it."""
        version, previous = staged.version, staged.previous_version
        try:
            wrote = shift_split(self.conn.functions, version, previous, percent, current=current)
        except MovedPast as moved:
            raise TrafficMovedError(
                f"Alias {ALIAS} of {self.config.function_name} is no longer split as this run "
                f"left it (version {version} at {current} %, {previous} at {100 - current} %): "
                f"version {moved.split.serving or '(none)'} takes the most now.",
                target=NAME,
                serving=moved.split.serving,
            ) from None
        if not wrote and percent == current:
            return staged
        self.console.info(
            f"Alias {ALIAS}: version {version} at {percent} %, {previous} at {100 - percent} %."
        )
        return split_change(staged, percent)

    def discard(self, staged: TargetResult) -> None:
        """Nothing to undo: ``live`` never moved. ``candidate`` stays on the failed version
        (its URL shows it) until the next deploy points it at its own."""
        self.console.info(
            f"Version {staged.version} got no traffic: alias {ALIAS} still serves version "
            f"{staged.previous_version}; alias {CANDIDATE} stays on version {staged.version} "
            "until the next deploy."
        )

    def _code_source(self, package: PreparedPackage) -> CodeSource:
        """The zip inline when it is small enough, else through the S3 store."""
        artifact = package.artifact()
        if artifact.size <= self.direct_upload_limit:
            return CodeSource(zip_bytes=artifact.path.read_bytes())
        return self.conn.store().upload(artifact.path, artifact.sha256)

    # --- rolling back and removing -----------------------------------------------------
    def rollback_version(self, survey: Survey, wanted: str) -> str:
        """``wanted`` (a published version number), else the one ``live`` recorded."""
        name = self.config.function_name
        current = self._serving(survey, "There is nothing to roll back").alias_version
        version = wanted or survey.deployed.previous
        if not version:
            raise DeployError(
                f"No previous version of {name} is recorded (version {current} is the first "
                "one deployed with pmcp-action).",
                target=NAME,
                remediation="Give the version to return to with rollback-to (--to N).",
            )
        if not version.isdigit():
            raise DeployError(
                f"{version!r} is not a Lambda version number.",
                target=NAME,
                remediation="Give a published version number, e.g. rollback-to: 3.",
            )
        if version != current and not self.conn.functions.version_exists(version):
            raise DeployError(
                f"Version {version} of {name} does not exist.",
                target=NAME,
                remediation="Pick a published version (the Lambda console lists them).",
            )
        return version

    def already_serving(self, survey: Survey) -> TargetResult:
        state = survey.function
        return self._result(
            Outcome(
                function_url=self.conn.urls.read().url,
                version=state.alias_version,
                previous_version=survey.deployed.previous,
                arn=state.alias_arn,
                unchanged=True,
            )
        )

    def move_traffic(self, survey: Survey, version: str) -> TargetResult:
        """Move ``live`` back with the conditional write; a concurrent move fails it."""
        state = survey.function
        current = state.alias_version
        url = self.conn.urls.read().url
        move = move_alias(
            self.conn.functions, state, version, previous=current, yield_to_newer=False
        )
        self.console.info(f"Alias {ALIAS}: version {current} → {version} (rolled back).")
        changes = [PlanChange("update", f"alias {ALIAS}", f"{current} → {version}")]
        changes += resync(self.conn.functions, state, version, salt=self.config.secret_salt)
        return self._result(
            Outcome(
                function_url=url,
                version=version,
                previous_version=current,
                arn=move.arn,
                unchanged=False,
                changes=tuple(changes),
                can_roll_back=True,
            )
        )

    def remove(self, survey: Survey) -> TargetResult:
        """Delete the URL, the alias, the function, our role, the uploads (and the log group
        when asked)."""
        conn, config = self.conn, self.config
        name = config.function_name
        changes: list[PlanChange] = []
        changes += delete_candidate(conn.functions, conn.urls)
        for preview in list_previews(conn.functions):
            changes += delete_preview(conn.functions, conn.urls, preview)
        if conn.urls.delete():
            changes.append(PlanChange("delete", f"function URL {name}:{ALIAS}"))
        with aws_step(f"delete the alias {ALIAS}"):
            try:
                conn.functions.lam.delete_alias(FunctionName=name, Name=ALIAS)
                changes.append(PlanChange("delete", f"alias {ALIAS}"))
            except ClientError as exc:
                if not has_code(exc, "ResourceNotFoundException"):
                    raise
        conn.functions.delete()
        changes.append(PlanChange("delete", f"Lambda function {name}", "all versions"))
        changes += removed_changes(name, survey.stored)
        changes += self._remove_grant(survey)
        role_arn = str(survey.function.latest.get("Role", ""))
        if role_arn and conn.roles.delete_if_managed(role_arn):
            changes.append(PlanChange("delete", f"IAM role {role_arn.rsplit('/', 1)[-1]}"))
        store = conn.store()
        try:
            removed = store.delete_objects_of(name)
        except DeployError as exc:
            self.console.warning(f"Could not delete the uploaded artifacts: {exc.message}")
            removed = 0
        if removed:
            changes.append(
                PlanChange("delete", f"s3://{store.bucket}/{name}/", f"{removed} objects")
            )
        if not config.delete_log_group:
            changes.append(PlanChange("keep", f"log group {config.log_group}"))
        elif conn.log_group.delete():
            changes.append(PlanChange("delete", f"log group {config.log_group}"))
        return self._result(Outcome(unchanged=False, changes=tuple(changes)))

    def _remove_grant(self, survey: Survey) -> list[PlanChange]:
        """Revoke the role's grant on the function's key; the key itself stays (shared)."""
        key_arn = str(survey.function.latest.get("KMSKeyArn") or "")
        if not key_arn:
            return []
        changes: list[PlanChange] = []
        keys = self.conn.keys
        if keys.revoke_grant(key_arn):
            changes.append(PlanChange("delete", f"KMS grant {keys.grant_name}"))
        changes.append(
            PlanChange(
                "keep",
                f"KMS key {key_arn}",
                f"never deleted: {DEFAULT_ALIAS} encrypts the environment of every function "
                "pmcp-action deploys with secrets in this account and Region, and a key "
                "given by kms-key-arn is yours",
            )
        )
        return changes

    # --- previews --------------------------------------------------------------------------
    def previews(self, survey: Survey) -> tuple[str, ...]:
        if not survey.function.exists:
            return ()
        return list_previews(self.conn.functions)

    def deploy_preview(
        self, survey: Survey, artifact: PreparedPackage, preview: Preview
    ) -> TargetResult:
        """A version published for the preview behind alias ``<preview-id>``, at that alias's
        own function URL; ``live`` (and what it serves) untouched."""
        conn, name = self.conn, self.config.function_name
        if not survey.function.alias_version:
            raise DeployError(
                f"There is no Lambda function {name} serving through alias {ALIAS} in "
                f"{self.config.region} for the preview {preview.id} to run beside.",
                target=NAME,
                remediation="A Lambda preview is an alias of the production function: deploy "
                "the server first (command: deploy), then deploy its previews.",
            )
        state = read_preview(conn.functions, preview.id)
        published = self._publish(survey, artifact)
        version, serving = published.version, published.state.alias_version
        changes = list(published.changes)
        changes += point_preview(conn.functions, state, version)
        url, url_changes = conn.urls.for_alias(preview.id).ensure(
            conn.urls.for_alias(preview.id).read()
        )
        changes += url_changes
        opened = any(
            c.action == "create" and c.resource.startswith("public invoke permissions")
            for c in url_changes
        )
        self.console.info(
            f"Version {version} answers at alias {preview.id}'s URL {url}; alias {ALIAS} still "
            f"serves version {serving}."
        )
        done = self._result(
            Outcome(
                function_url=url,
                version=version,
                previous_version="",
                arn=f"{published.function_arn}:{preview.id}",
                unchanged=False,
                changes=tuple(changes),
                secrets=survey.compared.secrets.outcomes,
                access_settling=(
                    f"the public permissions of alias {preview.id}'s function URL were just added"
                    if opened
                    else ""
                ),
            )
        )
        return replace(done, preview_id=preview.id, preview_url=done.url)

    def remove_preview(self, survey: Survey, preview: str) -> TargetResult:
        """The preview's public permissions, URL and alias deleted (the versions stay, as
        every published version does); a missing one is a note."""
        functions, name = self.conn.functions, self.config.function_name
        state = read_preview(functions, preview) if survey.function.exists else None
        if state is None or not state.exists or not state.marked:
            note = (
                f"There is no preview {preview} of Lambda function {name} in "
                f"{self.config.region}; nothing to remove."
            )
            self.console.info(note)
            return replace(self._result(Outcome(unchanged=True, notes=(note,))), preview_id=preview)
        changes = delete_preview(functions, self.conn.urls, preview)
        self.console.info(
            f"Removed alias {preview} (version {state.version}), its function URL and "
            "permissions; its URL no longer answers."
        )
        return replace(
            self._result(Outcome(version=state.version, unchanged=False, changes=tuple(changes))),
            preview_id=preview,
        )

    # --- helpers --------------------------------------------------------------------------
    def _warn_unreadable(self, survey: Survey) -> None:
        """Say once that Lambda hides the environment from this identity, and what follows."""
        stored = survey.stored
        if not stored.unreadable:
            return
        key = str(survey.function.latest.get("KMSKeyArn") or "the function's KMS key")
        self.console.warning(
            f"Lambda does not show {self.conn.session.arn} the function's environment "
            f"({stored.unreadable}: no kms:Decrypt on {key}). The secrets are compared by "
            "the fingerprints their tags record, but the environment cannot be: each deploy "
            "writes it again (a new version), and a secret not given cannot be kept. Allow "
            "kms:Decrypt on the key to this identity to deploy unchanged code and settings "
            "without a new version.",
            title="Environment not readable",
        )

    def _result(self, outcome: Outcome) -> TargetResult:
        return result(self.conn, outcome)

    def _serving(self, survey: Survey, doing: str) -> FunctionState:
        """The function as ``live`` serves it; :class:`NothingDeployedError` without alias."""
        state = survey.function
        if not state.alias_version:
            resource = self.resource()
            raise NothingDeployedError(
                f"{doing}: the {resource.title} {resource.where} has no alias {ALIAS} (no "
                "version of it serves).",
                target=NAME,
                remediation=f"Deploy first, or check {resource.chosen_by}.",
            )
        return state


def version_description(
    project: Project, environ: Mapping[str, str], package_sha256: str = ""
) -> str:
    """The published version's description: server version, commit, CI run, package hash.

    The package hash (:data:`.survey.PACKAGE_MARK`) always fits: Lambda keeps 256
    characters, and what gives way is the start.
    """
    parts = ["pmcp-deploy-action"]
    if project.version:
        parts.append(f"server {project.version}")
    repository = environ.get("GITHUB_REPOSITORY") or environ.get("CI_PROJECT_PATH") or ""
    sha = environ.get("GITHUB_SHA") or environ.get("CI_COMMIT_SHA") or ""
    if repository or sha:
        parts.append(f"{repository}@{sha[:12]}".strip("@"))
    run_id = environ.get("GITHUB_RUN_ID") or environ.get("CI_PIPELINE_ID") or ""
    if run_id:
        parts.append(f"run {run_id}")
    text = ", ".join(parts)
    if not package_sha256:
        return text
    mark = f", {PACKAGE_MARK}{package_sha256}"
    return text[: _DESCRIPTION_LIMIT - len(mark)] + mark
