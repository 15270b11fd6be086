"""The function URL: both public-invoke permissions for NONE, none for AWS_IAM (removed on
switching)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from .helpers import AwsFactory, Harness


def test_public_url_gets_both_resource_permissions(harness: Harness, aws: AwsFactory) -> None:
    harness.target().deploy()

    adds = harness.proxy.requests_for("AddPermission")
    statements = {r.json()["StatementId"]: r.json() for r in adds}
    assert all(parse_qs(r.query)["Qualifier"] == ["live"] for r in adds)
    assert statements["pmcp-function-url-public"] == {
        "StatementId": "pmcp-function-url-public",
        "Action": "lambda:InvokeFunctionUrl",
        "Principal": "*",
        "FunctionUrlAuthType": "NONE",
    }
    assert statements["pmcp-function-url-invoke"] == {
        "StatementId": "pmcp-function-url-invoke",
        "Action": "lambda:InvokeFunction",
        "Principal": "*",
        "InvokedViaFunctionUrl": True,
    }
    policy = json.loads(aws("lambda").get_policy(FunctionName="demo", Qualifier="live")["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} == set(statements)


def test_aws_iam_url_has_no_public_permissions_and_switching_removes_them(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.proxy.reset()

    result = harness.target(function_url_auth_type="AWS_IAM").deploy()

    url = aws("lambda").get_function_url_config(FunctionName="demo", Qualifier="live")
    assert url["AuthType"] == "AWS_IAM"
    removed = [r.path.rsplit("/", 1)[-1] for r in harness.proxy.requests_for("RemovePermission")]
    assert sorted(removed) == ["pmcp-function-url-invoke", "pmcp-function-url-public"]
    assert "AddPermission" not in harness.proxy.operations()
    assert result.unchanged is False  # the URL changed although no new version was needed
    assert result.version == "1"
    assert any("SigV4" in note for note in result.notes)
