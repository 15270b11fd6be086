"""What AWS needs so a CI job's OIDC token can deploy: the IAM OIDC provider of the issuer,
a role whose trust policy admits the repository's tokens, and the least-privilege policy of
what this target calls (:data:`GRANTS`); created by ``trust --apply`` with the terminal's
own credentials, and probed by ``check`` with IAM ``SimulatePrincipalPolicy``.

The grants are the actions of every AWS call the target makes (``tests`` record a deploy's
calls against moto and hold each to this list), scoped to the function, its execution role,
log group, artifact bucket and KMS keys.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ...access import Access, Missing
from ...errors import CredentialExchangeError
from ...trust.model import Applied, Outcome, TrustDocument, TrustPlan, TrustRequest, differences
from ...trust.subjects import TokenSource
from .config import LambdaConfig, account_of_arn
from .kms import DEFAULT_ALIAS
from .storage import bucket_name

__all__ = [
    "GRANTS",
    "Grant",
    "apply",
    "deploy_statements",
    "plan",
    "probe",
    "role_arn_of",
    "trust_statement",
]

#: The inline policy of the deployer role that trust writes.
POLICY_NAME = "pmcp-deploy"
#: The account in documents printed before the account is known.
_ACCOUNT_PLACEHOLDER = "ACCOUNT_ID"


@dataclass(frozen=True)
class Grant:
    """Actions a deploy needs on some resources (``{…}`` placeholders, see :func:`_resources`)."""

    why: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    #: Condition keys the actions are granted under (and simulated with).
    condition: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


#: What the target calls, by resource. Placeholders: {p} partition, {r} region, {a} account,
#: {fn} function, {role} execution role name, {bucket}, {deployer} the deployer role's name.
GRANTS: tuple[Grant, ...] = (
    Grant(
        "create, update, publish, alias, expose and delete the function",
        (
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
            "lambda:CreateFunction",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:PublishVersion",
            "lambda:ListVersionsByFunction",
            "lambda:GetAlias",
            "lambda:ListAliases",
            "lambda:CreateAlias",
            "lambda:UpdateAlias",
            "lambda:DeleteAlias",
            "lambda:DeleteFunction",
            "lambda:GetPolicy",
            "lambda:AddPermission",
            "lambda:RemovePermission",
            "lambda:GetFunctionUrlConfig",
            "lambda:CreateFunctionUrlConfig",
            "lambda:UpdateFunctionUrlConfig",
            "lambda:DeleteFunctionUrlConfig",
            "lambda:PutFunctionConcurrency",
            "lambda:DeleteFunctionConcurrency",
            "lambda:ListTags",
            "lambda:TagResource",
            "lambda:UntagResource",
        ),
        (
            "arn:{p}:lambda:{r}:{a}:function:{fn}",
            "arn:{p}:lambda:{r}:{a}:function:{fn}:*",
        ),
    ),
    Grant(
        "create, inspect and delete the function's execution role",
        (
            "iam:GetRole",
            "iam:CreateRole",
            "iam:TagRole",
            "iam:DeleteRole",
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:DeleteRolePolicy",
        ),
        ("arn:{p}:iam::{a}:role/{role}",),
    ),
    Grant(
        "hand the execution role to Lambda",
        ("iam:PassRole",),
        ("arn:{p}:iam::{a}:role/{role}",),
        {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
    ),
    Grant(
        "let check simulate this role's own permissions",
        ("iam:SimulatePrincipalPolicy",),
        ("arn:{p}:iam::{a}:role/{deployer}",),
    ),
    Grant(
        "keep the function's log group and read what a version logged",
        (
            "logs:CreateLogGroup",
            "logs:TagResource",
            "logs:TagLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:DeleteLogGroup",
            "logs:DescribeLogStreams",
            "logs:FilterLogEvents",
        ),
        (
            "arn:{p}:logs:{r}:{a}:log-group:/aws/lambda/{fn}",
            "arn:{p}:logs:{r}:{a}:log-group:/aws/lambda/{fn}:*",
        ),
    ),
    Grant("find the log group", ("logs:DescribeLogGroups",), ("arn:{p}:logs:{r}:{a}:log-group:*",)),
    Grant(
        "upload packages over Lambda's direct-upload limit",
        (
            "s3:CreateBucket",
            "s3:ListBucket",
            "s3:PutBucketTagging",
            "s3:PutBucketPublicAccessBlock",
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
        ),
        ("arn:{p}:s3:::{bucket}", "arn:{p}:s3:::{bucket}/*"),
    ),
    Grant(
        "make and find the key that encrypts the server's secrets",
        ("kms:CreateKey", "kms:ListKeys", "kms:ListAliases"),
        ("*",),
    ),
    Grant(
        "name the key, grant the execution role its use, and read the secrets back",
        (
            "kms:CreateAlias",
            "kms:DescribeKey",
            "kms:TagResource",
            "kms:ListResourceTags",
            "kms:CreateGrant",
            "kms:ListGrants",
            "kms:RevokeGrant",
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ScheduleKeyDeletion",
        ),
        ("arn:{p}:kms:{r}:{a}:key/*", "arn:{p}:kms:{r}:{a}:" + DEFAULT_ALIAS),
    ),
)


def deployer_role_name(config: LambdaConfig) -> str:
    """role-to-assume's name, else ``pmcp-deploy-<function>`` (within IAM's 64)."""
    if config.role_to_assume:
        return config.role_to_assume.rsplit("/", 1)[-1]
    return f"pmcp-deploy-{config.function_name}"[:64]


def _execution_role_name(config: LambdaConfig) -> str:
    if config.execution_role_arn:
        return config.execution_role_arn.rsplit("/", 1)[-1]
    return config.managed_role_name


def _placeholders(config: LambdaConfig, account: str) -> dict[str, str]:
    return {
        "p": config.partition,
        "r": config.region,
        "a": account,
        "fn": config.function_name,
        "role": _execution_role_name(config),
        "bucket": bucket_name(account, config.region),
        "deployer": deployer_role_name(config),
    }


def _resources(grant: Grant, values: Mapping[str, str]) -> list[str]:
    return [resource.format(**values) for resource in grant.resources]


def deploy_statements(config: LambdaConfig, account: str) -> list[dict[str, Any]]:
    """The permission policy's statements for this function in ``account``."""
    values = _placeholders(config, account)
    statements: list[dict[str, Any]] = []
    for grant in GRANTS:
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Action": list(grant.actions),
            "Resource": _resources(grant, values),
        }
        if grant.condition:
            statement["Condition"] = {k: dict(v) for k, v in grant.condition.items()}
        statements.append(statement)
    return statements


