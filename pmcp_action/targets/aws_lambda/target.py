"""The ``aws-lambda`` target: plan, deploy, outputs, rollback and destroy.

A deploy reads everything first and decides "unchanged" itself (same
CodeSha256 and configuration as the version alias ``live`` serves) before any
call that changes something. Otherwise it ensures the execution role and log
group, creates or updates the function, publishes a version and moves
``live`` to it; the previous version serves until that move, which is the
atomic switch. The function URL lives on ``live``, so it never changes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from botocore.exceptions import ClientError

from ...artifact import LAMBDA_DIRECT_UPLOAD_LIMIT, Artifact, resolve_artifact
from ...context import RunContext
from ...errors import DeployError, Problem, ValidationError
from ...result import PlanChange, TargetResult
from .alias import move_alias, previous_version_of
from .clients import AwsClients
from .config import LambdaConfig, resolve
from .credentials import AwsSession, open_session
from .failures import aws_step, has_code
from .function import (
    ALIAS,
    CodeSource,
    FunctionManager,
    FunctionState,
    code_changes,
    config_changes,
)
from .logs import LogGroupManager
from .role import RoleManager, is_managed
from .storage import ArtifactStore
from .survey import Survey, describe_shape, planned_changes, take_survey
from .url import UrlManager

__all__ = ["AwsLambdaTarget", "create"]

_CLOUDFORMATION_TAG = "aws:cloudformation:stack-name"


@dataclass(frozen=True)
class _Connection:
    session: AwsSession
    clients: AwsClients
    functions: FunctionManager
    roles: RoleManager
    urls: UrlManager
    logs: LogGroupManager


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
        self._request_ids: list[str] = []

    # --- protocol ---------------------------------------------------------------------------
    def validate(self) -> Sequence[Problem]:
        return tuple(self._problems)

    def plan(self) -> TargetResult:
        with self._work_dir() as work:
            artifact = self._artifact(work)
            conn = self._connect()
            survey = take_survey(
                conn.functions, conn.roles, conn.logs, conn.urls, self.config, artifact
            )
        changes = planned_changes(
            survey,
            self.config,
            roles=conn.roles,
            logs=conn.logs,
            urls=conn.urls,
            account=conn.session.account,
            artifact=artifact,
            direct_upload_limit=self.direct_upload_limit,
        )
        state = survey.function
        for change in changes:
            self.console.info(f"  {change.action:<7} {change.resource}  {change.detail}".rstrip())
        return self._result(
            conn,
            url=self._mcp_url(survey.url.url),
            version=state.alias_version,
            previous_version=previous_version_of(state.alias_description),
            arn=state.alias_arn,
            unchanged=not any(c.action != "keep" for c in changes),
            changes=tuple(changes),
            notes=(f"CodeSha256 of the artifact: {survey.desired.code_sha256}",),
        )

    def deploy(self) -> TargetResult:
        with self._work_dir() as work:
            artifact = self._artifact(work)
            conn = self._connect()
            survey = take_survey(
                conn.functions, conn.roles, conn.logs, conn.urls, self.config, artifact
            )
            self._check_ownership(survey.function)
            if survey.live_matches:
                return self._deploy_unchanged(conn, survey)
            return self._deploy_changed(conn, survey, artifact)

    def outputs(self) -> TargetResult:
        conn = self._connect()
        state = conn.functions.read()
        if not state.exists or not state.alias_version:
            raise DeployError(
                f"No deployment of {self.config.function_name} was found in "
                f"{self.config.region} (no function with an alias {ALIAS}).",
                target=self.name,
                remediation="Deploy first, or check server-name and region.",
            )
        url = conn.urls.read().url
        return self._result(
            conn,
            url=self._mcp_url(url),
            version=state.alias_version,
            previous_version=previous_version_of(state.alias_description),
            arn=state.alias_arn,
            can_roll_back=bool(previous_version_of(state.alias_description)),
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
            return self._result(
                conn,
                url=self._mcp_url(url),
                version=current,
                previous_version=previous_version_of(state.alias_description),
                arn=state.alias_arn,
                unchanged=True,
            )
        if not conn.functions.version_exists(wanted):
            raise DeployError(
                f"Version {wanted} of {self.config.function_name} does not exist.",
                target=self.name,
                remediation="Pick a published version (the Lambda console lists them).",
            )
        alias_arn = move_alias(conn.functions, state, wanted, previous=current)
        self.console.info(f"Alias {ALIAS}: version {current} → {wanted} (rolled back).")
        return self._result(
            conn,
            url=self._mcp_url(url),
            version=wanted,
            previous_version=current,
            arn=alias_arn,
            unchanged=False,
            changes=(PlanChange("update", f"alias {ALIAS}", f"{current} → {wanted}"),),
            can_roll_back=True,
        )

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
        store = ArtifactStore(
            conn.clients.client("s3", conn.session.credentials),
            self.config,
            conn.session.account,
            self.console,
        )
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
        return self._result(conn, unchanged=False, changes=tuple(changes))

    # --- deploy paths -------------------------------------------------------------------------
    def _deploy_unchanged(self, conn: _Connection, survey: Survey) -> TargetResult:
        state = survey.function
        changes: list[PlanChange] = []
        changes += conn.roles.ensure(survey.role)[2]
        changes += conn.logs.ensure(survey.log_group)
        changes += conn.functions.ensure_tags(state)
        changes += conn.functions.ensure_concurrency(state)
        url, url_changes = conn.urls.ensure(survey.url)
        changes += url_changes
        previous = previous_version_of(state.alias_description)
        self.console.info(
            f"{self.config.function_name}: version {state.alias_version} already serves this "
            "code and configuration; no new version."
            + (f" Repaired: {', '.join(c.resource for c in changes)}." if changes else "")
        )
        return self._result(
            conn,
            url=self._mcp_url(url),
            version=state.alias_version,
            previous_version=previous,
            arn=state.alias_arn,
            unchanged=not changes,
            changes=tuple(changes),
            can_roll_back=bool(previous),
        )

    def _deploy_changed(
        self, conn: _Connection, survey: Survey, artifact: Artifact
    ) -> TargetResult:
        state = survey.function
        functions = conn.functions
        changes: list[PlanChange] = []

        role_arn, role_created, role_changes = conn.roles.ensure(survey.role)
        changes += role_changes
        desired = replace(survey.desired, role_arn=role_arn)
        changes += conn.logs.ensure(survey.log_group)
        code = self._code_source(conn, artifact)

        resource = f"Lambda function {self.config.function_name}"
        if not state.exists:
            functions.create(desired, code, role_just_created=role_created)
            self.console.info(f"Created the function {self.config.function_name}.")
            changes.append(PlanChange("create", resource, describe_shape(desired)))
        else:
            config_diff = config_changes(desired, state.latest)
            if config_diff:
                functions.update_configuration(desired, role_just_created=role_created)
                self.console.info(f"Updated the configuration: {'; '.join(config_diff)}.")
                changes.append(PlanChange("update", resource, "; ".join(config_diff)))
            code_diff = code_changes(desired, state.latest)
            if code_diff:
                functions.update_code(desired, code)
                self.console.info(f"Updated the code: {'; '.join(code_diff)}.")
                changes.append(PlanChange("update", resource, "; ".join(code_diff)))
            changes += functions.ensure_tags(state)
        changes += functions.ensure_concurrency(state)

        if survey.reusable_version:
            version = survey.reusable_version
            self.console.info(f"Version {version} already has this code and configuration.")
        else:
            version = functions.publish(desired, self._version_description())
            self.console.info(f"Published version {version}.")
            changes.append(PlanChange("create", f"version {version}"))

        previous = state.alias_version
        alias_arn = move_alias(functions, state, version, previous)
        self.console.info(
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
        url, url_changes = conn.urls.ensure(conn.urls.read())
        changes += url_changes
        self.console.info(f"Function URL: {url}")
        return self._result(
            conn,
            url=self._mcp_url(url),
            version=version,
            previous_version=previous,
            arn=alias_arn,
            unchanged=False,
            changes=tuple(changes),
            can_roll_back=bool(previous),
        )

    # --- pieces ------------------------------------------------------------------------------
    @contextmanager
    def _work_dir(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="pmcp-aws-lambda-") as work:
            yield Path(work)

    def _artifact(self, work: Path) -> Artifact:
        architecture: Literal["arm64", "x86_64"] = (
            "x86_64" if self.config.architecture == "x86_64" else "arm64"
        )
        return resolve_artifact(
            project_root=self.project.root,
            artifact_input=self.config.artifact,
            config=self.project.config,
            work_dir=work,
            packaging="zip",
            architecture=architecture,
            environ=self.context.environ,
            console=self.console,
            server_name=self.config.function_name,
        )

    def _record(self, operation: str, request_id: str) -> None:
        if request_id:
            self._request_ids.append(f"{operation} {request_id}")
        self.console.debug(f"AWS {operation} request id {request_id or '(none)'}")

    def _connect(self) -> _Connection:
        if self._problems:
            raise ValidationError(self._problems)
        clients = AwsClients(self.config, environ=self.context.environ, on_mutation=self._record)
        session = open_session(self.context, self.config, clients)
        credentials = session.credentials
        functions = FunctionManager(
            clients.client("lambda", credentials),
            self.config,
            console=self.console,
            deadline=self.context.deadline,
            sleep=self.context.sleep,
        )
        return _Connection(
            session=session,
            clients=clients,
            functions=functions,
            roles=RoleManager(
                clients.client("iam", credentials), self.config, self.console, session.account
            ),
            urls=UrlManager(functions, self.config.url_auth_type),
            logs=LogGroupManager(clients.client("logs", credentials), self.config),
        )

    def _check_ownership(self, state: FunctionState) -> None:
        if not state.exists:
            return
        stack = state.tags.get(_CLOUDFORMATION_TAG)
        if stack:
            raise DeployError(
                f"The function {self.config.function_name} belongs to the CloudFormation stack "
                f"{stack}; changing it directly would make the stack drift. Nothing was changed.",
                target=self.name,
                remediation="Deploy that stack with cargo pmcp deploy, or delete the stack and "
                "let pmcp-action create the function, or choose another server-name.",
            )
        if not is_managed(state.tags, self.config.function_name):
            self.console.warning(
                f"The function {self.config.function_name} exists but was not created by "
                "pmcp-action; it is updated and tagged as managed from now on.",
                title="Existing Lambda function",
            )

    def _code_source(self, conn: _Connection, artifact: Artifact) -> CodeSource:
        if artifact.size <= self.direct_upload_limit:
            return CodeSource(zip_bytes=artifact.path.read_bytes())
        store = ArtifactStore(
            conn.clients.client("s3", conn.session.credentials),
            self.config,
            conn.session.account,
            self.console,
        )
        return store.upload(artifact.path, artifact.sha256)

    def _version_description(self) -> str:
        environ = self.context.environ
        parts = ["pmcp-deploy-action"]
        if self.project.version:
            parts.append(f"server {self.project.version}")
        repository = environ.get("GITHUB_REPOSITORY") or environ.get("CI_PROJECT_PATH") or ""
        sha = environ.get("GITHUB_SHA") or environ.get("CI_COMMIT_SHA") or ""
        if repository or sha:
            parts.append(f"{repository}@{sha[:12]}".strip("@"))
        run_id = environ.get("GITHUB_RUN_ID") or environ.get("CI_PIPELINE_ID") or ""
        if run_id:
            parts.append(f"run {run_id}")
        return ", ".join(parts)

    def _mcp_url(self, function_url: str) -> str:
        if not function_url:
            return ""
        base = function_url.rstrip("/") + "/"
        return base + self.config.mcp_path if self.config.mcp_path else base

    def _result(
        self,
        conn: _Connection,
        *,
        url: str = "",
        version: str = "",
        previous_version: str = "",
        arn: str = "",
        unchanged: bool | None = None,
        changes: tuple[PlanChange, ...] = (),
        notes: tuple[str, ...] = (),
        can_roll_back: bool = False,
    ) -> TargetResult:
        extra_notes = list(notes)
        if url and self.config.url_auth_type == "AWS_IAM":
            extra_notes.append(
                "The function URL requires AWS_IAM (SigV4-signed) requests; an unsigned MCP "
                "client gets 403."
            )
        health = url.removesuffix(self.config.mcp_path) if self.config.mcp_path else url
        return TargetResult(
            url=url,
            version=version,
            previous_version=previous_version,
            region=self.config.region,
            health_url=health,
            unchanged=unchanged,
            identity=conn.session.arn,
            outputs=MappingProxyType(
                {
                    "arn": arn,
                    "function-name": self.config.function_name,
                    "log-group": self.config.log_group,
                }
            ),
            changes=changes,
            notes=tuple(extra_notes),
            request_ids=tuple(self._request_ids),
            can_roll_back=can_roll_back,
        )


def create(context: RunContext) -> AwsLambdaTarget:
    """The factory the declaration names."""
    return AwsLambdaTarget(context)
