"""What IAM and STS answer where moto does not: ``SimulatePrincipalPolicy`` (moto has none)
and, when asked to (``MotoProxy.enforce_trust``), the trust of ``AssumeRoleWithWebIdentity``
(moto admits any token for any role).

Both read the role, its policies and the OIDC providers back from moto, so what ``trust
--apply`` wrote there is what they judge. The policy evaluator knows what the program's
policies use: Allow and Deny statements, ``Action`` and ``Resource`` as text or lists with
``*`` and ``?`` wildcards, and ``StringEquals``/``StringLike`` conditions; an explicit Deny
wins, anything not allowed is an implicit deny, as IAM's evaluation logic says.
"""

from __future__ import annotations

import fnmatch
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

import boto3
import httpx
import jwt

from ..oidc_issuer import verify_token
from .errors import sts_error

__all__ = ["IamRules", "evaluate"]

_IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _conditions_hold(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for test, pairs in condition.items():
        for key, wanted in pairs.items():
            have = context.get(key)
            if have is None:
                return False
            patterns = _as_list(wanted)
            if test == "StringEquals" and have not in patterns:
                return False
            if test == "StringLike" and not any(fnmatch.fnmatchcase(have, p) for p in patterns):
                return False
            if test not in ("StringEquals", "StringLike"):
                return False
    return True


def evaluate(
    statements: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, str],
) -> str:
    """IAM's decision for one action on one resource: allowed, explicitDeny, implicitDeny."""
    decision = "implicitDeny"
    for statement in statements:
        actions = _as_list(statement.get("Action"))
        if not any(fnmatch.fnmatch(action.lower(), a.lower()) for a in actions):
            continue
        resources = _as_list(statement.get("Resource"))
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        if not _conditions_hold(statement.get("Condition", {}), context):
            continue
        if statement.get("Effect") == "Deny":
            return "explicitDeny"
        decision = "allowed"
    return decision


def _document(value: Any) -> Any:
    return json.loads(unquote(value)) if isinstance(value, str) else value


def _members(form: Mapping[str, list[str]], prefix: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for key, values in form.items():
        head, _, index = key.rpartition(".")
        if head == f"{prefix}.member" and index.isdigit():
            found.append((int(index), values[0]))
    return [value for _, value in sorted(found)]


def _context_entries(form: Mapping[str, list[str]]) -> dict[str, str]:
    entries: dict[str, str] = {}
    index = 1
    while f"ContextEntries.member.{index}.ContextKeyName" in form:
        name = form[f"ContextEntries.member.{index}.ContextKeyName"][0]
        values = _members(form, f"ContextEntries.member.{index}.ContextKeyValues")
        if values:
            entries[name] = values[0]
        index += 1
    return entries


class IamRules:
    """Answers from moto's IAM state; ``upstream`` is moto's URL."""

    def __init__(self, upstream: str) -> None:
        self.iam = boto3.client(
            "iam",
            region_name="us-east-1",
            endpoint_url=upstream,
            aws_access_key_id="AKIAIAMRULES00000000",
            aws_secret_access_key="iam-rules-secret",
        )

    # --- the role's policies ------------------------------------------------------------------
    def statements_of(self, role_name: str) -> list[Mapping[str, Any]]:
        statements: list[Mapping[str, Any]] = []
        for name in self.iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
            document = self.iam.get_role_policy(RoleName=role_name, PolicyName=name)
            statements += _as_statements(_document(document["PolicyDocument"]))
        attached = self.iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
        for policy in attached:
            arn = policy["PolicyArn"]
            version = self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = self.iam.get_policy_version(PolicyArn=arn, VersionId=version)
            statements += _as_statements(_document(document["PolicyVersion"]["Document"]))
        return statements

    def simulate(self, body: bytes) -> httpx.Response:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        source = form.get("PolicySourceArn", [""])[0]
        role_name = source.rsplit("/", 1)[-1] if ":role/" in source else ""
        if not role_name:
            return _iam_error(400, "InvalidInput", f"{source} is no role this fake simulates")
        try:
            statements = self.statements_of(role_name)
        except self.iam.exceptions.NoSuchEntityException:
            return _iam_error(
                404, "NoSuchEntity", f"The role with name {role_name} cannot be found."
            )
        context = _context_entries(form)
        resources = _members(form, "ResourceArns") or ["*"]
        members = []
        for action in _members(form, "ActionNames"):
            for resource in resources:
                decision = evaluate(statements, action, resource, context)
                members.append(
                    "<member>"
                    f"<EvalActionName>{escape(action)}</EvalActionName>"
                    f"<EvalResourceName>{escape(resource)}</EvalResourceName>"
                    f"<EvalDecision>{decision}</EvalDecision>"
                    "<MatchedStatements/><MissingContextValues/>"
                    "</member>"
                )
        body_text = (
            f'<SimulatePrincipalPolicyResponse xmlns="{_IAM_NS}">'
            "<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>"
            f"<EvaluationResults>{''.join(members)}</EvaluationResults>"
            "</SimulatePrincipalPolicyResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</SimulatePrincipalPolicyResponse>"
        )
        return httpx.Response(200, headers={"Content-Type": "text/xml"}, content=body_text.encode())

    # --- web identity trust ---------------------------------------------------------------------
    def web_identity_refusal(self, body: bytes) -> httpx.Response | None:
        """None when the role trusts the token (moto then answers); else STS's refusal."""
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        role_arn = form.get("RoleArn", [""])[0]
        token = form.get("WebIdentityToken", [""])[0]
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return sts_error(400, "InvalidIdentityToken", "The token is no JWT.")
        issuer = str(unverified.get("iss", ""))
        audience = unverified.get("aud")
        audience = audience if isinstance(audience, str) else (audience or [""])[0]
        host = issuer.removeprefix("https://").rstrip("/")
        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
        provider = f"arn:aws:iam::{account}:oidc-provider/{host}"
        providers = self.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
        if provider not in {p["Arn"] for p in providers}:
            return sts_error(
                400,
                "InvalidIdentityToken",
                f"No OpenIDConnect provider found in your account for {issuer}",
            )
        audiences = self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)[
            "ClientIDList"
        ]
        try:
            claims = verify_token(token, str(audience), issuer=issuer)
        except jwt.InvalidTokenError:
            return sts_error(400, "InvalidIdentityToken", "The token's signature is invalid.")
        if audience not in audiences:
            return sts_error(400, "InvalidIdentityToken", "Incorrect token audience")
        try:
            role = self.iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        except self.iam.exceptions.NoSuchEntityException:
            return sts_error(
                403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"
            )
        context = {f"{host}:aud": str(audience), f"{host}:sub": str(claims.get("sub", ""))}
        for statement in _as_statements(_document(role["AssumeRolePolicyDocument"])):
            federated = statement.get("Principal", {}).get("Federated")
            if (
                statement.get("Effect") == "Allow"
                and provider in _as_list(federated)
                and "sts:AssumeRoleWithWebIdentity" in _as_list(statement.get("Action"))
                and _conditions_hold(statement.get("Condition", {}), context)
            ):
                return None
        return sts_error(
            403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"
        )


def _as_statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _iam_error(status: int, code: str, message: str) -> httpx.Response:
    body = (
        f'<ErrorResponse xmlns="{_IAM_NS}">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return httpx.Response(status, headers={"Content-Type": "text/xml"}, content=body.encode())
