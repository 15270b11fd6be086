"""The fake learns what Lambda answers where moto does not, checked with boto3 (the vendor's
own client) through the proxy: an environment Lambda refuses, KMSKeyArn on an update, and
the variables hidden from a caller without kms:Decrypt."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.fakes.aws_lambda import MotoProxy
from tests.support.aws import ACCOUNT, REGION

from .helpers import AwsFactory


def _through(proxy: MotoProxy, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=proxy.url,
        aws_access_key_id="AKIAFAKECHECK0000000",
        aws_secret_access_key="fake-check-secret",
    )


def _function(lam: Any, aws: AwsFactory, **extra: Any) -> dict[str, Any]:
    aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", "#!/bin/sh\n")
    created: dict[str, Any] = lam.create_function(
        FunctionName="f",
        Runtime="provided.al2023",
        Role=f"arn:aws:iam::{ACCOUNT}:role/r",
        Handler="bootstrap",
        Code={"ZipFile": buffer.getvalue()},
        **extra,
    )
    return created


@pytest.mark.parametrize(
    ("variables", "code", "said"),
    [
        ({"AWS_REGION": "x"}, "InvalidParameterValueException", "Reserved keys used"),
        ({"_X": "x"}, "ValidationException", "regular expression pattern"),
        ({"BIG": "b" * 4090}, "InvalidParameterValueException", "exceeded the 4KB limit"),
    ],
)
def test_lambda_refuses_an_environment_it_does_not_take(
    proxy: MotoProxy, aws: AwsFactory, variables: dict[str, str], code: str, said: str
) -> None:
    lam = _through(proxy, "lambda")
    with pytest.raises(ClientError) as raised:
        _function(lam, aws, Environment={"Variables": variables})
    assert raised.value.response["Error"]["Code"] == code
    assert said in raised.value.response["Error"]["Message"]


def test_an_update_sets_the_key_and_a_caller_without_decrypt_sees_no_variables(
    proxy: MotoProxy, aws: AwsFactory
) -> None:
    lam = _through(proxy, "lambda")
    _function(lam, aws, Environment={"Variables": {"API_KEY": "v"}})
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]

    lam.update_function_configuration(FunctionName="f", KMSKeyArn=key)
    assert lam.get_function_configuration(FunctionName="f")["KMSKeyArn"] == key

    proxy.decrypt_denied = True
    environment = lam.get_function(FunctionName="f")["Configuration"]["Environment"]
    assert "Variables" not in environment
    assert environment["Error"]["ErrorCode"] == "AccessDeniedException"
    published = lam.publish_version(FunctionName="f")
    assert "Variables" not in published["Environment"]


def test_revision_ids_are_reported_and_a_stale_one_is_refused(
    proxy: MotoProxy, aws: AwsFactory
) -> None:
    lam = _through(proxy, "lambda")
    created = _function(lam, aws)
    read = lam.get_function(FunctionName="f")["Configuration"]["RevisionId"]
    assert created["RevisionId"] == read

    updated = lam.update_function_configuration(FunctionName="f", MemorySize=256, RevisionId=read)
    assert updated["RevisionId"] != read  # a change is a new revision
    with pytest.raises(ClientError) as caught:  # the one read before that change is stale
        lam.update_function_configuration(FunctionName="f", MemorySize=512, RevisionId=read)
    assert caught.value.response["Error"]["Code"] == "PreconditionFailedException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError):
        lam.publish_version(FunctionName="f", RevisionId=read)
    current = lam.get_function_configuration(FunctionName="f")
    assert current["MemorySize"] == 256
    assert lam.publish_version(FunctionName="f", RevisionId=current["RevisionId"])["Version"] == "1"
