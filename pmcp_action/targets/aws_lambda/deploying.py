"""The two deploy paths once the survey is taken, and what they need.

"Unchanged" repairs what is around the function (role, log group, tags,
concurrency, URL) and publishes nothing. "Changed" ensures the role and log
group, creates or updates the function, publishes a version (or reuses one
with the same code and configuration) and moves ``live`` to it: the atomic
switch. Before either, :func:`check_ownership` refuses a function that
belongs to a CloudFormation stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ...artifact.lambda_package import LambdaArtifact
from ...ci.base import Platform
from ...context import Project
from ...errors import DeployError
from ...result import PlanChange
from .alias import move_alias, previous_version_of
from .config import LambdaConfig
from .connection import Connection, open_store
from .function import ALIAS, CodeSource, FunctionState, code_changes, config_changes
from .results import Outcome
from .role import is_managed
from .survey import PACKAGE_MARK, Survey, describe_shape

__all__ = [
    "check_ownership",
    "deploy_changed",
    "deploy_unchanged",
    "version_description",
]

_CLOUDFORMATION_TAG = "aws:cloudformation:stack-name"
#: Lambda's limit for a version's description.
_DESCRIPTION_LIMIT = 256


def check_ownership(state: FunctionState, config: LambdaConfig, console: Platform) -> None:
    """Refuse a CloudFormation-owned function; warn about one pmcp-action did not create."""
    if not state.exists:
        return
    stack = state.tags.get(_CLOUDFORMATION_TAG)
    if stack:
        raise DeployError(
            f"The function {config.function_name} belongs to the CloudFormation stack "
            f"{stack}; changing it directly would make the stack drift. Nothing was changed.",
            target="aws-lambda",
            remediation="Deploy that stack with cargo pmcp deploy, or delete the stack and "
            "let pmcp-action create the function, or choose another server-name.",
        )
    if not is_managed(state.tags, config.function_name):
        console.warning(
            f"The function {config.function_name} exists but was not created by "
            "pmcp-action; it is updated and tagged as managed from now on.",
            title="Existing Lambda function",
        )


def deploy_unchanged(
    conn: Connection, survey: Survey, config: LambdaConfig, console: Platform
) -> Outcome:
    """``live`` already serves this code and configuration: repair the rest, publish nothing."""
    state = survey.function
    changes: list[PlanChange] = []
    changes += conn.roles.ensure(survey.role)[2]
    changes += conn.logs.ensure(survey.log_group)
    changes += conn.functions.ensure_tags(state)
    changes += conn.functions.ensure_concurrency(state)
    url, url_changes = conn.urls.ensure(survey.url)
    changes += url_changes
    previous = previous_version_of(state.alias_description)
    console.info(
        f"{config.function_name}: version {state.alias_version} already serves this "
        "code and configuration; no new version."
        + (f" Repaired: {', '.join(c.resource for c in changes)}." if changes else "")
    )
    return Outcome(
        function_url=url,
        version=state.alias_version,
        previous_version=previous,
        arn=state.alias_arn,
        unchanged=not changes,
        changes=tuple(changes),
        can_roll_back=bool(previous),
    )


def deploy_changed(
    conn: Connection,
    survey: Survey,
    artifact: LambdaArtifact,
    *,
    config: LambdaConfig,
    console: Platform,
    description: str,
    direct_upload_limit: int,
) -> Outcome:
    """Create or update the function, publish a version and move ``live`` to it."""
    state = survey.function
    functions = conn.functions
    changes: list[PlanChange] = []

    role_arn, role_created, role_changes = conn.roles.ensure(survey.role)
    changes += role_changes
    desired = replace(survey.desired, role_arn=role_arn)
    changes += conn.logs.ensure(survey.log_group)
    code = _code_source(conn, artifact, config, console, direct_upload_limit)

    resource = f"Lambda function {config.function_name}"
    if not state.exists:
        functions.create(desired, code, role_just_created=role_created)
        console.info(f"Created the function {config.function_name}.")
        changes.append(PlanChange("create", resource, describe_shape(desired)))
    else:
        config_diff = config_changes(desired, state.latest)
        if config_diff:
            functions.update_configuration(desired, role_just_created=role_created)
            console.info(f"Updated the configuration: {'; '.join(config_diff)}.")
            changes.append(PlanChange("update", resource, "; ".join(config_diff)))
        code_diff = code_changes(desired, state.latest)
        if code_diff:
            functions.update_code(desired, code)
            console.info(f"Updated the code: {'; '.join(code_diff)}.")
            changes.append(PlanChange("update", resource, "; ".join(code_diff)))
        changes += functions.ensure_tags(state)
    changes += functions.ensure_concurrency(state)

    if survey.reusable_version:
        version = survey.reusable_version
        console.info(f"Version {version} already has this code and configuration.")
    else:
        version = functions.publish(desired, description)
        console.info(f"Published version {version}.")
        changes.append(PlanChange("create", f"version {version}"))

    previous = state.alias_version
    move = move_alias(functions, state, version, previous)
    notes: tuple[str, ...] = ()
    if move.superseded_by:
        text = (
            f"Another deploy moved alias {ALIAS} to version {move.superseded_by} while this one "
            f"ran: version {version} was published but does not serve, and version "
            f"{move.superseded_by} is what the outputs and the verification describe."
        )
        console.warning(text, title="Concurrent deploy")
        notes = (text,)
    else:
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
    url, url_changes = conn.urls.ensure(conn.urls.read())
    changes += url_changes
    console.info(f"Function URL: {url}")
    return Outcome(
        function_url=url,
        version=move.version,
        previous_version=move.previous if move.superseded_by else previous,
        arn=move.arn,
        unchanged=False,
        changes=tuple(changes),
        notes=notes,
        # Never roll back a version another deploy put live.
        can_roll_back=bool(previous) and not move.superseded_by,
    )


def _code_source(
    conn: Connection,
    artifact: LambdaArtifact,
    config: LambdaConfig,
    console: Platform,
    direct_upload_limit: int,
) -> CodeSource:
    """The zip inline when it is small enough, else through the S3 store."""
    if artifact.size <= direct_upload_limit:
        return CodeSource(zip_bytes=artifact.path.read_bytes())
    return open_store(conn, config, console).upload(artifact.path, artifact.sha256)


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
