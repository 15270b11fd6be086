"""AWS credentials: OIDC web identity (recommended) or access keys, then a caller check.

OIDC asks the CI for an ID token with the STS audience and exchanges it with
``AssumeRoleWithWebIdentity`` (an unsigned call). Keys are used as given,
optionally to ``AssumeRole`` into ``role-to-assume``. Session keys are masked
the moment STS returns them. ``GetCallerIdentity`` then proves the session
works and yields the account, which ``allowed-account-ids`` must contain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from ...context import RunContext
from ...errors import CredentialExchangeError
from ...oidc import decode_claims, describe_claims_for_error
from ...settings.vocabulary import Command
from .clients import AwsClients, AwsCredentials, load_default_chain
from .config import (
    LONG_LIVED_KEY_PREFIX,
    TEMPORARY_KEY_PREFIX,
    LambdaConfig,
    account_of_arn,
)
from .failures import aws_step, error_code, error_message, request_id, translate

__all__ = ["AwsSession", "choose_auth", "open_session", "trust_policy_hint"]

AuthMode = Literal["oidc", "keys", "ambient"]

_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "IDPRejectedClaim"})


@dataclass(frozen=True)
class AwsSession:
    """Working AWS credentials and who they belong to."""

    credentials: AwsCredentials
    account: str
    #: The caller ARN (an assumed-role ARN with OIDC); never a secret.
    arn: str
    #: How the credentials were obtained, for the log and the report.
    mode: str


def id_token_available(config: LambdaConfig, environ: Mapping[str, str]) -> bool:
    """Whether the CI can hand out an OIDC ID token to this job."""
    if environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"):
        return True
    variable = config.id_token_variable
    return bool(variable and environ.get(variable, "").strip())


def choose_auth(config: LambdaConfig, environ: Mapping[str, str]) -> AuthMode:
    """OIDC when asked for, or (auto) when a role is set and an ID token is obtainable."""
    if config.auth == "oidc":
        return "oidc"
    if config.auth == "secrets":
        return "keys"
    if config.auth == "ambient":
        return "ambient"
    has_keys = bool(config.access_key_id and config.secret_access_key)
    if config.role_to_assume and (id_token_available(config, environ) or not has_keys):
        # Without keys, OIDC is the only way; its error explains the id-token permission.
        return "oidc"
    return "keys"


def _mask_credentials(context: RunContext, credentials: Mapping[str, Any]) -> AwsCredentials:
    """Register the session keys as secrets first, then wrap them."""
    for name in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        context.console.mask(str(credentials.get(name, "")))
    return AwsCredentials(
        access_key_id=str(credentials["AccessKeyId"]),
        secret_access_key=str(credentials["SecretAccessKey"]),
        session_token=str(credentials.get("SessionToken", "")),
    )


def _subject_wildcard(subject: str) -> str:
    """``repo:org/repo:*`` for ``repo:org/repo:ref:refs/heads/main`` (GitLab alike)."""
    parts = subject.split(":")
    return f"{parts[0]}:{parts[1]}:*" if len(parts) > 2 else ""


def trust_policy_hint(token: str, role_arn: str, audience: str) -> str:
    """The trust-policy statement that would let this token assume ``role_arn``."""
    claims = decode_claims(token)
    issuer = str(claims.get("iss", "")) or "token.actions.githubusercontent.com"
    host = issuer.removeprefix("https://").rstrip("/")
    subject = str(claims.get("sub", ""))
    aud = claims.get("aud")
    token_audience = aud if isinstance(aud, str) else audience
    account = account_of_arn(role_arn) or "<account-id>"
    partition = role_arn.split(":")[1] if role_arn.startswith("arn:") else "aws"
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:{partition}:iam::{account}:oidc-provider/{host}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {f"{host}:aud": token_audience, f"{host}:sub": subject},
        },
    }
    text = (
        f"A statement in the trust policy of {role_arn} that matches this token:\n\n"
        + json.dumps(statement, indent=2)
    )
    wildcard = _subject_wildcard(subject)
    if wildcard:
        text += (
            f"\n\nTo trust every branch, tag and environment of the project instead, use "
            f'"StringLike": {{"{host}:sub": "{wildcard}"}} for the subject.'
        )
    return text


def _assume_with_web_identity(
    context: RunContext, config: LambdaConfig, clients: AwsClients
) -> AwsCredentials:
    role_arn = config.role_to_assume
    sts = clients.anonymous("sts")
    # A fresh token per exchange: they live five minutes. botocore retries throttling,
    # 5xx and IDPCommunicationError itself.
    token = context.id_token(config.audience)
    context.console.mask(token)
    try:
        response = sts.assume_role_with_web_identity(
            RoleArn=role_arn,
            RoleSessionName=config.role_session_name,
            WebIdentityToken=token,
            DurationSeconds=config.role_duration_seconds,
        )
    except ClientError as exc:
        raise _web_identity_error(exc, token, role_arn, config) from exc
    except BotoCoreError as exc:
        raise translate(exc, f"assume {role_arn} with the OIDC token") from exc
    if context.settings.command is Command.CHECK:
        # check shows the claims next to the trust they must match (never the token).
        context.console.info(
            describe_claims_for_error(token)
            + "\n\n"
            + trust_policy_hint(token, role_arn, config.audience)
        )
    return _mask_credentials(context, response["Credentials"])


def _web_identity_error(
    exc: ClientError, token: str, role_arn: str, config: LambdaConfig
) -> Exception:
    code = error_code(exc)
    message = error_message(exc)
    rid = request_id(exc)
    claims_text = describe_claims_for_error(token)
    rid_text = f"\n\nAWS request id: {rid}" if rid else ""
    if code in _DENIED:
        return CredentialExchangeError(
            f"AWS refused to let this job assume {role_arn} with its OIDC token "
            f"({code}: {message}).",
            details=claims_text
            + "\n\n"
            + trust_policy_hint(token, role_arn, config.audience)
            + rid_text,
            remediation=(
                "Make the role's trust policy match the token's claims shown above (issuer, "
                "aud and sub are compared exactly and case-sensitively), and check that "
                "role-to-assume names the right role."
            ),
        )
    if code == "InvalidIdentityToken":
        issuer = str(decode_claims(token).get("iss", "the CI's issuer"))
        return CredentialExchangeError(
            f"AWS did not accept the OIDC token for {role_arn} ({code}: {message}).",
            details=claims_text + rid_text,
            remediation=(
                f"Register {issuer} as an OpenID Connect identity provider in IAM of the "
                f"role's account, with audience {config.audience!r} (IAM > Identity providers "
                "> Add provider). The audience input must match the provider's audience."
            ),
        )
    if code == "ValidationError" and "DurationSeconds" in message:
        return CredentialExchangeError(
            f"AWS refused the session duration of {config.role_duration_seconds} s for "
            f"{role_arn} ({message}).",
            details=rid_text.strip(),
            remediation="Lower role-duration-seconds, or raise the role's maximum session "
            "duration in IAM.",
        )
    return translate(exc, f"assume {role_arn} with the OIDC token")


def _keys(context: RunContext, config: LambdaConfig, clients: AwsClients) -> AwsCredentials:
    for value in (config.access_key_id, config.secret_access_key, config.session_token):
        context.console.mask(value)
    if config.access_key_id.startswith(LONG_LIVED_KEY_PREFIX):
        context.console.warning(
            "Deploying with long-lived AWS access keys. OIDC is safer: create an IAM role that "
            "trusts your CI's OIDC provider, set role-to-assume, and give the job "
            "`permissions: id-token: write`; then remove the key secrets.",
            title="AWS access keys in use",
        )
    elif config.access_key_id.startswith(TEMPORARY_KEY_PREFIX):
        # An STS session's keys (what configure-aws-credentials exports): they expire.
        context.console.info("Deploying with temporary AWS access keys (an STS session's).")
    base = AwsCredentials(
        access_key_id=config.access_key_id,
        secret_access_key=config.secret_access_key,
        session_token=config.session_token,
    )
    return _assume_role_with(context, config, clients, base, "the access keys")


def _ambient(
    context: RunContext, config: LambdaConfig, clients: AwsClients
) -> tuple[AwsCredentials, str]:
    """botocore's default chain: profile, web identity file, container or instance role."""
    found = load_default_chain(context.environ)
    if found is None:
        raise CredentialExchangeError(
            "auth is ambient, but this runner has no AWS credentials of its own (no "
            "AWS_PROFILE or shared credentials file, no AWS_WEB_IDENTITY_TOKEN_FILE, no "
            "container or instance role).",
            remediation="Run on a runner with an instance or pod role (EC2, EKS IRSA, ECS), "
            "set AWS_PROFILE to a configured profile, or use OIDC with role-to-assume.",
        )
    credentials, method = found
    for value in (credentials.access_key_id, credentials.secret_access_key):
        context.console.mask(value)
    context.console.mask(credentials.session_token)
    return _assume_role_with(context, config, clients, credentials, "the runner's credentials"), (
        method
    )