def _provider_arn(partition: str, account: str, issuer_host: str) -> str:
    return f"arn:{partition}:iam::{account}:oidc-provider/{issuer_host}"


def trust_statement(
    source: TokenSource, audience: str, *, partition: str, account: str
) -> dict[str, Any]:
    """The trust policy's statement that admits the scope's tokens, and only them."""
    host = source.issuer_host
    test = "StringEquals" if source.exact else "StringLike"
    condition: dict[str, dict[str, str]] = {"StringEquals": {f"{host}:aud": audience}}
    condition.setdefault(test, {})[f"{host}:sub"] = source.subject
    return {
        "Effect": "Allow",
        "Principal": {"Federated": _provider_arn(partition, account, host)},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }


@dataclass(frozen=True)
class _Wanted:
    account: str
    role: str
    provider_url: str
    provider_host: str
    trust_policy: dict[str, Any]
    permission_policy: dict[str, Any]


def _wanted(config: LambdaConfig, request: TrustRequest, account: str) -> _Wanted:
    source = request.source
    return _Wanted(
        account=account,
        role=deployer_role_name(config),
        provider_url=source.issuer,
        provider_host=source.issuer_host,
        trust_policy={
            "Version": "2012-10-17",
            "Statement": [
                trust_statement(
                    source, config.audience, partition=config.partition, account=account
                )
            ],
        },
        permission_policy={
            "Version": "2012-10-17",
            "Statement": deploy_statements(config, account),
        },
    )


