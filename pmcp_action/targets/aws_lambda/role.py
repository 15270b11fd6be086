"""The function's execution role: the user's, or ``<name>-lambda-role`` managed by us.

A role this target creates carries the standard tags and the AWS managed
``AWSLambdaBasicExecutionRole`` policy (CloudWatch Logs). A role the user names
is only checked (it must exist), never changed; a role of the managed name
that someone else created is reused but neither changed nor deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ...ci.base import Platform
from ...errors import ConfigError
from ...result import PlanChange
from .config import LambdaConfig, account_of_arn, is_ours
from .failures import aws_step, has_code, translate

__all__ = ["RoleManager", "RoleState"]

LAMBDA_TRUST_POLICY: Mapping[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def basic_execution_policy(partition: str) -> str:
    return f"arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def _tags(raw: Any) -> dict[str, str]:
    if isinstance(raw, list):
        return {str(t.get("Key")): str(t.get("Value")) for t in raw if isinstance(t, dict)}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return {}


@dataclass(frozen=True)
class RoleState:
    """What the execution role looks like now (read-only inspection)."""

    name: str
    #: The ARN, or "" when the managed role does not exist yet.
    arn: str
    exists: bool
    #: Given by the user (lambda-role-arn / [aws].role_arn).
    user_given: bool
    #: Tagged as created by this target for this server.
    managed: bool
    #: Whether the basic execution policy is attached (managed roles only).
    policy_attached: bool


class RoleManager:
    def __init__(self, iam: Any, config: LambdaConfig, console: Platform, account: str) -> None:
        self.iam = iam
        self.config = config
        self.console = console
        self.account = account

    # --- reading ----------------------------------------------------------------------------
    def inspect(self) -> RoleState:
        config = self.config
        if config.execution_role_arn:
            return self._inspect_user_role(config.execution_role_arn)
        name = config.managed_role_name
        with aws_step(f"read the IAM role {name}"):
            try:
                role = self.iam.get_role(RoleName=name)["Role"]
            except ClientError as exc:
                if has_code(exc, "NoSuchEntity"):
                    return RoleState(name, "", False, False, False, False)
                raise
            managed = is_ours(_tags(role.get("Tags")), config.function_name)
            attached = False
            if managed:
                policies = self.iam.list_attached_role_policies(RoleName=name)
                attached = any(
                    p.get("PolicyArn") == basic_execution_policy(config.partition)
                    for p in policies.get("AttachedPolicies", [])
                )
        return RoleState(name, str(role["Arn"]), True, False, managed, attached)

    def _inspect_user_role(self, arn: str) -> RoleState:
        name = arn.rsplit("/", 1)[-1]
        if account_of_arn(arn) != self.account:
            self.console.info(
                f"The execution role {arn} is in another account; it is not checked here."
            )
            return RoleState(name, arn, True, True, False, False)
        doing = f"read the execution role {name}"
        try:
            role = self.iam.get_role(RoleName=name)["Role"]
        except ClientError as exc:
            if has_code(exc, "NoSuchEntity"):
                raise ConfigError(
                    f"The execution role {arn} (lambda-role-arn or [aws].role_arn) does not "
                    f"exist in account {self.account}. Nothing was changed.",
                    remediation=(
                        "Create the role with a trust policy for lambda.amazonaws.com and the "
                        "AWSLambdaBasicExecutionRole policy, fix the ARN, or leave "
                        "lambda-role-arn empty so that pmcp-action creates and manages "
                        f"{self.config.managed_role_name}."
                    ),
                ) from exc
            if has_code(exc, "AccessDenied", "AccessDeniedException"):
                self.console.debug(f"Not allowed to read {arn} (iam:GetRole); not checked.")
                return RoleState(name, arn, True, True, False, False)
            raise translate(exc, doing) from exc
        except BotoCoreError as exc:
            raise translate(exc, doing) from exc
        trust = json.dumps(role.get("AssumeRolePolicyDocument", ""))
        if "lambda.amazonaws.com" not in trust:
            self.console.warning(
                f"The trust policy of {arn} does not name lambda.amazonaws.com; Lambda may not "
                "be able to assume it.",
                title="Execution role",
            )
        return RoleState(name, str(role.get("Arn", arn)), True, True, False, False)

    def plan(self, state: RoleState) -> list[PlanChange]:
        if state.user_given:
            return [PlanChange("keep", f"IAM role {state.name}", "given by lambda-role-arn")]
        if not state.exists:
            return [
                PlanChange(
                    "create",
                    f"IAM role {state.name}",
                    "trusts lambda.amazonaws.com; AWSLambdaBasicExecutionRole",
                )
            ]
        if state.managed and not state.policy_attached:
            return [
                PlanChange("update", f"IAM role {state.name}", "attach AWSLambdaBasicExecutionRole")
            ]
        detail = "managed by pmcp-action" if state.managed else "exists, not created by pmcp"
        return [PlanChange("keep", f"IAM role {state.name}", detail)]

    # --- changing ---------------------------------------------------------------------------
    def ensure(self, state: RoleState) -> tuple[str, bool, list[PlanChange]]:
        """The role ARN to use, whether it was just created, and what changed."""
        config = self.config
        policy = basic_execution_policy(config.partition)
        if state.user_given:
            return state.arn, False, []
        if not state.exists:
            tags = [{"Key": k, "Value": v} for k, v in config.tags.items()]
            with aws_step(f"create the IAM role {state.name}"):
                try:
                    role = self.iam.create_role(
                        RoleName=state.name,
                        AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY),
                        Description=f"Execution role of the MCP server {config.function_name} "
                        "(pmcp-deploy-action)",
                        Tags=tags,
                    )["Role"]
                except ClientError as exc:
                    if not has_code(exc, "EntityAlreadyExists"):
                        raise
                    # Another run (a concurrent first deploy) created it meanwhile.
                    raced = self.inspect()
                    if not raced.exists:
                        raise
                    self.console.info(
                        f"The role {state.name} appeared while this run created it (another "
                        "deploy of the same server at the same time); "
                        + ("reusing it." if raced.managed else "reusing it as it is.")
                    )
                    arn, _created, changes = self.ensure(raced)
                    return arn, False, changes
            with aws_step(f"attach AWSLambdaBasicExecutionRole to {state.name}"):
                self.iam.attach_role_policy(RoleName=state.name, PolicyArn=policy)
            self.console.info(f"Created the execution role {role['Arn']}.")
            return str(role["Arn"]), True, [PlanChange("create", f"IAM role {state.name}")]
        if state.managed and not state.policy_attached:
            with aws_step(f"attach AWSLambdaBasicExecutionRole to {state.name}"):
                self.iam.attach_role_policy(RoleName=state.name, PolicyArn=policy)
            return (
                state.arn,
                False,
                [PlanChange("update", f"IAM role {state.name}", "attached the basic policy")],
            )
        if not state.managed:
            self.console.info(
                f"Reusing the existing role {state.arn}; pmcp-action did not create it, so it "
                "is neither changed nor deleted by destroy."
            )
        return state.arn, False, []

    def delete_if_managed(self, role_arn: str) -> bool:
        """Delete the role when this target created it for this server; True if deleted."""
        name = role_arn.rsplit("/", 1)[-1]
        if name != self.config.managed_role_name:
            return False
        with aws_step(f"read the IAM role {name}"):
            try:
                role = self.iam.get_role(RoleName=name)["Role"]
            except ClientError as exc:
                if has_code(exc, "NoSuchEntity"):
                    return False
                raise
        if not is_ours(_tags(role.get("Tags")), self.config.function_name):
            self.console.info(f"Keeping the role {name}: pmcp-action did not create it.")
            return False
        with aws_step(f"delete the IAM role {name}"):
            attached = self.iam.list_attached_role_policies(RoleName=name)
            for item in attached.get("AttachedPolicies", []):
                self.iam.detach_role_policy(RoleName=name, PolicyArn=item["PolicyArn"])
            for policy_name in self.iam.list_role_policies(RoleName=name).get("PolicyNames", []):
                self.iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
            self.iam.delete_role(RoleName=name)
        return True
