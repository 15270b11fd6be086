"""What a command reads first, and what a deploy would change.

:func:`take_survey` reads the function and its alias ``live`` without changing anything;
with a package to compare (a plan or a deploy) it also reads the role, the log group and
the URL, and :class:`Comparison` then answers "does the version behind ``live`` already
have exactly this code and configuration?" (the "unchanged" decision, made before any
mutating call and, when the serving version recorded the package hash, before zipping).
:func:`planned_changes` turns the survey into the plan's list of changes.
"""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType

from ...artifact.lambda_package import LambdaArtifact, PreparedPackage
from ...flow import Deployed
from ...result import PlanChange
from ...secrets import ServerSecrets
from .alias import previous_version_of
from .candidate import CandidateState, plan_candidate, read_candidate
from .config import LambdaConfig, is_ours
from .connection import Connection
from .function import (
    ALIAS,
    DesiredFunction,
    FunctionState,
    code_changes,
    config_changes,
)
from .kms import DEFAULT_ALIAS, KeyState
from .log_group import LogGroupState
from .role import RoleState
from .secrets import (
    SecretPlan,
    StoredSecrets,
    check_limits,
    check_writable,
    plan_changes,
    plan_secrets,
    read_stored,
)
from .storage import bucket_name, object_key
from .url import UrlState

