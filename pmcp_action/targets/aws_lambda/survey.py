"""What a plan or deploy reads first, and what a deploy would change.

:func:`take_survey` reads the function, its alias, the role, the log group and
the URL without changing anything; :class:`Survey` then answers "does the
version behind ``live`` already have exactly this code and configuration?"
(the "unchanged" decision, made before any mutating call), and
:func:`planned_changes` turns the survey into the plan's list of changes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from types import MappingProxyType

from ...artifact.lambda_package import LambdaArtifact
from ...result import PlanChange
from .config import LambdaConfig
from .function import (
    ALIAS,
    DesiredFunction,
    FunctionManager,
    FunctionState,
    code_changes,
    config_changes,
)
from .logs import LogGroupManager, LogGroupState
from .role import RoleManager, RoleState, is_managed
from .storage import bucket_name, object_key
from .url import UrlManager, UrlState

__all__ = ["Survey", "code_sha256", "describe_shape", "planned_changes", "take_survey"]


@dataclass(frozen=True)
class Survey:
    """Everything read before a plan or deploy decides anything."""

    function: FunctionState
    role: RoleState
    log_group: LogGroupState
    url: UrlState
    desired: DesiredFunction
    #: The highest published version, when it already has exactly the desired code and config.
    reusable_version: str

    @property
    def live_matches(self) -> bool:
        live = self.function.live
        return (
            live is not None
            and not code_changes(self.desired, live)
            and not config_changes(self.desired, live)
        )


def _code_sha256(artifact: LambdaArtifact) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256 digest."""
    return base64.b64encode(bytes.fromhex(artifact.sha256)).decode()


def code_sha256(artifact: LambdaArtifact) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256 digest."""
    return base64.b64encode(bytes.fromhex(artifact.sha256)).decode()


def describe_shape(desired: DesiredFunction) -> str:
    return (
        f"{desired.runtime}, {desired.architecture}, {desired.memory_mb} MB, "
        f"{desired.timeout_seconds} s, {len(desired.environment)} environment variables"
    )


def take_survey(
    functions: FunctionManager,
    roles: RoleManager,
    logs: LogGroupManager,
    urls: UrlManager,
    config: LambdaConfig,
    artifact: LambdaArtifact,
) -> Survey:
    """Read everything a plan or deploy decides on; changes nothing."""
    function = functions.read()
    role = roles.inspect()
    desired = DesiredFunction(
        name=config.function_name,
        role_arn=role.arn,
        architecture=config.architecture,
        memory_mb=config.memory_mb,
        timeout_seconds=config.timeout_seconds,
        environment=MappingProxyType(dict(config.environment)),
        code_sha256=code_sha256(artifact),
        tracing_mode="Active" if config.enable_xray else "PassThrough",
    )
    reusable = ""
    if function.exists:
        latest = functions.latest_published_version()
        if (
            latest is not None
            and not code_changes(desired, latest)
            and not config_changes(desired, latest)
        ):
            reusable = str(latest["Version"])
    return Survey(
        function=function,
        role=role,
        log_group=logs.read(),
        url=urls.read() if function.alias_version else UrlState(),
        desired=desired,
        reusable_version=reusable,
    )


def planned_changes(
    survey: Survey,
    config: LambdaConfig,
    *,
    roles: RoleManager,
    logs: LogGroupManager,
    urls: UrlManager,
    account: str,
    artifact: LambdaArtifact,
    direct_upload_limit: int,
) -> list[PlanChange]:
    """What a deploy would do, from the survey alone."""
    state = survey.function
    changes: list[PlanChange] = []
    changes += roles.plan(survey.role)
    changes += logs.plan(survey.log_group)
    resource = f"Lambda function {config.function_name}"
    live_matches = survey.live_matches
    if not state.exists:
        changes.append(PlanChange("create", resource, describe_shape(survey.desired)))
    elif not live_matches:
        role_unknown = not survey.role.exists
        desired = survey.desired
        config_diff = [
            c
            for c in config_changes(desired, state.latest)
            if not (role_unknown and c.startswith("role "))
        ]
        if role_unknown:
            config_diff.append(f"role → {survey.role.name} (new)")
        code_diff = code_changes(desired, state.latest)
        if config_diff:
            changes.append(PlanChange("update", resource, "; ".join(config_diff)))
        if code_diff:
            changes.append(PlanChange("update", resource, "; ".join(code_diff)))
    if state.exists and not is_managed(state.tags, config.function_name):
        changes.append(PlanChange("update", resource, "tags"))
    wanted_concurrency = config.reserved_concurrency
    if wanted_concurrency is not None and wanted_concurrency != state.reserved_concurrency:
        changes.append(
            PlanChange("update", resource, f"reserved concurrency → {wanted_concurrency}")
        )
    if artifact.size > direct_upload_limit and not live_matches:
        bucket = bucket_name(account, config.region)
        key = object_key(config.function_name, artifact.sha256)
        changes.append(PlanChange("create", f"s3://{bucket}/{key}", f"{artifact.size} bytes"))
    if live_matches:
        changes.append(PlanChange("keep", resource, f"version {state.alias_version} is up to date"))
    else:
        if survey.reusable_version:
            changes.append(PlanChange("keep", f"version {survey.reusable_version}", "reused"))
        else:
            changes.append(PlanChange("create", "a new version"))
        previous = state.alias_version
        changes.append(
            PlanChange(
                "update" if previous else "create",
                f"alias {ALIAS}",
                f"{previous} → new version" if previous else "→ new version",
            )
        )
    changes += urls.plan(survey.url)
    return changes