def _documents(config: LambdaConfig, wanted: _Wanted) -> tuple[TrustDocument, ...]:
    return (
        TrustDocument(
            "IAM OpenID Connect provider",
            _provider_arn(config.partition, wanted.account, wanted.provider_host),
            {"Url": wanted.provider_url, "ClientIDList": [config.audience]},
        ),
        TrustDocument("IAM role trust policy", wanted.role, wanted.trust_policy),
        TrustDocument(
            "IAM role permission policy", f"{wanted.role}/{POLICY_NAME}", wanted.permission_policy
        ),
    )


def _commands(config: LambdaConfig, wanted: _Wanted) -> tuple[str, ...]:
    def compact(document: Mapping[str, Any]) -> str:
        return shlex.quote(json.dumps(document, separators=(",", ":")))

    return (
        f"aws iam create-open-id-connect-provider --url {shlex.quote(wanted.provider_url)} "
        f"--client-id-list {shlex.quote(config.audience)}",
        f"aws iam create-role --role-name {shlex.quote(wanted.role)} "
        f"--assume-role-policy-document {compact(wanted.trust_policy)}",
        f"aws iam put-role-policy --role-name {shlex.quote(wanted.role)} "
        f"--policy-name {POLICY_NAME} --policy-document {compact(wanted.permission_policy)}",
    )


def _target_config(target: Any) -> LambdaConfig:
    config = target.config
    assert isinstance(config, LambdaConfig), "the aws-lambda target holds a LambdaConfig"
    return config


def plan(target: Any, request: TrustRequest) -> TrustPlan:
    """The provider, the role's trust and permission policies, and the commands."""
    config = _target_config(target)
    account = account_of_arn(config.role_to_assume) or _ACCOUNT_PLACEHOLDER
    return _plan(config, request, _wanted(config, request, account))


def _plan(config: LambdaConfig, request: TrustRequest, wanted: _Wanted) -> TrustPlan:
    source = request.source
    notes: list[str] = []
    if not source.exact:
        notes.append(
            "IAM matches no GitLab environment claim: this role admits every branch of "
            f"{source.repository}; give --ref BRANCH to admit one, and protect the environment."
        )
    if wanted.account == _ACCOUNT_PLACEHOLDER:
        notes.append(
            f"Replace {_ACCOUNT_PLACEHOLDER} with the account (or give role-to-assume's ARN)."
        )
    role_arn = f"arn:{config.partition}:iam::{wanted.account}:role/{wanted.role}"
    return TrustPlan(
        summary=(
            f"AWS: let {source.describe()} assume {role_arn} with its OIDC token (audience "
            f"{config.audience}), and let that role deploy {config.function_name} in "
            f"{config.region} and nothing else. Set role-to-assume to {role_arn}."
        ),
        documents=_documents(config, wanted),
        commands=_commands(config, wanted),
        notes=tuple(notes),
        applies=True,
    )


# --- --apply ----------------------------------------------------------------------------------
def _decoded(document: Any) -> Any:
    """A policy document as IAM answers it (a dict, or URL-encoded JSON text)."""
    if isinstance(document, str):
        return json.loads(unquote(document))
    return document


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _ambient(target: Any) -> tuple[Any, Any]:
    """IAM and STS clients with the terminal's own credentials (masked)."""
    from .clients import AwsClients, load_default_chain

    context = target.context
    found = load_default_chain(context.environ)
    if found is None:
        raise CredentialExchangeError(
            "trust --apply uses this terminal's own AWS credentials, and there are none "
            "(no AWS_ACCESS_KEY_ID, AWS_PROFILE or shared credentials file, no instance role).",
            remediation="Sign in first (`aws sso login`, `aws configure`, or set AWS_PROFILE), "
            "then run trust --apply again; or run the printed commands yourself.",
        )
    credentials, _method = found
    for value in (credentials.access_key_id, credentials.secret_access_key):
        context.console.mask(value)
    context.console.mask(credentials.session_token)
    clients = AwsClients(_target_config(target), environ=context.environ)
    return clients.client("iam", credentials), clients.client("sts", credentials)