def _assume_role_with(
    context: RunContext,
    config: LambdaConfig,
    clients: AwsClients,
    base: AwsCredentials,
    whose: str,
) -> AwsCredentials:
    """``base`` itself, or a session of role-to-assume obtained with it."""
    if not config.role_to_assume:
        return base
    duration = config.role_duration_seconds
    if base.session_token and duration > 3600:
        # Role chaining (temporary keys -> AssumeRole) is capped at one hour by AWS.
        context.console.info("Temporary keys chain into the role: the session lasts 3600 s.")
        duration = 3600
    sts = clients.client("sts", base)
    try:
        response = sts.assume_role(
            RoleArn=config.role_to_assume,
            RoleSessionName=config.role_session_name,
            DurationSeconds=duration,
        )
    except ClientError as exc:
        if error_code(exc) in _DENIED:
            raise CredentialExchangeError(
                f"{whose[0].upper()}{whose[1:]} may not assume {config.role_to_assume} "
                f"({error_code(exc)}: {error_message(exc)}).",
                remediation=(
                    "Allow the keys' IAM user (or role) in the trust policy of the role, and "
                    "sts:AssumeRole on it in the user's own policy; or leave role-to-assume "
                    "empty to deploy with the keys' own permissions."
                ),
            ) from exc
        raise translate(exc, f"assume {config.role_to_assume} with {whose}") from exc
    except BotoCoreError as exc:
        raise translate(exc, f"assume {config.role_to_assume}") from exc
    return _mask_credentials(context, response["Credentials"])


