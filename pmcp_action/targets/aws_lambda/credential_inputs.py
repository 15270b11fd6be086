"""The credential inputs of aws-lambda, read once and checked offline: which way to sign in
(``auth``: OIDC web identity with ``role-to-assume``, access keys, or the runner's own
credentials), the role and its session, the accounts a deploy may touch. Nothing here
touches the network; a problem names the input it came from, never a key's value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ...context import RunContext
from ...credential_hint import CredentialHint
from ...errors import Problem
from ...runner_paths import container_path, unseen_problem
from .declaration import DECLARATION

__all__ = [
    "AMBIENT_FILE_VARIABLES",
    "LONG_LIVED_KEY_PREFIX",
    "ROLE_ARN",
    "TEMPORARY_KEY_PREFIX",
    "CredentialInputs",
    "account_of_arn",
    "default_session_name",
    "read_credential_inputs",
]

#: How an IAM user's long-lived access key id begins, and a temporary one (an STS session's).
LONG_LIVED_KEY_PREFIX = "AKIA"
TEMPORARY_KEY_PREFIX = "ASIA"

#: The variables of botocore's default chain that name a file (auth: ambient), which a step
#: on the runner may have written: read where the action's container sees them.
AMBIENT_FILE_VARIABLES = (
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)

#: An IAM role's ARN (its account in group 1).
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_SESSION_NAME_BAD = re.compile(r"[^\w+=,.@-]+")


def account_of_arn(arn: str) -> str:
    """The 12-digit account of an ARN, or "" when it has none."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and re.fullmatch(r"\d{12}", parts[4]) else ""


def default_session_name(environ: Mapping[str, str]) -> str:
    """``pmcp-<repository>-<run id>``, sanitised to what STS accepts (2-64 of ``[\\w+=,.@-]``)."""
    repository = environ.get("GITHUB_REPOSITORY") or environ.get("CI_PROJECT_PATH") or ""
    run_id = environ.get("GITHUB_RUN_ID") or environ.get("CI_PIPELINE_ID") or ""
    parts = [part for part in ("pmcp", repository, run_id) if part]
    name = _SESSION_NAME_BAD.sub("-", "-".join(parts)).strip("-")
    if len(name) > 64:
        # Keep the run id (the distinguishing part) and as much of the repository as fits.
        suffix = _SESSION_NAME_BAD.sub("-", run_id)[:20]
        head = name[: 64 - len(suffix) - 1] if suffix else name[:64]
        name = f"{head}-{suffix}" if suffix else head
    return name if len(name) >= 2 else "pmcp-deploy-action"


@dataclass(frozen=True)
class CredentialInputs:
    """How to sign in, as the inputs say."""

    #: "auto", "oidc", "secrets" or "ambient".
    auth: str
    role_to_assume: str
    role_session_name: str
    role_duration_seconds: int
    allowed_account_ids: tuple[str, ...]
    access_key_id: str
    secret_access_key: str
    session_token: str