def apply(target: Any, request: TrustRequest, _plan_shown: TrustPlan) -> tuple[Applied, ...]:
    """Create the provider, the role and its policy where missing; report what differs."""
    from .failures import aws_step

    config = _target_config(target)
    iam, sts = _ambient(target)
    with aws_step("read the terminal's AWS identity (sts:GetCallerIdentity)"):
        account = str(sts.get_caller_identity()["Account"])
    given = account_of_arn(config.role_to_assume)
    if given and given != account:
        raise CredentialExchangeError(
            f"This terminal's AWS credentials are of account {account}, but role-to-assume "
            f"is in {given}; nothing was created.",
            remediation="Sign in to the role's account, or correct role-to-assume.",
        )
    wanted = _wanted(config, request, account)
    return (
        _ensure_provider(iam, config, request, account),
        _ensure_role(iam, wanted, config),
        _ensure_policy(iam, wanted),
    )


def _ensure_provider(
    iam: Any, config: LambdaConfig, request: TrustRequest, account: str
) -> Applied:
    from .failures import aws_step

    arn = _provider_arn(config.partition, account, request.source.issuer_host)
    what = f"the OIDC provider {arn}"
    with aws_step("list the IAM OIDC providers"):
        listed = iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])
    if not any(item.get("Arn") == arn for item in listed):
        with aws_step(f"create {what}"):
            try:
                iam.create_open_id_connect_provider(
                    Url=request.source.issuer,
                    ClientIDList=[config.audience],
                    Tags=[{"Key": "managed-by", "Value": "pmcp"}],
                )
            except Exception as exc:
                if _code(exc) != "EntityAlreadyExists":
                    raise
        return Applied(what, Outcome.CREATED)
    with aws_step(f"read {what}"):
        audiences = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn).get(
            "ClientIDList", []
        )
    if config.audience in audiences:
        return Applied(what, Outcome.UNCHANGED)
    return Applied(
        what,
        Outcome.DIFFERS,
        f"its audiences are {', '.join(audiences) or 'none'}, without {config.audience}: "
        f"aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn "
        f"{arn} --client-id {shlex.quote(config.audience)}",
    )


def _ensure_role(iam: Any, wanted: _Wanted, config: LambdaConfig) -> Applied:
    from .failures import aws_step

    what = f"the role {wanted.role} and its trust policy"
    with aws_step(f"read the role {wanted.role}"):
        try:
            role = iam.get_role(RoleName=wanted.role)["Role"]
        except Exception as exc:
            if _code(exc) != "NoSuchEntity":
                raise
            role = None
    if role is None:
        with aws_step(f"create the role {wanted.role}"):
            iam.create_role(
                RoleName=wanted.role,
                AssumeRolePolicyDocument=json.dumps(wanted.trust_policy),
                Description=f"pmcp-deploy-action deploys {config.function_name} with it",
                Tags=[{"Key": "managed-by", "Value": "pmcp"}],
            )
        return Applied(what, Outcome.CREATED)
    have = _decoded(role.get("AssumeRolePolicyDocument", {}))
    found = differences(have.get("Statement", []), wanted.trust_policy["Statement"], "Statement")
    if not found:
        return Applied(what, Outcome.UNCHANGED)
    return Applied(what, Outcome.DIFFERS, "the trust policy has no statement like the one above")