__all__ = [
    "CLOUDFORMATION_TAG",
    "PACKAGE_MARK",
    "Comparison",
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
#: The tag CloudFormation puts on what a stack made.
CLOUDFORMATION_TAG = "aws:cloudformation:stack-name"


def recorded_package_sha256(description: str) -> str:
    """The package hash a version's description records, or ""."""
    match = _RECORDED.search(description)
    return match.group(1) if match else ""


@dataclass(frozen=True)
class Comparison:
    """What a plan or deploy reads beside the function, to compare with the package."""

    role: RoleState
    log_group: LogGroupState
    url: UrlState
    desired: DesiredFunction
    #: The highest published version, when it already has exactly the desired code and config.
    reusable_version: str
    #: What a deploy does with each secret, and the variables it writes for them.
    secrets: SecretPlan = SecretPlan()
    #: The KMS key of the environment, when the function has secrets or kms-key-arn is given.
    key: KeyState | None = None
    #: Alias ``candidate`` and its URL (read when ``live`` exists: a new version is staged).
    candidate: CandidateState = CandidateState()


@dataclass(frozen=True)
class Survey:
    """Everything read before a command decides anything."""

    #: The function's name (the server's).
    name: str
    function: FunctionState
    #: Read only with a package to compare (plan, deploy).
    comparison: Comparison | None = None

    @property
    def stack(self) -> str:
        """The CloudFormation stack the function belongs to ("" when none)."""
        return self.function.tags.get(CLOUDFORMATION_TAG, "")

    @property
    def deployed(self) -> Deployed:
        state = self.function
        return Deployed(
            exists=state.exists,
            serving=state.alias_version,
            previous=previous_version_of(state.alias_description),
            # A function a CloudFormation stack made is the stack's, whatever its tags say.
            managed=state.exists and is_ours(state.tags, self.name) and not self.stack,
        )

    @property
    def compared(self) -> Comparison:
        """The comparison with the package (a survey taken with one)."""
        if self.comparison is None:
            raise RuntimeError("the survey was taken without a package to compare")
        return self.comparison

    @property
    def stored(self) -> StoredSecrets:
        """The secrets the serving version stores (names, fingerprints, variables)."""
        return read_stored(self.function)

    @property
    def live_matches(self) -> bool:
        """Whether the version ``live`` serves has exactly the desired code and configuration,
        and every secret given is the one it stores (no secret set or removed)."""
        live = self.function.live
        desired = self.compared.desired
        return (
            live is not None
            and not self.compared.secrets.changed
            and not code_changes(desired, live)
            and not config_changes(desired, live)
        )

    def check_write(self, config: LambdaConfig, identity: str) -> None:
        """Before a deploy changes anything: Lambda's limits, and the kept secrets' values."""
        compared = self.compared
        check_limits(config, compared.secrets, self.function)
        check_writable(compared.secrets, self.stored, compared.desired.kms_key_arn, identity)


def code_sha256(artifact: LambdaArtifact) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256 digest."""
    return base64.b64encode(bytes.fromhex(artifact.sha256)).decode()


def describe_shape(desired: DesiredFunction) -> str:
    return (
        f"{desired.runtime}, {desired.architecture}, {desired.memory_mb} MB, "
        f"{desired.timeout_seconds} s, {len(desired.environment)} environment variables"
    )


#: The key a deploy creates (alias/pmcp-deploy), as the comparisons name it until it exists.
PENDING_KEY = f"{DEFAULT_ALIAS} (new)"


def take_survey(
    conn: Connection,
    config: LambdaConfig,
    package: PreparedPackage | None,
    secrets: ServerSecrets | None = None,
) -> Survey:
    """Read what a command decides on; change nothing.

    Without a package: the function and its alias. With one, the reads that do not depend on
    each other run concurrently (botocore clients are thread-safe): the function (then its
    versions and URL), the role and the log group. Failures are raised in that order, as
    when the reads ran one after another.

    The package is zipped (meanwhile) only when the version ``live`` serves does not record
    the same package hash: equal contents give the same reproducible zip, so its CodeSha256
    is the one ``live`` already has.

    The secrets (``secrets``: the run's) are compared with what the serving version stores;
    the KMS key is read when the environment will hold a secret or kms-key-arn is given.
    """
    functions = conn.functions
    if package is None:
        return Survey(config.function_name, functions.read())
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="aws-survey") as pool:
        role_read = pool.submit(conn.roles.inspect)
        log_group_read = pool.submit(conn.log_group.read)
        function = functions.read()
        stored = read_stored(function)
        plan = plan_secrets(secrets or ServerSecrets(), stored, salt=config.secret_salt)
        key_read = None
        if plan.values or config.kms_key_arn:
            conn.keys.prepare()  # botocore builds clients one thread at a time: here
            key_read = pool.submit(conn.keys.inspect)
        live = function.live
        recorded = recorded_package_sha256(str(live.get("Description", ""))) if live else ""
        if live is not None and recorded == package.package_sha256:
            zipped = None
            code = str(live.get("CodeSha256", ""))
        else:
            zipped = pool.submit(package.artifact)
        latest_read = pool.submit(functions.latest_published_version) if function.exists else None
        url_read = pool.submit(conn.urls.read) if function.alias_version else None
        candidate_read = (
            pool.submit(read_candidate, functions, conn.urls) if function.alias_version else None
        )
        latest = latest_read.result() if latest_read is not None else None
        url = url_read.result() if url_read is not None else UrlState()
        candidate = candidate_read.result() if candidate_read is not None else CandidateState()
        role = role_read.result()
        log_group = log_group_read.result()
        key = key_read.result() if key_read is not None else None
        if zipped is not None:
            code = code_sha256(zipped.result())
    # Without secrets or kms-key-arn, the function keeps the key it has (if any).
    serving = function.live if function.live is not None else function.latest
    kms_key_arn = str(serving.get("KMSKeyArn") or "")
    if key is not None:
        kms_key_arn = key.arn or PENDING_KEY
    desired = DesiredFunction(
        name=config.function_name,
        role_arn=role.arn,
        architecture=config.architecture,
        memory_mb=config.memory_mb,
        timeout_seconds=config.timeout_seconds,
        environment=MappingProxyType({**config.environment, **plan.values}),
        code_sha256=code,
        tracing_mode="Active" if config.enable_xray else "PassThrough",
        kms_key_arn=kms_key_arn,
        ephemeral_storage_mb=config.ephemeral_storage_mb,
    )
    reusable = ""
    if (
        latest is not None
        and not code_changes(desired, latest)
        and not config_changes(desired, latest)
    ):
        reusable = str(latest["Version"])
    return Survey(
        config.function_name,
        function,
        Comparison(
            role=role,
            log_group=log_group,
            url=url,
            desired=desired,
            reusable_version=reusable,
            secrets=plan,
            key=key,
            candidate=candidate,
        ),
    )


def planned_changes(
    survey: Survey,
    conn: Connection,
    package: PreparedPackage,
    *,
    direct_upload_limit: int,
) -> list[PlanChange]:
    """What a deploy would do, from the survey alone."""
    config = conn.config
    state = survey.function
    compared = survey.compared
    live_matches = survey.live_matches
    if not live_matches:
        survey.check_write(config, conn.session.arn)
    changes: list[PlanChange] = []
    if compared.key is not None:
        changes += conn.keys.plan(compared.key)
    changes += conn.roles.plan(compared.role)
    changes += conn.log_group.plan(compared.log_group)
    resource = f"Lambda function {config.function_name}"
    if not state.exists:
        changes.append(PlanChange("create", resource, describe_shape(compared.desired)))
    elif not live_matches:
        role_unknown = not compared.role.exists
        desired = compared.desired
        config_diff = [
            c
            for c in config_changes(desired, state.latest)
            if not (role_unknown and c.startswith("role "))
        ]
        if role_unknown:
            config_diff.append(f"role → {compared.role.name} (new)")
        code_diff = code_changes(desired, state.latest)
        if config_diff:
            changes.append(PlanChange("update", resource, "; ".join(config_diff)))
        if code_diff:
            changes.append(PlanChange("update", resource, "; ".join(code_diff)))
    if compared.key is not None and compared.secrets.values:
        changes += conn.keys.plan_grant(compared.key, compared.role.arn)
    changes += plan_changes(config.function_name, compared.secrets)
    if state.exists and not is_ours(state.tags, config.function_name):
        changes.append(PlanChange("update", resource, "tags"))
    wanted_concurrency = config.reserved_concurrency
    if wanted_concurrency is not None and wanted_concurrency != state.reserved_concurrency:
        changes.append(
            PlanChange("update", resource, f"reserved concurrency → {wanted_concurrency}")
        )
    # (The package is zipped already whenever live does not match.)
    if not live_matches and (artifact := package.artifact()).size > direct_upload_limit:
        bucket = bucket_name(conn.session.account, config.region)
        key = object_key(config.function_name, artifact.sha256)
        changes.append(PlanChange("create", f"s3://{bucket}/{key}", f"{artifact.size} bytes"))
    if live_matches:
        changes.append(PlanChange("keep", resource, f"version {state.alias_version} is up to date"))
    else:
        reused = compared.reusable_version
        if reused:
            changes.append(PlanChange("keep", f"version {reused}", "reused"))
        else:
            changes.append(PlanChange("create", "a new version"))
        previous = state.alias_version
        if previous and reused != previous:
            # Staged: verified at alias candidate's own URL before live moves.
            changes += plan_candidate(conn.urls, compared.candidate, reused or "new version")
        changes.append(
            PlanChange(
                "update" if previous else "create",
                f"alias {ALIAS}",
                (f"{previous} → {reused or 'new version'}" if previous else "→ new version")
                + (", once verified at the candidate URL" if previous else ""),
            )
        )
    changes += conn.urls.plan(compared.url)
    return changes
