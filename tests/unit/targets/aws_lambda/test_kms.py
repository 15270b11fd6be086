"""The KMS key of the function's environment and the role's grant: a given key checked, the
default key found, a lost CreateKey found by its tag, a grant replaced when the role changes,
a new role waited for, a refused grant a warning."""

from __future__ import annotations

from typing import Any

import pytest

from pmcp_action.errors import ConfigError
from pmcp_action.targets.aws_lambda.kms import DEFAULT_ALIAS, KeyManager
from pmcp_action.targets.aws_lambda.target import AwsLambdaTarget
from tests.fakes.aws_lambda import kms_error
from tests.support.aws import ACCOUNT

from .helpers import AwsFactory, Harness

ROLE = f"arn:aws:iam::{ACCOUNT}:role/demo-lambda-role"


def keys(harness: Harness, **settings: Any) -> KeyManager:
    target = AwsLambdaTarget(harness.context(**settings))
    with target.connect() as conn:
        return conn.keys


def test_the_default_key_is_found_by_its_alias(harness: Harness, aws: AwsFactory) -> None:
    manager = keys(harness)
    assert manager.inspect().arn == ""

    key = aws("kms").create_key()["KeyMetadata"]
    aws("kms").create_alias(AliasName=DEFAULT_ALIAS, TargetKeyId=key["KeyId"])
    state = manager.inspect()
    assert (state.arn, state.given) == (key["Arn"], False)
    assert state.label == f"{DEFAULT_ALIAS} ({key['Arn']})"


@pytest.mark.parametrize(
    ("create", "said"),
    [
        ({"KeyUsage": "SIGN_VERIFY", "KeySpec": "RSA_2048"}, "a RSA_2048 key for SIGN_VERIFY"),
        ({}, "is Disabled"),
    ],
)
def test_a_given_key_lambda_cannot_use_is_refused(
    harness: Harness, aws: AwsFactory, create: dict[str, str], said: str
) -> None:
    kms = aws("kms")
    key = kms.create_key(**create)["KeyMetadata"]
    if not create:
        kms.disable_key(KeyId=key["KeyId"])

    with pytest.raises(ConfigError, match=said):
        keys(harness, kms_key_arn=key["Arn"]).inspect()


def test_a_given_key_this_identity_may_not_describe_is_used_as_given(harness: Harness) -> None:
    arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-4333-8444-555555555555"
    harness.proxy.inject("DescribeKey", lambda: kms_error(400, "AccessDeniedException", "no"))

    state = keys(harness, kms_key_arn=arn).inspect()

    assert (state.arn, state.given) == (arn, True)
    assert "kms:DescribeKey" in harness.last_output


def test_a_lost_create_key_is_found_by_the_token_it_was_tagged_with(
    harness: Harness, aws: AwsFactory
) -> None:
    kms = aws("kms")
    kms.create_key(Tags=[{"TagKey": "pmcp:creation", "TagValue": "other-run"}])
    ours = kms.create_key(Tags=[{"TagKey": "pmcp:creation", "TagValue": "this-run"}])

    manager = keys(harness)

    assert manager._find_created("this-run") == ours["KeyMetadata"]["Arn"]
    assert manager._find_created("a-run-that-created-nothing") is None


def test_the_grant_follows_the_role(harness: Harness, aws: AwsFactory) -> None:
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    manager = keys(harness)

    assert [c.action for c in manager.ensure_grant(key, ROLE, role_just_created=False)] == [
        "create"
    ]
    assert manager.ensure_grant(key, ROLE, role_just_created=False) == []
    other = f"arn:aws:iam::{ACCOUNT}:role/another"
    assert [c.action for c in manager.ensure_grant(key, other, role_just_created=False)] == [
        "replace"
    ]
    (grant,) = aws("kms").list_grants(KeyId=key)["Grants"]
    assert grant["GranteePrincipal"] == other
    assert manager.revoke_grant(key) is True
    assert manager.revoke_grant(key) is False


def test_a_role_kms_does_not_know_yet_is_waited_for(harness: Harness, aws: AwsFactory) -> None:
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    harness.proxy.inject(
        "CreateGrant",
        lambda: kms_error(400, "InvalidArnException", "ARN does not refer to a valid principal"),
        times=2,
    )

    changes = keys(harness).ensure_grant(key, ROLE, role_just_created=True)

    assert [c.action for c in changes] == ["create"]
    assert harness.proxy.operations().count("CreateGrant") == 3
    assert "Waiting for IAM to propagate the new role to KMS" in harness.last_output


def test_a_refused_grant_is_a_warning_not_a_failure(harness: Harness, aws: AwsFactory) -> None:
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    harness.proxy.inject(
        "CreateGrant", lambda: kms_error(400, "AccessDeniedException", "not authorized")
    )

    assert keys(harness).ensure_grant(key, ROLE, role_just_created=False) == []
    assert "kms:CreateGrant" in harness.last_output and "Lambda's own grant" in harness.last_output


def test_a_plan_that_may_not_list_grants_says_so(harness: Harness, aws: AwsFactory) -> None:
    from pmcp_action.targets.aws_lambda.kms import KeyState

    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    harness.proxy.inject("ListGrants", lambda: kms_error(400, "AccessDeniedException", "no"))

    (change,) = keys(harness).plan_grant(KeyState(key, given=True), ROLE)

    assert (change.action, change.resource) == ("create", "KMS grant pmcp-demo")
    assert "kms:ListGrants not allowed" in change.detail