def _ensure_policy(iam: Any, wanted: _Wanted) -> Applied:
    from .failures import aws_step

    what = f"the policy {POLICY_NAME} of the role {wanted.role}"
    with aws_step(f"read {what}"):
        try:
            have = _decoded(
                iam.get_role_policy(RoleName=wanted.role, PolicyName=POLICY_NAME)["PolicyDocument"]
            )
        except Exception as exc:
            if _code(exc) != "NoSuchEntity":
                raise
            have = None
    if have is None:
        with aws_step(f"write {what}"):
            iam.put_role_policy(
                RoleName=wanted.role,
                PolicyName=POLICY_NAME,
                PolicyDocument=json.dumps(wanted.permission_policy),
            )
        return Applied(what, Outcome.CREATED)
    found = differences(have, wanted.permission_policy)
    if not found:
        return Applied(what, Outcome.UNCHANGED)
    return Applied(what, Outcome.DIFFERS, "\n".join(found))


# --- check ------------------------------------------------------------------------------------
def role_arn_of(caller_arn: str) -> str:
    """The IAM role of an assumed-role session ARN; any other ARN as it is."""
    parts = caller_arn.split(":")
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        name = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{name}"
    return caller_arn


def _grant_text(principal: str, missing: Sequence[tuple[str, str]]) -> str:
    name = principal.rsplit("/", 1)[-1]
    statement = {
        "Effect": "Allow",
        "Action": sorted({action for action, _ in missing}),
        "Resource": sorted({resource for _, resource in missing}),
    }
    return (
        f"Add to a policy of {principal} (e.g. aws iam put-role-policy --role-name {name} "
        f"--policy-name {POLICY_NAME} ...):\n{json.dumps(statement, indent=2)}\n"
        "or write the whole policy: pmcp-action trust --target aws-lambda --apply"
    )


def probe(
    iam: Any, config: LambdaConfig, caller_arn: str, account: str, *, info: Callable[[str], None]
) -> Access:
    """Simulate every grant for the caller's role; name each action it is denied."""
    principal = role_arn_of(caller_arn)
    values = _placeholders(config, account)
    denied: list[tuple[str, str, str]] = []
    allowed: list[str] = []
    for grant in GRANTS:
        resources = _resources(grant, values)
        if grant.actions == ("iam:SimulatePrincipalPolicy",):
            continue  # the probe itself proves it
        context = [
            {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": "string"}
            for test in grant.condition.values()
            for key, value in test.items()
        ]
        try:
            answer = iam.simulate_principal_policy(
                PolicySourceArn=principal,
                ActionNames=list(grant.actions),
                ResourceArns=resources,
                **({"ContextEntries": context} if context else {}),
            )
        except Exception as exc:
            if _code(exc) in ("AccessDenied", "AccessDeniedException"):
                return Access(
                    identity=principal,
                    missing=(
                        Missing(
                            "iam:SimulatePrincipalPolicy",
                            principal,
                            _grant_text(principal, [("iam:SimulatePrincipalPolicy", principal)]),
                            "let check see what this role may do",
                        ),
                    ),
                    notes=("IAM refused the simulation, so nothing else could be checked.",),
                )
            raise
        for result in answer.get("EvaluationResults", []):
            action = str(result.get("EvalActionName", ""))
            resource = str(result.get("EvalResourceName", "*"))
            if result.get("EvalDecision") == "allowed":
                allowed.append(f"{action} on {resource}")
            else:
                denied.append((action, resource, grant.why))
    info(f"Simulated {len(allowed) + len(denied)} action-resource pairs for {principal}.")
    pairs = [(action, resource) for action, resource, _ in denied]
    grant_text = _grant_text(principal, pairs) if pairs else ""
    return Access(
        identity=principal,
        allowed=tuple(allowed),
        missing=tuple(Missing(a, r, grant_text, why) for a, r, why in denied),
        notes=("Probed with IAM SimulatePrincipalPolicy (the role's own policies).",),
    )