def open_session(context: RunContext, config: LambdaConfig, clients: AwsClients) -> AwsSession:
    """Credentials for this run, checked with GetCallerIdentity and allowed-account-ids."""
    auth = choose_auth(config, context.environ)
    if auth == "oidc":
        if config.access_key_id:
            context.console.info("Using OIDC; the AWS access keys that are also set are not used.")
        credentials = _assume_with_web_identity(context, config, clients)
        mode = f"OIDC web identity, session {config.role_session_name}"
    elif auth == "ambient":
        credentials, method = _ambient(context, config, clients)
        mode = f"the runner's own credentials ({method})" + (
            " + AssumeRole" if config.role_to_assume else ""
        )
    else:
        credentials = _keys(context, config, clients)
        mode = "access keys + AssumeRole" if config.role_to_assume else "access keys"

    with aws_step("check the AWS credentials (sts:GetCallerIdentity)"):
        identity = clients.client("sts", credentials).get_caller_identity()
    account = str(identity.get("Account", ""))
    arn = str(identity.get("Arn", ""))
    allowed = config.allowed_account_ids
    if allowed and account not in allowed:
        raise CredentialExchangeError(
            f"The AWS credentials belong to account {account}, which is not in "
            f"allowed-account-ids ({', '.join(allowed)}). Nothing was changed.",
            remediation="Deploy with a role of an allowed account, or add this account to "
            "allowed-account-ids if it is the right one.",
        )
    context.console.info(f"AWS identity: {arn} (account {account}; {mode}).")
    return AwsSession(credentials=credentials, account=account, arn=arn, mode=mode)
