"""What a plan or deploy reads first, and what a deploy would change.

:func:`take_survey` reads the function, its alias, the role, the log group and
the URL without changing anything; :class:`Survey` then answers "does the
version behind ``live`` already have exactly this code and configuration?"
(the "unchanged" decision, made before any mutating call and, when the serving
version recorded the package hash, before zipping), and
:func:`planned_changes` turns the survey into the plan's list of changes.
"""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType

from ...artifact.lambda_package import LambdaArtifact, PreparedPackage
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

__all__ = [
    "PACKAGE_MARK",
    "Survey",
    "code_sha256",
    "describe_shape",
    "planned_changes",
    "recorded_package_sha256",
    "take_survey",
]

#: How a published version's description records what its package holds
#: (:attr:`PreparedPackage.package_sha256`), so a redeploy decides "unchanged" before zipping.
PACKAGE_MARK = "package-sha256="
_RECORDED = re.compile(re.escape(PACKAGE_MARK) + r"([0-9a-f]{64})\b")


def recorded_package_sha256(description: str) -> str:
    """The package hash a version's description records, or ""."""
    match = _RECORDED.search(description)
    return match.group(1) if match else ""


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
    package: PreparedPackage,
) -> Survey:
    """Read everything a plan or deploy decides on; changes nothing.

    The reads that do not depend on each other run concurrently (botocore clients are
    thread-safe): the function (then its versions and URL), the role and the log group.
    Failures are raised in that order, as when the reads ran one after another.

    The package is zipped (meanwhile) only when the version ``live`` serves does not record
    the same package hash: equal contents give the same reproducible zip, so its CodeSha256
    is the one ``live`` already has.
    """
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="aws-survey") as pool:
        role_read = pool.submit(roles.inspect)
        log_group_read = pool.submit(logs.read)
        function = functions.read()
        live = function.live
        recorded = recorded_package_sha256(str(live.get("Description", ""))) if live else ""
        if live is not None and recorded == package.package_sha256:
            zipped = None
            code = str(live.get("CodeSha256", ""))
        else:
            zipped = pool.submit(package.artifact)
        latest_read = pool.submit(functions.latest_published_version) if function.exists else None
        url_read = pool.submit(urls.read) if function.alias_version else None
        latest = latest_read.result() if latest_read is not None else None
        url = url_read.result() if url_read is not None else UrlState()
        role = role_read.result()
        log_group = log_group_read.result()
        if zipped is not None:
            code = code_sha256(zipped.result())
    desired = DesiredFunction(
        name=config.function_name,
        role_arn=role.arn,
        architecture=config.architecture,
        memory_mb=config.memory_mb,
        timeout_seconds=config.timeout_seconds,
        environment=MappingProxyType(dict(config.environment)),
        code_sha256=code,
        tracing_mode="Active" if config.enable_xray else "PassThrough",
    )
    reusable = ""
    if (
        latest is not None
        and not code_changes(desired, latest)
        and not config_changes(desired, latest)
    ):
        reusable = str(latest["Version"])
    return Survey(
        function=function,
        role=role,
        log_group=log_group,
        url=url,
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
    package: PreparedPackage,
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
    # (The package is zipped already whenever live does not match.)
    if not live_matches and (artifact := package.artifact()).size > direct_upload_limit:
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
