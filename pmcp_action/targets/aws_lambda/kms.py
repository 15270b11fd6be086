"""The KMS key that encrypts the function's environment, and the grant that lets the
function's role decrypt it.

Lambda has no variables that refer to a secret store: the server's secrets are environment
variables, encrypted at rest with a customer managed key, so reading them through the Lambda
API takes ``kms:Decrypt`` on that key, not only ``lambda:GetFunctionConfiguration``.

The key is the one ``kms-key-arn`` names, else the key behind :data:`DEFAULT_ALIAS`: created
once per account and Region by the first deploy that has secrets (with KMS's default key
policy, so the account's IAM policies decide who may use it), shared by every function this
action deploys there, and never deleted by ``destroy``. ``CreateKey`` is sent once: after a
lost answer, a read (the key tagged with this attempt's token) decides whether it is sent
again. Two first deploys at once both create a key; the one whose alias lost schedules its
own key's deletion and uses the alias's.

The function's execution role gets ``kms:Decrypt`` on the key through a grant named after
the function (:func:`grant_name`), limited to the function's own environment: the
encryption context Lambda decrypts it with (``aws:lambda:FunctionArn``). ``destroy``
revokes that grant.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ...context import RunContext
from ...errors import ConfigError, PmcpActionError, RemoteApiError
from ...once import create_once
from ...ownership import labels
from ...result import PlanChange
from .config import LambdaConfig
from .failures import aws_step, error_code, has_code, transient_reason, translate

__all__ = [
    "DEFAULT_ALIAS",
    "ENCRYPTION_CONTEXT_KEY",
    "KeyManager",
    "KeyState",
    "grant_name",
]

#: The alias of the key this action creates when no kms-key-arn is given.
DEFAULT_ALIAS = "alias/pmcp-deploy"
#: The encryption context Lambda encrypts and decrypts a function's environment with.
ENCRYPTION_CONTEXT_KEY = "aws:lambda:FunctionArn"
#: The tag naming the attempt that created a key (how a lost CreateKey answer is found).
_CREATION_TAG = "pmcp:creation"
#: KMS refuses a grantee it does not know yet (an IAM role created seconds ago).
_UNKNOWN_PRINCIPAL = ("InvalidArnException", "MalformedPolicyDocumentException")
_PROPAGATION_ATTEMPTS = 10
_DENIED = ("AccessDenied", "AccessDeniedException")


def _denied(exc: PmcpActionError) -> bool:
    """Whether AWS refused the call for want of a permission."""
    cause = exc.__cause__
    return isinstance(cause, ClientError) and has_code(cause, *_DENIED)


def grant_name(function_name: str) -> str:
    """The name of the grant for a function's role (KMS: letters, digits, ``:/_-``)."""
    return f"pmcp-{function_name}"


@dataclass(frozen=True)
class KeyState:
    """The key that encrypts the environment, as read (nothing created)."""

    #: The key's ARN ("" when the default key does not exist yet).
    arn: str
    #: Named by kms-key-arn (else the key behind alias/pmcp-deploy).
    given: bool

    @property
    def label(self) -> str:
        """The key as messages name it."""
        return self.arn if self.given or not self.arn else f"{DEFAULT_ALIAS} ({self.arn})"