def read_credential_inputs(
    context: RunContext, execution_role: tuple[str, str], problems: list[Problem]
) -> CredentialInputs:
    """The credential inputs, checked offline; problems are appended to ``problems``.

    ``execution_role`` (its source and ARN) is checked against allowed-account-ids too.
    """
    inputs = context.settings.inputs
    environ = context.environ
    role_to_assume = inputs.string("role-to-assume")
    assume_source = inputs.source("role-to-assume")
    if role_to_assume and not ROLE_ARN.match(role_to_assume):
        problems.append(
            Problem(
                assume_source,
                f"{role_to_assume[:100]!r} is not an IAM role ARN",
                "use arn:aws:iam::<12-digit account>:role/<name>",
            )
        )
    allowed = inputs.items("allowed-account-ids")
    bad_ids = [i for i in allowed if not re.fullmatch(r"\d{12}", i)]
    if bad_ids:
        problems.append(
            Problem(
                inputs.source("allowed-account-ids"),
                f"{bad_ids[0][:20]!r} is not a 12-digit AWS account id",
                "list account ids separated by commas",
            )
        )
    for source, arn in ((assume_source, role_to_assume), execution_role):
        account = account_of_arn(arn)
        if allowed and account and account not in allowed:
            problems.append(
                Problem(
                    source,
                    f"the role is in account {account}, which is not in allowed-account-ids",
                    "use a role of an allowed account, or add the account to allowed-account-ids",
                )
            )

    given_session_name = inputs.string("role-session-name")
    session_name = given_session_name or default_session_name(environ)
    if given_session_name and not _SESSION_NAME.match(given_session_name):
        problems.append(
            Problem(
                inputs.source("role-session-name"),
                f"{given_session_name[:80]!r} is not a valid STS session name",
                "use 2 to 64 letters, digits or the characters +=,.@_-",
            )
        )

    # --- credentials (offline part) -----------------------------------------------------------
    auth = inputs.string("auth")
    key_id = inputs.string("aws-access-key-id")
    secret_key = inputs.string("aws-secret-access-key")
    has_keys = bool(key_id or secret_key)
    if has_keys and not (key_id and secret_key):
        missing = "aws-secret-access-key" if key_id else "aws-access-key-id"
        problems.append(
            Problem(
                f"input '{missing}'",
                "an AWS access key needs both its id and its secret",
                f"set {missing} as well (from a secret), or use OIDC with role-to-assume",
            )
        )
    if auth == "oidc" and not role_to_assume:
        problems.append(
            Problem(
                "input 'role-to-assume'",
                "auth is oidc, but no role to assume is given",
                "set role-to-assume to the ARN of the IAM role that trusts your CI's OIDC provider",
            )
        )
    if auth == "secrets" and not has_keys:
        problems.append(
            Problem(
                "input 'aws-access-key-id'",
                "auth is secrets, but no AWS access key is given",
                "pass aws-access-key-id and aws-secret-access-key from secrets, or use OIDC",
            )
        )
    if auth == "ambient":
        for variable in AMBIENT_FILE_VARIABLES:
            named = environ.get(variable, "").strip()
            if named and container_path(named, environ) is None:
                problems.append(
                    unseen_problem(
                        variable,
                        named,
                        environ,
                        "write the file into the workspace or RUNNER_TEMP/_github_home (the "
                        "container's HOME), or use OIDC with role-to-assume",
                    )
                )
    temporary = key_id.startswith(TEMPORARY_KEY_PREFIX) and auth in ("auto", "secrets")
    if temporary and secret_key and not inputs.string("aws-session-token"):
        problems.append(
            Problem(
                inputs.source("aws-access-key-id"),
                "is a temporary access key id (ASIA…), which works only with its session token",
                "pass aws-session-token as well (configure-aws-credentials exports "
                "AWS_SESSION_TOKEN beside the keys)",
            )
        )
    if auth == "ambient" and has_keys:
        problems.append(
            Problem(
                inputs.source("aws-access-key-id"),
                "auth is ambient (the runner's own AWS credentials), but access keys are "
                "given as well",
                "remove the key inputs, or set auth: secrets to deploy with the keys",
            )
        )
    if auth == "auto" and not has_keys and not role_to_assume:
        problems.append(
            Problem(
                "input 'role-to-assume'",
                "no AWS credentials: neither a role to assume (OIDC) nor access keys are given",
                CredentialHint(
                    ci="recommended: set role-to-assume and give the job "
                    "`permissions: id-token: write`; or pass aws-access-key-id and "
                    "aws-secret-access-key from secrets",
                    gitlab="recommended: set role-to-assume and give the job an ID token "
                    "(id_tokens: with aud sts.amazonaws.com, in the variable id-token-variable "
                    "names); or set the masked CI/CD variables AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY",
                    terminal=DECLARATION.terminal,
                ).text(context.console),
            )
        )
    return CredentialInputs(
        auth=auth,
        role_to_assume=role_to_assume,
        role_session_name=session_name,
        role_duration_seconds=inputs.integer("role-duration-seconds"),
        allowed_account_ids=allowed,
        access_key_id=key_id,
        secret_access_key=secret_key,
        session_token=inputs.string("aws-session-token"),
    )
