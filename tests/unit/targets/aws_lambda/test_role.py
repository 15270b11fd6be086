"""The execution role: the user's (checked, never changed or deleted) or
``<name>-lambda-role`` (created, reused, raced)."""

from __future__ import annotations

import json

import pytest

from pmcp_action.errors import ConfigError
from tests.support.aws import ACCOUNT

from .helpers import AwsFactory, Harness


def test_missing_user_role_fails_before_anything_changes(harness: Harness) -> None:
    missing = f"arn:aws:iam::{ACCOUNT}:role/does-not-exist"

    with pytest.raises(ConfigError) as caught:
        harness.target(lambda_role_arn=missing).deploy()

    assert missing in caught.value.message
    assert "demo-lambda-role" in caught.value.remediation
    operations = harness.proxy.operations()
    assert not [op for op in operations if op.startswith(("Create", "Attach", "Put"))]


def test_user_role_is_used_and_never_deleted(harness: Harness, aws: AwsFactory) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = aws("iam").create_role(RoleName="my-exec", AssumeRolePolicyDocument=json.dumps(trust))
    arn = role["Role"]["Arn"]

    harness.target(lambda_role_arn=arn).deploy()
    harness.target(lambda_role_arn=arn).destroy()

    operations = harness.proxy.operations()
    assert "CreateRole" not in operations and "DeleteRole" not in operations
    assert "my-exec" in [r["RoleName"] for r in aws("iam").list_roles()["Roles"]]
    assert "trust policy" not in harness.output  # it trusts Lambda: no warning


def test_existing_role_of_the_managed_name_is_reused_but_not_deleted(
    harness: Harness, aws: AwsFactory
) -> None:
    aws("iam").create_role(RoleName="demo-lambda-role", AssumeRolePolicyDocument="{}")

    harness.target().deploy()
    harness.target().destroy()

    assert "demo-lambda-role" in [r["RoleName"] for r in aws("iam").list_roles()["Roles"]]
    assert "pmcp-action did not create it" in harness.output


def test_a_role_created_by_a_concurrent_first_deploy_is_reused(
    harness: Harness, aws: AwsFactory
) -> None:
    from pmcp_action.targets.aws_lambda.role import LAMBDA_TRUST_POLICY
    from tests.fakes.aws_lambda import sts_error

    def the_other_run_wins():
        # The other deploy's CreateRole lands first; ours then meets EntityAlreadyExists.
        aws("iam").create_role(
            RoleName="demo-lambda-role",
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY),
            Tags=[
                {"Key": "managed-by", "Value": "pmcp"},
                {"Key": "pmcp:server", "Value": "demo"},
                {"Key": "target", "Value": "aws-lambda"},
            ],
        )
        return sts_error(
            409, "EntityAlreadyExists", "Role with name demo-lambda-role already exists."
        )

    harness.proxy.inject("CreateRole", the_other_run_wins)

    result = harness.target().deploy()

    assert result.version == "1"
    assert (
        "appeared while this run created it" in harness.output and "reusing it." in harness.output
    )
    role = aws("iam").get_role(RoleName="demo-lambda-role")["Role"]
    function = aws("lambda").get_function(FunctionName="demo")["Configuration"]
    assert function["Role"] == role["Arn"]
    attached = aws("iam").list_attached_role_policies(RoleName="demo-lambda-role")
    assert [p["PolicyName"] for p in attached["AttachedPolicies"]] == [
        "AWSLambdaBasicExecutionRole"
    ]
    harness.target().destroy()  # ours to delete: it carries our tags
    assert "demo-lambda-role" not in [r["RoleName"] for r in aws("iam").list_roles()["Roles"]]