class KeyManager:
    """KMS calls for the key of the function's environment and its role's grant."""

    def __init__(
        self,
        client: Callable[..., Any],
        config: LambdaConfig,
        context: RunContext,
        *,
        account: str,
        identity: str,
    ) -> None:
        #: ``client()`` the KMS client, ``client(once=True)`` one that sends a call once
        #: (built when first used: a run without secrets never loads KMS's model).
        self._client = client
        self.config = config
        self.context = context
        self.console = context.console
        self.account = account
        self.identity = identity
        self.grant_name = grant_name(config.function_name)

    @property
    def kms(self) -> Any:
        return self._client()

    def prepare(self) -> None:
        """Build the KMS client now (before reads run in other threads)."""
        self._client()

    @property
    def kms_once(self) -> Any:
        return self._client(once=True)

    @property
    def function_arn(self) -> str:
        config = self.config
        return (
            f"arn:{config.partition}:lambda:{config.region}:{self.account}:function:"
            f"{config.function_name}"
        )

    @property
    def constraints(self) -> dict[str, Any]:
        return {"EncryptionContextEquals": {ENCRYPTION_CONTEXT_KEY: self.function_arn}}

    # --- the key ------------------------------------------------------------------------------
    def inspect(self) -> KeyState:
        """The key kms-key-arn names (checked), else the default key ("" when missing)."""
        given = self.config.kms_key_arn
        wanted = given or DEFAULT_ALIAS
        doing = f"read the KMS key {wanted}"
        try:
            metadata = self.kms.describe_key(KeyId=wanted)["KeyMetadata"]
        except ClientError as exc:
            if has_code(exc, "NotFoundException"):
                if not given:
                    return KeyState("", given=False)
                raise ConfigError(
                    f"The KMS key {given} (kms-key-arn) does not exist, or this identity "
                    f"({self.identity}) may not see it. Nothing was changed.",
                    remediation="Check the ARN (a key of the function's account or one shared "
                    "with it), or leave kms-key-arn empty to use alias/pmcp-deploy.",
                ) from exc
            if has_code(exc, *_DENIED) and given:
                self.console.info(
                    f"Not allowed to read the KMS key {given} (kms:DescribeKey); it is used "
                    "as given, and Lambda checks it."
                )
                return KeyState(given, given=True)
            if has_code(exc, *_DENIED):
                raise self._denied(exc, doing, "kms:DescribeKey") from exc
            raise translate(exc, doing) from exc
        except BotoCoreError as exc:
            raise translate(exc, doing) from exc
        self._check_usable(metadata, given or DEFAULT_ALIAS)
        return KeyState(str(metadata["Arn"]), given=bool(given))

    def _check_usable(self, metadata: Mapping[str, Any], named: str) -> None:
        state = str(metadata.get("KeyState", "Enabled"))
        usage = str(metadata.get("KeyUsage", "ENCRYPT_DECRYPT"))
        spec = str(metadata.get("KeySpec", "SYMMETRIC_DEFAULT"))
        if state != "Enabled":
            raise ConfigError(
                f"The KMS key {named} is {state}, so Lambda cannot encrypt the function's "
                "environment with it. Nothing was changed.",
                remediation="Enable the key (or cancel its deletion) in the KMS console, or "
                "give another key with kms-key-arn.",
            )
        if usage != "ENCRYPT_DECRYPT" or spec != "SYMMETRIC_DEFAULT":
            raise ConfigError(
                f"The KMS key {named} is a {spec} key for {usage}; Lambda encrypts an "
                "environment only with a symmetric encryption key. Nothing was changed.",
                remediation="Give a symmetric encryption key (SYMMETRIC_DEFAULT, "
                "ENCRYPT_DECRYPT) with kms-key-arn.",
            )

    def plan(self, state: KeyState) -> list[PlanChange]:
        if state.arn:
            return []
        return [
            PlanChange(
                "create",
                f"KMS key {DEFAULT_ALIAS}",
                "symmetric; encrypts the environment of every function pmcp-action deploys "
                f"with secrets in {self.config.region}",
            )
        ]

    def ensure(self, state: KeyState) -> tuple[str, list[PlanChange]]:
        """The key's ARN, creating the default key and its alias when missing."""
        if state.arn:
            return state.arn, []
        token = uuid.uuid4().hex
        key_arn = str(
            create_once(
                self.context,
                lambda: self._create_key(token),
                lambda: self._find_created(token),
                f"create the KMS key {DEFAULT_ALIAS}",
                transient=transient_reason,
            )
        )
        key_id = key_arn.rsplit("/", 1)[-1]
        doing = f"create the KMS alias {DEFAULT_ALIAS}"
        try:
            self.kms.create_alias(AliasName=DEFAULT_ALIAS, TargetKeyId=key_id)
        except ClientError as exc:
            if has_code(exc, "AlreadyExistsException"):
                return self._lost_the_race(key_id), []
            self._discard(key_id)
            if has_code(exc, *_DENIED):
                raise self._denied(
                    exc,
                    doing,
                    "kms:CreateAlias",
                    "The key this run created for it is scheduled for deletion; nothing else "
                    "was changed.",
                ) from exc
            raise translate(exc, doing) from exc
        except BotoCoreError as exc:
            raise translate(exc, doing) from exc
        self.console.info(f"Created the KMS key {DEFAULT_ALIAS} ({key_arn}).")
        return key_arn, [PlanChange("create", f"KMS key {DEFAULT_ALIAS}", key_arn)]

    def _create_key(self, token: str) -> str:
        tags = {**labels(), "pmcp:alias": DEFAULT_ALIAS, _CREATION_TAG: token}
        doing = f"create the KMS key {DEFAULT_ALIAS}"
        try:
            created = self.kms_once.create_key(
                Description="Encrypts the environment (the server secrets) of the Lambda "
                f"functions pmcp-deploy-action deploys in {self.config.region}.",
                KeyUsage="ENCRYPT_DECRYPT",
                KeySpec="SYMMETRIC_DEFAULT",
                Tags=[{"TagKey": k, "TagValue": v} for k, v in tags.items()],
            )
        except ClientError as exc:
            if has_code(exc, *_DENIED):
                raise self._denied(exc, doing, "kms:CreateKey") from exc
            raise translate(exc, doing) from exc
        except BotoCoreError as exc:
            raise translate(exc, doing) from exc
        return str(created["KeyMetadata"]["Arn"])

    def _find_created(self, token: str) -> str | None:
        """The key a lost CreateKey answer created (tagged with ``token``), if any."""
        with aws_step("list the KMS keys"):
            marker = ""
            while True:
                page = self.kms.list_keys(**({"Marker": marker} if marker else {}))
                for key in page.get("Keys", []):
                    try:
                        tags = self.kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
                    except ClientError as exc:
                        if has_code(exc, *_DENIED, "NotFoundException"):
                            continue
                        raise
                    if {"TagKey": _CREATION_TAG, "TagValue": token} in tags:
                        return str(key["KeyArn"])
                marker = str(page.get("NextMarker") or "")
                if not page.get("Truncated") or not marker:
                    return None

    def _lost_the_race(self, key_id: str) -> str:
        """Another deploy created the alias first: use its key, retire ours."""
        with aws_step(f"read the KMS key {DEFAULT_ALIAS}"):
            theirs = str(self.kms.describe_key(KeyId=DEFAULT_ALIAS)["KeyMetadata"]["Arn"])
        self.console.info(
            f"Another deploy created {DEFAULT_ALIAS} at the same time; using its key "
            f"{theirs}, and the one this run created is scheduled for deletion."
        )
        self._discard(key_id)
        return theirs

    def _discard(self, key_id: str) -> None:
        """Schedule the deletion of a key this run created and cannot use (best effort)."""
        try:
            self.kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        except (ClientError, BotoCoreError) as exc:
            self.console.warning(
                f"The KMS key {key_id} that this run created is not used, and scheduling its "
                f"deletion failed ({error_code(exc) or type(exc).__name__}). Delete it in the "
                "KMS console (it is tagged managed-by=pmcp).",
                title="KMS key",
            )

    def _denied(
        self, exc: ClientError, doing: str, permission: str, outcome: str = "Nothing was changed."
    ) -> PmcpActionError:
        base = translate(exc, doing)
        return RemoteApiError(
            f"Could not {doing}: {self.identity} lacks {permission}. {outcome}",
            details=base.details,
            remediation=(
                "The server's secrets are the function's environment, encrypted with a KMS key "
                f"of yours. Either let this identity create {DEFAULT_ALIAS} once (kms:CreateKey, "
                "kms:CreateAlias, kms:TagResource and kms:DescribeKey, then kms:Encrypt, "
                "kms:Decrypt, kms:CreateGrant, kms:ListGrants and kms:RevokeGrant on that key), "
                "or give kms-key-arn: a symmetric key this identity may use that way."
            ),
        )

    # --- the grant ----------------------------------------------------------------------------
    def find_grant(self, key_arn: str) -> Mapping[str, Any] | None:
        """The grant of this function's role on ``key_arn`` (None when there is none)."""
        with aws_step(f"list the grants of the KMS key {key_arn}"):
            marker = ""
            while True:
                page = self.kms.list_grants(KeyId=key_arn, **({"Marker": marker} if marker else {}))
                for grant in page.get("Grants", []):
                    if grant.get("Name") == self.grant_name:
                        found: Mapping[str, Any] = grant
                        return found
                marker = str(page.get("NextMarker") or "")
                if not page.get("Truncated") or not marker:
                    return None

    def _matches(self, grant: Mapping[str, Any], role_arn: str) -> bool:
        return (
            grant.get("GranteePrincipal") == role_arn
            and list(grant.get("Operations") or []) == ["Decrypt"]
            and dict(grant.get("Constraints") or {}) == self.constraints
        )

    def plan_grant(self, state: KeyState, role_arn: str) -> list[PlanChange]:
        resource = f"KMS grant {self.grant_name}"
        detail = f"kms:Decrypt of this function's environment for {role_arn or 'its role'}"
        try:
            grant = self.find_grant(state.arn) if state.arn else None
        except RemoteApiError as exc:
            if not _denied(exc):
                raise
            return [PlanChange("create", resource, f"{detail} (kms:ListGrants not allowed)")]
        if grant is None:
            return [PlanChange("create", resource, detail)]
        if not role_arn or self._matches(grant, role_arn):
            return []
        return [PlanChange("replace", resource, detail)]

    def ensure_grant(
        self, key_arn: str, role_arn: str, *, role_just_created: bool
    ) -> list[PlanChange]:
        """The role may decrypt this function's environment, and nothing else, with the key."""
        resource = f"KMS grant {self.grant_name}"
        try:
            existing = self.find_grant(key_arn)
            if existing is not None and self._matches(existing, role_arn):
                return []
            if existing is not None:
                self._revoke(key_arn, str(existing["GrantId"]))
            self._create_grant(key_arn, role_arn, role_just_created=role_just_created)
        except RemoteApiError as exc:
            if not _denied(exc):
                raise
            self.console.warning(
                f"Could not give the function's role kms:Decrypt on {key_arn} through the "
                f"grant {self.grant_name} ({exc.message}). Lambda's own grant, made when the "
                "function is given the key, lets the function start; allow kms:ListGrants, "
                "kms:CreateGrant and kms:RevokeGrant on the key to keep the role's access to "
                "this function's environment explicit.",
                title="KMS grant",
            )
            return []
        self.console.info(f"Granted {role_arn} kms:Decrypt of this function's environment.")
        action = "replace" if existing is not None else "create"
        return [PlanChange(action, resource, f"kms:Decrypt for {role_arn}")]

    def _create_grant(self, key_arn: str, role_arn: str, *, role_just_created: bool) -> None:
        doing = f"create the KMS grant {self.grant_name}"
        for attempt in range(1, _PROPAGATION_ATTEMPTS + 1):
            try:
                self.kms.create_grant(
                    KeyId=key_arn,
                    GranteePrincipal=role_arn,
                    Operations=["Decrypt"],
                    Constraints=self.constraints,
                    Name=self.grant_name,
                )
                return
            except ClientError as exc:
                unknown = has_code(exc, *_UNKNOWN_PRINCIPAL)
                if unknown and role_just_created and attempt < _PROPAGATION_ATTEMPTS:
                    self.console.info(
                        f"Waiting for IAM to propagate the new role to KMS (attempt {attempt})."
                    )
                    self.context.deadline.check(f"IAM to propagate the role before I {doing}")
                    self.context.sleep(min(2.0 * attempt, 10.0, self.context.deadline.remaining()))
                    continue
                raise translate(exc, doing) from exc
            except BotoCoreError as exc:
                raise translate(exc, doing) from exc

    def _revoke(self, key_arn: str, grant_id: str) -> None:
        with aws_step(f"revoke the KMS grant {self.grant_name}"):
            try:
                self.kms.revoke_grant(KeyId=key_arn, GrantId=grant_id)
            except ClientError as exc:
                if not has_code(exc, "NotFoundException"):
                    raise

    def revoke_grant(self, key_arn: str) -> bool:
        """Revoke this function's grant on ``key_arn``; True when there was one."""
        try:
            grant = self.find_grant(key_arn)
            if grant is None:
                return False
            self._revoke(key_arn, str(grant["GrantId"]))
        except RemoteApiError as exc:
            self.console.warning(
                f"Could not revoke the KMS grant {self.grant_name} on {key_arn}: {exc.message}",
                title="KMS grant",
            )
            return False
        return True
