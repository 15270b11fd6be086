"""The ``aws-lambda`` target: plan, deploy, outputs, rollback and destroy.

A deploy checks the credentials first, then reads everything (concurrently) and
decides "unchanged" itself (the package hash ``live``'s version recorded, or
else the same CodeSha256, and the same configuration) before any call that
changes something, and before zipping anything. Otherwise it ensures the execution role and log
group, creates or updates the function, publishes a version and moves
``live`` to it; the previous version serves until that move, which is the
atomic switch. The function URL lives on ``live``, so it never changes.

This module holds the protocol methods; the deploy paths are in
:mod:`.deploying`, the connection in :mod:`.connection`, the results in
:mod:`.results`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import ClientError

from ...artifact import Architecture, ArtifactRequest, work_dir
from ...artifact.lambda_package import LAMBDA_DIRECT_UPLOAD_LIMIT, LambdaPackage, PreparedPackage
from ...context import RunContext
from ...errors import DeployError, Problem
from ...result import LogExcerpt, PlanChange, TargetResult
from .alias import move_alias, previous_version_of
from .config import LambdaConfig, resolve
from .connection import Connection, RequestLog, connect, open_store
from .deploying import check_ownership, deploy_changed, deploy_unchanged, version_description
from .failures import aws_step, has_code
from .function import ALIAS, FunctionState
from .logs import version_lines
from .results import Outcome, to_result
from .role import is_managed
from .survey import planned_changes, take_survey

__all__ = ["AwsLambdaTarget", "create"]


class AwsLambdaTarget:
    name = "aws-lambda"

    def __init__(
        self, context: RunContext, *, direct_upload_limit: int = LAMBDA_DIRECT_UPLOAD_LIMIT
    ) -> None:
        self.context = context
        self.settings = context.settings
        self.project = context.project
        self.console = context.console
        self.config: LambdaConfig
        self.config, self._problems = resolve(context)
        self.direct_upload_limit = direct_upload_limit
        self._requests = RequestLog(self.console)

    def validate(self) -> Sequence[Problem]:
        return tuple(self._problems)

    def plan(self) -> TargetResult:
        # The artifact is located and checked first (its header, size and links: no cloud is
        # touched with a bad file), then the credentials, and only then is anything zipped.
        with work_dir("pmcp-aws-lambda-") as work:
            package = self._package(work)
            conn = self._connect()
            survey = take_survey(
                conn.functions, conn.roles, conn.logs, conn.urls, self.config, package
            )
        changes = planned_changes(
            survey,
            self.config,
            roles=conn.roles,
            logs=conn.logs,
            urls=conn.urls,
            account=conn.session.account,
            package=package,
            direct_upload_limit=self.direct_upload_limit,
        )
        state = survey.function
        for change in changes:
            self.console.info(f"  {change.action:<7} {change.resource}  {change.detail}".rstrip())
        outcome = Outcome(
            function_url=survey.url.url,
            version=state.alias_version,
            previous_version=previous_version_of(state.alias_description),
            arn=state.alias_arn,
            unchanged=not any(c.action != "keep" for c in changes),
            changes=tuple(changes),
            notes=(f"CodeSha256 of the artifact: {survey.desired.code_sha256}",),
        )
        return to_result(conn, self.config, outcome)

    def deploy(self) -> TargetResult:
        # The artifact is checked before any call; the credentials before any zipping.
        with work_dir("pmcp-aws-lambda-") as work:
            package = self._package(work)
            conn = self._connect()
            survey = take_survey(
                conn.functions, conn.roles, conn.logs, conn.urls, self.config, package
            )
            check_ownership(survey.function, self.config, self.console)
            if survey.live_matches:
                outcome = deploy_unchanged(conn, survey, self.config, self.console)
            else:
                outcome = deploy_changed(
                    conn,
                    survey,
                    package.artifact(),
                    config=self.config,
                    console=self.console,
                    description=version_description(
                        self.project, self.context.environ, package.package_sha256
                    ),
                    direct_upload_limit=self.direct_upload_limit,
                )
            return to_result(conn, self.config, outcome)

    def outputs(self) -> TargetResult:
        conn = self._connect()
        state = self._deployed(conn)
        url = conn.urls.read().url
        outcome = Outcome(
            function_url=url,
            version=state.alias_version,
            previous_version=previous_version_of(state.alias_description),
            arn=state.alias_arn,
            can_roll_back=bool(previous_version_of(state.alias_description)),
        )
        return to_result(conn, self.config, outcome)

    def logs(self, *, version: str, since: float | None, limit: int) -> LogExcerpt:
        """What ``version`` (default: the one ``live`` serves) logged, last lines first out."""
        conn = self._connect()
        wanted = version
        if not wanted:
            wanted = self._deployed(conn).alias_version
        return version_lines(
            conn.logs.logs, self.config.log_group, wanted, since=since, limit=limit
        )

    def rollback(self, to_version: str) -> TargetResult:
        conn = self._connect()
        state = conn.functions.read()
        if not state.exists or not state.alias_version:
            raise DeployError(
                f"There is nothing to roll back: {self.config.function_name} has no alias "
                f"{ALIAS} in {self.config.region}.",
                target=self.name,
                remediation="Deploy first, or check server-name and region.",
            )
        current = state.alias_version
        wanted = to_version.strip() or previous_version_of(state.alias_description)
        if not wanted:
            raise DeployError(
                f"No previous version of {self.config.function_name} is recorded (version "
                f"{current} is the first one deployed with pmcp-action).",
                target=self.name,
                remediation="Give the version to return to with rollback-to (--to N).",
            )
        if not wanted.isdigit():
            raise DeployError(
                f"{wanted!r} is not a Lambda version number.",
                target=self.name,
                remediation="Give a published version number, e.g. rollback-to: 3.",
            )
        url = conn.urls.read().url
        if wanted == current:
            self.console.info(f"Alias {ALIAS} already serves version {wanted}; nothing to do.")
            outcome = Outcome(
                function_url=url,
                version=current,
                previous_version=previous_version_of(state.alias_description),
                arn=state.alias_arn,
                unchanged=True,
            )
            return to_result(conn, self.config, outcome)
        if not conn.functions.version_exists(wanted):
            raise DeployError(
                f"Version {wanted} of {self.config.function_name} does not exist.",
                target=self.name,
                remediation="Pick a published version (the Lambda console lists them).",
            )
        move = move_alias(conn.functions, state, wanted, previous=current, yield_to_newer=False)
        self.console.info(f"Alias {ALIAS}: version {current} → {wanted} (rolled back).")
        outcome = Outcome(
            function_url=url,
            version=wanted,
            previous_version=current,
            arn=move.arn,
            unchanged=False,
            changes=(PlanChange("update", f"alias {ALIAS}", f"{current} → {wanted}"),),
            can_roll_back=True,
        )
        return to_result(conn, self.config, outcome)

    def destroy(self) -> TargetResult:
        conn = self._connect()
        name = self.config.function_name
        state = conn.functions.read()
        if not state.exists:
            raise DeployError(
                f"Nothing to destroy: there is no Lambda function {name} in {self.config.region}.",
                target=self.name,
                remediation="Check server-name and region.",
            )
        if not is_managed(state.tags, name):
            raise DeployError(
                f"The function {name} was not deployed by pmcp-action (it lacks the tags "
                f"managed-by=pmcp and pmcp:server={name}); it is left alone.",
                target=self.name,
                remediation="Delete it where it was created (its CloudFormation stack, "
                "cargo pmcp deploy destroy, or the console).",
            )
        changes: list[PlanChange] = []
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
        role_arn = str(state.latest.get("Role", ""))
        if role_arn and conn.roles.delete_if_managed(role_arn):
            changes.append(PlanChange("delete", f"IAM role {role_arn.rsplit('/', 1)[-1]}"))
        store = open_store(conn, self.config, self.console)
        try:
            removed = store.delete_objects_of(name)
        except DeployError as exc:
            self.console.warning(f"Could not delete the uploaded artifacts: {exc.message}")
            removed = 0
        if removed:
            changes.append(
                PlanChange("delete", f"s3://{store.bucket}/{name}/", f"{removed} objects")
            )
        if not self.config.delete_log_group:
            changes.append(PlanChange("keep", f"log group {self.config.log_group}"))
        elif conn.logs.delete():
            changes.append(PlanChange("delete", f"log group {self.config.log_group}"))
        for change in changes:
            self.console.info(f"  {change.action:<7} {change.resource}  {change.detail}".rstrip())
        return to_result(conn, self.config, Outcome(unchanged=False, changes=tuple(changes)))

    def _deployed(self, conn: Connection) -> FunctionState:
        """The function as it serves now; an error when there is no alias live."""
        state = conn.functions.read()
        if not state.exists or not state.alias_version:
            raise DeployError(
                f"No deployment of {self.config.function_name} was found in "
                f"{self.config.region} (no function with an alias {ALIAS}).",
                target=self.name,
                remediation="Deploy first, or check server-name and region.",
            )
        return state

    def _connect(self) -> Connection:
        return connect(self.context, self.config, self._problems, self._requests)

    def _package(self, work: Path) -> PreparedPackage:
        architecture: Architecture = "x86_64" if self.config.architecture == "x86_64" else "arm64"
        kind = LambdaPackage(packaging="zip", architecture=architecture)
        return kind.prepare(
            ArtifactRequest(
                project_root=self.project.root,
                artifact_input=self.config.artifact,
                config=self.project.config,
                work_dir=work,
                environ=self.context.environ,
                console=self.console,
                deadline=self.context.deadline,
                server_name=self.config.function_name,
            )
        )


def create(context: RunContext) -> AwsLambdaTarget:
    """The factory the declaration names."""
    return AwsLambdaTarget(context)
