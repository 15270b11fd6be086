"""The Lambda function itself: read, compare, create, update, wait, publish.

Every mutating call goes through :meth:`FunctionManager.call`, which treats
"an update is in progress" (``ResourceConflictException``) as a reason to wait
for the function to settle and try again, and, right after the execution role
was created, treats "the role cannot be assumed" as IAM still propagating.
Every wait is bounded by the run's deadline.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ...ci.base import Platform
from ...deadline import Deadline, poll_until
from ...errors import DeployError, PmcpActionError
from ...polling import OPERATION_POLL
from ...result import PlanChange
from .config import SECRET_TAG_PREFIX, SERVER_TAG, LambdaConfig, is_ours
from .failures import aws_step, error_code, error_message, has_code, transient_reason, translate

__all__ = [
    "ALIAS",
    "RUNTIME",
    "CodeSource",
    "DesiredFunction",
    "FunctionManager",
    "FunctionState",
    "code_changes",
    "config_changes",
    "environment_error",
    "environment_of",
]

RUNTIME = "provided.al2023"
HANDLER = "bootstrap"
#: The alias the function URL serves; moving it is the atomic switch.
ALIAS = "live"

#: Tries of one call that keeps meeting "an update is in progress".
_CONFLICT_ATTEMPTS = 12
#: Tries of one call while a just-created role propagates through IAM.
_PROPAGATION_ATTEMPTS = 15


@dataclass(frozen=True)
class CodeSource:
    """Where Lambda takes the code from: the zip bytes, or an S3 object."""

    zip_bytes: bytes | None = field(default=None, repr=False)
    s3_bucket: str = ""
    s3_key: str = ""

    def for_create(self) -> dict[str, Any]:
        if self.zip_bytes is not None:
            return {"ZipFile": self.zip_bytes}
        return {"S3Bucket": self.s3_bucket, "S3Key": self.s3_key}


@dataclass(frozen=True)
class DesiredFunction:
    """The function as this deploy wants it."""

    name: str
    role_arn: str
    architecture: str
    memory_mb: int
    timeout_seconds: int
    environment: Mapping[str, str]
    #: base64 of the zip's SHA-256, as Lambda reports CodeSha256.
    code_sha256: str
    #: X-Ray tracing: "Active" when [observability].enable_xray, else "PassThrough".
    tracing_mode: str = "PassThrough"
    #: /tmp in MB ([server].ephemeral_storage_mb); None leaves the function's as it is.
    ephemeral_storage_mb: int | None = None
    runtime: str = RUNTIME
    handler: str = HANDLER
    #: The KMS key that encrypts the environment ("" = Lambda's own key).
    kms_key_arn: str = ""


@dataclass(frozen=True)
class FunctionState:
    """The function as it is (read without changing anything)."""

    exists: bool
    arn: str = ""
    #: The configuration of $LATEST.
    latest: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    reserved_concurrency: int | None = None
    #: The version alias "live" points to ("" when there is no alias).
    alias_version: str = ""
    alias_description: str = ""
    alias_arn: str = ""
    alias_revision: str = ""
    #: The configuration of the version "live" points to.
    live: Mapping[str, Any] | None = None
    #: Created by another run (a concurrent first deploy) while this one created it: read
    #: again and checked as ours; this run's changes to it are conditional on RevisionId.
    raced: bool = False

    @property
    def revision(self) -> str:
        """The RevisionId of $LATEST as read ("" when unknown)."""
        return str(self.latest.get("RevisionId") or "")


def _architecture(configuration: Mapping[str, Any]) -> str:
    architectures = configuration.get("Architectures") or ["x86_64"]
    return str(architectures[0])


def environment_of(configuration: Mapping[str, Any]) -> dict[str, str] | None:
    """A configuration's environment variables; None when Lambda would not decrypt them for
    this caller (no ``kms:Decrypt`` on the function's key: an ``Environment.Error``)."""
    environment = configuration.get("Environment") or {}
    if environment.get("Error"):
        return None
    variables = environment.get("Variables") or {}
    return {str(k): str(v) for k, v in variables.items()}


def environment_error(configuration: Mapping[str, Any]) -> str:
    """Why Lambda did not show a configuration's environment ("" when it did)."""
    error = (configuration.get("Environment") or {}).get("Error") or {}
    return str(error.get("ErrorCode") or "") if error else ""


def _storage(desired: DesiredFunction) -> dict[str, Any]:
    """``EphemeralStorage`` when [server].ephemeral_storage_mb asks for a size."""
    if desired.ephemeral_storage_mb is None:
        return {}
    return {"EphemeralStorage": {"Size": desired.ephemeral_storage_mb}}


def code_changes(desired: DesiredFunction, configuration: Mapping[str, Any]) -> list[str]:
    """How the code of ``configuration`` differs (hash and architecture)."""
    changes: list[str] = []
    current_sha = str(configuration.get("CodeSha256", ""))
    if current_sha != desired.code_sha256:
        changes.append(f"code {current_sha[:12] or 'none'}… → {desired.code_sha256[:12]}…")
    current_arch = _architecture(configuration)
    if current_arch != desired.architecture:
        changes.append(f"architecture {current_arch} → {desired.architecture}")
    return changes


def config_changes(desired: DesiredFunction, configuration: Mapping[str, Any]) -> list[str]:
    """How the configuration differs; environment values are never shown, only names."""
    changes: list[str] = []
    for label, key, want in (
        ("runtime", "Runtime", desired.runtime),
        ("handler", "Handler", desired.handler),
        ("role", "Role", desired.role_arn),
        ("memory", "MemorySize", desired.memory_mb),
        ("timeout", "Timeout", desired.timeout_seconds),
    ):
        have = configuration.get(key)
        if have != want:
            changes.append(f"{label} {have} → {want}")
    if desired.ephemeral_storage_mb is not None:
        have_tmp = (configuration.get("EphemeralStorage") or {}).get("Size", 512)
        if have_tmp != desired.ephemeral_storage_mb:
            changes.append(f"ephemeral storage {have_tmp} → {desired.ephemeral_storage_mb} MB")
    tracing = (configuration.get("TracingConfig") or {}).get("Mode") or "PassThrough"
    if tracing != desired.tracing_mode:
        changes.append(f"tracing {tracing} → {desired.tracing_mode}")
    key = str(configuration.get("KMSKeyArn") or "")
    if key != desired.kms_key_arn:
        changes.append(f"KMS key {key or 'none'} → {desired.kms_key_arn or 'none'}")
    current_env = environment_of(configuration)
    wanted_env = dict(desired.environment)
    if current_env is None:
        code = environment_error(configuration)
        changes.append(f"environment (not readable here: {code}; written again)")
        return changes
    if current_env != wanted_env:
        added = sorted(set(wanted_env) - set(current_env))
        removed = sorted(set(current_env) - set(wanted_env))
        changed = sorted(
            k for k in set(wanted_env) & set(current_env) if wanted_env[k] != current_env[k]
        )
        parts = [f"+{k}" for k in added] + [f"-{k}" for k in removed] + [f"~{k}" for k in changed]
        changes.append("environment " + " ".join(parts))
    return changes


def _kms(desired: DesiredFunction) -> dict[str, str]:
    """KMSKeyArn, when the environment has a key of its own."""
    return {"KMSKeyArn": desired.kms_key_arn} if desired.kms_key_arn else {}


def _is_update_in_progress(exc: ClientError) -> bool:
    if error_code(exc) != "ResourceConflictException":
        return False
    message = error_message(exc).lower()
    return "in progress" in message or "cannot be performed at this time" in message


def _client_error(exc: PmcpActionError, *codes: str) -> bool:
    """Whether a translated error came from one of AWS's ``codes``."""
    cause = exc.__cause__
    return isinstance(cause, ClientError) and has_code(cause, *codes)


def _another_deploy(name: str, doing: str) -> DeployError:
    return DeployError(
        f"Another deploy of {name} is running: it changed the function while this run was "
        f"about to {doing}. This run stopped there; what serves is what the other run "
        "deployed (its outputs describe it).",
        target="aws-lambda",
        remediation="Run the deploys of one server one after another: give the deploy job a "
        "`concurrency:` group per server (GitHub Actions; `resource_group:` on GitLab), then "
        "run this deploy again if its commit should serve.",
    )


def _is_role_not_assumable(exc: ClientError) -> bool:
    return error_code(exc) == "InvalidParameterValueException" and (
        "cannot be assumed" in error_message(exc).lower()
    )


class FunctionManager:
    """Lambda calls for one function, with waits bounded by the deadline."""

    def __init__(
        self,
        lam: Any,
        config: LambdaConfig,
        *,
        console: Platform,
        deadline: Deadline,
        sleep: Callable[[float], None],
        secret_names: Iterable[str] = (),
    ) -> None:
        self.lam = lam
        self.config = config
        self.name = config.function_name
        self.console = console
        self.deadline = deadline
        self.sleep = sleep
        #: The names of the server's secrets: their values are masked the moment a read
        #: returns them (the run's own, and those the function's tags record).
        self.secret_names: set[str] = set(secret_names)

    # --- calls ------------------------------------------------------------------------------
    def call(
        self, doing: str, method: str, *, role_propagation: bool = False, **kwargs: Any
    ) -> Any:
        """A mutating Lambda call that waits out conflicts (and IAM propagation if asked)."""
        operation = getattr(self.lam, method)
        for attempt in itertools.count(1):
            try:
                return operation(**kwargs)
            except ClientError as exc:
                if _is_update_in_progress(exc) and attempt < _CONFLICT_ATTEMPTS:
                    self.console.info(
                        f"Lambda is still applying an earlier change to {self.name}; waiting "
                        f"before I {doing}."
                    )
                    self.wait_ready(doing)
                    self._pause(attempt, doing)
                    continue
                if role_propagation and _is_role_not_assumable(exc):
                    if attempt < _PROPAGATION_ATTEMPTS:
                        self.console.info(
                            "Waiting for IAM to propagate the new execution role "
                            f"(attempt {attempt})."
                        )
                        self._pause(attempt, f"IAM to propagate the role before I {doing}")
                        continue
                raise translate(exc, doing) from exc
            except BotoCoreError as exc:
                raise translate(exc, doing) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def conditional_call(self, revision: str, doing: str, method: str, **kwargs: Any) -> Any:
        """:meth:`call`, guarded by ``revision`` when one is given: a change another run
        made meanwhile (``PreconditionFailedException``) stops this run cleanly."""
        if not revision:
            return self.call(doing, method, **kwargs)
        try:
            return self.call(doing, method, RevisionId=revision, **kwargs)
        except PmcpActionError as exc:
            if _client_error(exc, "PreconditionFailedException"):
                raise _another_deploy(self.name, doing) from exc.__cause__
            raise

    def _pause(self, attempt: int, what: str) -> None:
        self.deadline.check(what)
        self.sleep(min(2.0 * attempt, 10.0, max(self.deadline.remaining(), 0.0)))

    def wait_ready(self, what: str, qualifier: str = "") -> Mapping[str, Any]:
        """Poll until State is Active and LastUpdateStatus is Successful."""
        extra = {"Qualifier": qualifier} if qualifier else {}
        label = f"{self.name}:{qualifier}" if qualifier else self.name

        def probe() -> Mapping[str, Any] | None:
            with aws_step(f"read the state of {label}"):
                configuration: Mapping[str, Any] = self.lam.get_function_configuration(
                    FunctionName=self.name, **extra
                )
            state = configuration.get("State")
            last = configuration.get("LastUpdateStatus")
            if state == "Failed" or last == "Failed":
                reason = configuration.get("StateReason") or configuration.get(
                    "LastUpdateStatusReason", ""
                )
                code = configuration.get("StateReasonCode") or configuration.get(
                    "LastUpdateStatusReasonCode", ""
                )
                raise DeployError(
                    f"Lambda could not apply the change to {label} ({what}): {code} {reason}",
                    target="aws-lambda",
                    remediation="Read the reason above; for InvalidRuntime or exec format "
                    "errors check that bootstrap is built for the function's architecture.",
                )
            if state in (None, "Active", "Inactive") and last in (None, "Successful"):
                return configuration
            return None

        return poll_until(
            probe,
            deadline=self.deadline,
            what=f"{label} to become Active after I {what}",
            schedule=OPERATION_POLL,
            sleep=self.sleep,
            tolerate=transient_reason,
            on_tolerated=self.console.info,
        )

    # --- reading ------------------------------------------------------------------------------
    def alias(self, name: str) -> dict[str, Any] | None:
        """The alias ``name`` as GetAlias answers it (None when the function has none)."""
        try:
            return dict(self.lam.get_alias(FunctionName=self.name, Name=name))
        except ClientError as exc:
            if has_code(exc, "ResourceNotFoundException"):
                return None
            raise

    def read(self) -> FunctionState:
        with aws_step(f"read the function {self.name}"):
            try:
                response = self.lam.get_function(FunctionName=self.name)
            except ClientError as exc:
                if has_code(exc, "ResourceNotFoundException"):
                    return FunctionState(exists=False)
                raise
            latest = response["Configuration"]
            tags = {str(k): str(v) for k, v in (response.get("Tags") or {}).items()}
            concurrency = (response.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
            alias = self.alias(ALIAS)
            live = None
            if alias is not None:
                live = self.lam.get_function_configuration(
                    FunctionName=self.name, Qualifier=alias["FunctionVersion"]
                )
        self.secret_names.update(
            k.removeprefix(SECRET_TAG_PREFIX) for k in tags if k.startswith(SECRET_TAG_PREFIX)
        )
        self.mask_secrets(latest)
        if live is not None:
            self.mask_secrets(live)
        return FunctionState(
            exists=True,
            arn=str(latest["FunctionArn"]),
            latest=latest,
            tags=MappingProxyType(tags),
            reserved_concurrency=int(concurrency) if concurrency is not None else None,
            alias_version=str(alias["FunctionVersion"]) if alias else "",
            alias_description=str(alias.get("Description", "")) if alias else "",
            alias_arn=str(alias["AliasArn"]) if alias else "",
            alias_revision=str(alias.get("RevisionId", "")) if alias else "",
            live=live,
        )

    def mask_secrets(self, configuration: Mapping[str, Any]) -> None:
        """Mask the values of the server's secrets in a configuration just read."""
        for name, value in (environment_of(configuration) or {}).items():
            if name in self.secret_names:
                self.console.mask(value)

    def read_version(self, version: str) -> Mapping[str, Any]:
        """The configuration of a published version (its secrets masked)."""
        with aws_step(f"read version {version} of {self.name}"):
            configuration: Mapping[str, Any] = self.lam.get_function_configuration(
                FunctionName=self.name, Qualifier=version
            )
        self.mask_secrets(configuration)
        return configuration

    def latest_published_version(self) -> Mapping[str, Any] | None:
        """The configuration of the highest published version, if any."""
        best: Mapping[str, Any] | None = None
        with aws_step(f"list the versions of {self.name}"):
            marker = ""
            while True:
                page = self.lam.list_versions_by_function(
                    FunctionName=self.name, **({"Marker": marker} if marker else {})
                )
                for item in page.get("Versions", []):
                    version = str(item.get("Version", ""))
                    if version.isdigit() and (
                        best is None or int(version) > int(str(best["Version"]))
                    ):
                        best = item
                marker = str(page.get("NextMarker") or "")
                if not marker:
                    break
        if best is not None:
            self.mask_secrets(best)
        return best

    def version_exists(self, version: str) -> bool:
        with aws_step(f"read version {version} of {self.name}"):
            try:
                self.lam.get_function_configuration(FunctionName=self.name, Qualifier=version)
            except ClientError as exc:
                if has_code(exc, "ResourceNotFoundException"):
                    return False
                raise
        return True

    # --- changing -----------------------------------------------------------------------------
    def create(
        self, desired: DesiredFunction, code: CodeSource, *, role_just_created: bool
    ) -> FunctionState:
        """Create the function (its state once Active; what this run changes next is
        conditional on its revision); when another run (a concurrent first deploy) created
        it meanwhile, the function read again (``raced``), once it is known to be ours."""
        try:
            created = self._create(desired, code, role_just_created=role_just_created)
        except PmcpActionError as exc:
            if not _client_error(exc, "ResourceConflictException"):
                raise
            raced = self.read()
            if not raced.exists:
                raise
            if not is_ours(raced.tags, self.name):
                raise DeployError(
                    f"The function {self.name} appeared while this run created it, without "
                    f"pmcp-action's tags (managed-by=pmcp, {SERVER_TAG}={self.name}): "
                    "something else made it. This run left it as it is.",
                    target="aws-lambda",
                    remediation="If another pipeline deploys this server, let only one do it "
                    "at a time (a `concurrency:` group per server); otherwise choose another "
                    "server-name, or run this deploy again to adopt the function (it is then "
                    "updated and tagged, with a warning).",
                ) from exc.__cause__
            self.console.info(
                f"The function {self.name} appeared while this run created it (another "
                "deploy of the same server at the same time); updating it on condition that "
                "nothing else changes it meanwhile."
            )
            return replace(raced, raced=True)
        return FunctionState(exists=True, arn=str(created["FunctionArn"]), latest=created)

    def _create(
        self, desired: DesiredFunction, code: CodeSource, *, role_just_created: bool
    ) -> Mapping[str, Any]:
        created: Mapping[str, Any] = self.call(
            f"create the function {self.name}",
            "create_function",
            role_propagation=role_just_created,
            FunctionName=self.name,
            Runtime=desired.runtime,
            Role=desired.role_arn,
            Handler=desired.handler,
            Code=code.for_create(),
            Description=f"MCP server {self.name} (pmcp-deploy-action)",
            Timeout=desired.timeout_seconds,
            MemorySize=desired.memory_mb,
            Environment={"Variables": dict(desired.environment)},
            TracingConfig={"Mode": desired.tracing_mode},
            Architectures=[desired.architecture],
            PackageType="Zip",
            Publish=False,
            Tags=dict(self.config.tags),
            **_kms(desired),
            **_storage(desired),
        )
        # The configuration once Active: its RevisionId guards this run's next changes.
        ready = self.wait_ready("create the function")
        return {**created, **ready}

    def update_configuration(
        self, desired: DesiredFunction, *, role_just_created: bool, revision: str = ""
    ) -> str:
        """Update $LATEST's configuration (on condition of ``revision`` when given); the
        revision it leaves when one was given, else ""."""
        self.conditional_call(
            revision,
            f"update the configuration of {self.name}",
            "update_function_configuration",
            role_propagation=role_just_created,
            FunctionName=self.name,
            Role=desired.role_arn,
            Handler=desired.handler,
            Runtime=desired.runtime,
            Timeout=desired.timeout_seconds,
            MemorySize=desired.memory_mb,
            Environment={"Variables": dict(desired.environment)},
            TracingConfig={"Mode": desired.tracing_mode},
            **_kms(desired),
            **_storage(desired),
        )
        ready = self.wait_ready("update the configuration")
        return str(ready.get("RevisionId") or "") if revision else ""

    def update_code(self, desired: DesiredFunction, code: CodeSource, revision: str = "") -> str:
        """Update $LATEST's code (on condition of ``revision`` when given); the revision it
        leaves when one was given, else ""."""
        source: dict[str, Any] = (
            {"ZipFile": code.zip_bytes}
            if code.zip_bytes is not None
            else {"S3Bucket": code.s3_bucket, "S3Key": code.s3_key}
        )
        self.conditional_call(
            revision,
            f"update the code of {self.name}",
            "update_function_code",
            FunctionName=self.name,
            Architectures=[desired.architecture],
            Publish=False,
            **source,
        )
        ready = self.wait_ready("update the code")
        return str(ready.get("RevisionId") or "") if revision else ""

    def publish(self, desired: DesiredFunction, description: str, revision: str = "") -> str:
        response = self.conditional_call(
            revision,
            f"publish a version of {self.name}",
            "publish_version",
            FunctionName=self.name,
            CodeSha256=desired.code_sha256,
            Description=description[:256],
        )
        version = str(response["Version"])
        self.wait_ready("publish the version", qualifier=version)
        return version

    def tag(self, arn: str, tags: Mapping[str, str], doing: str) -> None:
        self.call(doing, "tag_resource", Resource=arn, Tags=dict(tags))

    def untag(self, arn: str, keys: Iterable[str], doing: str) -> None:
        self.call(doing, "untag_resource", Resource=arn, TagKeys=list(keys))

    def ensure_tags(self, state: FunctionState) -> list[PlanChange]:
        missing = {k: v for k, v in self.config.tags.items() if state.tags.get(k) != v}
        if not missing:
            return []
        self.call(f"tag {self.name}", "tag_resource", Resource=state.arn, Tags=missing)
        return [PlanChange("update", f"Lambda function {self.name}", "tags")]

    def ensure_concurrency(self, state: FunctionState) -> list[PlanChange]:
        wanted = self.config.reserved_concurrency
        if wanted is None or wanted == state.reserved_concurrency:
            return []
        self.call(
            f"set the reserved concurrency of {self.name}",
            "put_function_concurrency",
            FunctionName=self.name,
            ReservedConcurrentExecutions=wanted,
        )
        return [
            PlanChange(
                "update",
                f"Lambda function {self.name}",
                f"reserved concurrency {state.reserved_concurrency} → {wanted}",
            )
        ]

    def delete(self) -> None:
        self.call(f"delete the function {self.name}", "delete_function", FunctionName=self.name)
