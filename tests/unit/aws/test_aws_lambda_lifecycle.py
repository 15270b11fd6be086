"""aws-lambda rollback, destroy and roles the user brings, against moto."""

from __future__ import annotations

import json

import pytest

from pmcp_action.errors import ConfigError, DeployError
from tests.support.aws import ACCOUNT

from .conftest import AwsFactory, Harness


def _deploy_two_versions(harness: Harness) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target().deploy()


def test_rollback_moves_live_back_to_the_previous_version(
    harness: Harness, aws: AwsFactory
) -> None:
    _deploy_two_versions(harness)
    harness.proxy.reset()

    result = harness.target().rollback("")

    assert (result.version, result.previous_version) == ("1", "2")
    assert result.can_roll_back is True
    assert result.url.startswith("https://")
    assert aws("lambda").get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == "1"
    mutations = [op for op in harness.proxy.operations() if op.startswith(("Update", "Publish"))]
    assert mutations == ["UpdateAlias"]  # seconds, no rebuild, no new version
    assert "UpdateAlias" in " ".join(result.request_ids)

    # Rolling back again returns to 2: the alias remembers where it came from.
    again = harness.target().rollback("")
    assert (again.version, again.previous_version) == ("2", "1")


def test_rollback_to_an_explicit_version(harness: Harness, aws: AwsFactory) -> None:
    _deploy_two_versions(harness)
    harness.write_bootstrap(b"v3")
    harness.target().deploy()

    result = harness.target().rollback("1")

    assert (result.version, result.previous_version) == ("1", "3")
    assert aws("lambda").get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == "1"


def test_rollback_to_the_live_version_is_a_no_op(harness: Harness) -> None:
    _deploy_two_versions(harness)
    harness.proxy.reset()

    result = harness.target().rollback("2")

    assert result.unchanged is True
    assert "UpdateAlias" not in harness.proxy.operations()


@pytest.mark.parametrize(
    ("to_version", "message"),
    [("", "No previous version of demo is recorded"), ("9", "Version 9 of demo does not exist")],
)
def test_rollback_refuses_what_it_cannot_do(
    harness: Harness, to_version: str, message: str
) -> None:
    harness.target().deploy()

    with pytest.raises(DeployError, match=message):
        harness.target().rollback(to_version)


def test_rollback_without_a_deployment_fails(harness: Harness) -> None:
    with pytest.raises(DeployError, match="nothing to roll back"):
        harness.target().rollback("")


def test_destroy_deletes_url_alias_function_and_our_role_but_keeps_logs(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.proxy.reset()

    result = harness.target().destroy()

    operations = harness.proxy.operations()
    order = [
        operations.index(op)
        for op in ("DeleteFunctionUrlConfig", "DeleteAlias", "DeleteFunction", "DeleteRole")
    ]
    assert order == sorted(order)
    lam = aws("lambda")
    assert lam.list_functions()["Functions"] == []
    roles = [r["RoleName"] for r in aws("iam").list_roles()["Roles"]]
    assert "demo-lambda-role" not in roles
    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/demo")["logGroups"]
    assert len(groups) == 1
    assert ("keep", "log group /aws/lambda/demo") in {
        (c.action, c.resource) for c in result.changes
    }

    with pytest.raises(DeployError, match="Nothing to destroy"):
        harness.target().destroy()


def test_destroy_deletes_the_log_group_only_when_asked(harness: Harness, aws: AwsFactory) -> None:
    harness.target().deploy()

    result = harness.target(delete_log_group=True).destroy()

    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/demo")["logGroups"]
    assert groups == []
    assert ("delete", "log group /aws/lambda/demo") in {
        (c.action, c.resource) for c in result.changes
    }


def test_destroy_removes_uploaded_artifacts_of_this_server_only(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target(direct_upload_limit=10).deploy()
    bucket = f"pmcp-deploy-{ACCOUNT}-us-east-1"
    aws("s3").put_object(Bucket=bucket, Key="other-server/bootstrap-abc.zip", Body=b"x")

    harness.target().destroy()

    keys = [o["Key"] for o in aws("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["other-server/bootstrap-abc.zip"]


def test_destroy_refuses_a_function_pmcp_did_not_create(harness: Harness, aws: AwsFactory) -> None:
    aws("iam").create_role(RoleName="theirs", AssumeRolePolicyDocument="{}")
    aws("lambda").create_function(
        FunctionName="demo",
        Runtime="provided.al2023",
        Role=f"arn:aws:iam::{ACCOUNT}:role/theirs",
        Handler="bootstrap",
        Code={"ZipFile": b"PK"},
    )

    with pytest.raises(DeployError, match="was not made by pmcp-action"):
        harness.target().destroy()

    assert len(aws("lambda").list_functions()["Functions"]) == 1


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
    from tests.fakes.moto_server import sts_error

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
