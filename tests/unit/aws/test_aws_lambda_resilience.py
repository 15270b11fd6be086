"""aws-lambda under adverse conditions: throttling, 5xx, conflicts, IAM propagation, deadlines.

Faults are injected by the proxy in front of moto; botocore's own retries
(standard mode) really sleep, so each test injects only one or two.
"""

from __future__ import annotations

import pytest

from pmcp_action.errors import DeployError, RemoteApiError, TimeoutExceededError
from tests.fakes.moto_server import lambda_error, sts_error

from .conftest import AwsFactory, Harness

IN_PROGRESS = (
    "The operation cannot be performed at this time. An update is in progress for resource: "
    "arn:aws:lambda:us-east-1:123456789012:function:demo"
)


def test_throttling_and_server_errors_are_retried(harness: Harness, aws: AwsFactory) -> None:
    harness.proxy.inject(
        "CreateFunction", lambda: lambda_error(429, "TooManyRequestsException", "Rate exceeded")
    )
    harness.proxy.inject("GetCallerIdentity", lambda: sts_error(400, "Throttling", "Rate exceeded"))
    harness.proxy.inject(
        "PublishVersion", lambda: lambda_error(500, "ServiceException", "internal error")
    )
    # A plain 503 from an overloaded front end (path-based fault of the fake server).
    harness.proxy.faults.status(503, method="POST", path="/2021-10-31/functions/demo/url")

    result = harness.target().deploy()

    assert result.version == "1"
    operations = harness.proxy.operations()
    assert operations.count("CreateFunction") == 2
    assert operations.count("GetCallerIdentity") == 2
    assert operations.count("PublishVersion") == 2
    assert operations.count("CreateFunctionUrlConfig") == 2
    assert harness.proxy.pending_injections == 0 and harness.proxy.faults.pending == 0
    assert [
        v["Version"]
        for v in aws("lambda").list_versions_by_function(FunctionName="demo")["Versions"]
    ] == ["$LATEST", "1"]


def test_update_in_progress_is_waited_out(harness: Harness) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.proxy.reset()
    harness.proxy.inject(
        "UpdateFunctionCode", lambda: lambda_error(409, "ResourceConflictException", IN_PROGRESS)
    )
    harness.proxy.inject(
        "UpdateAlias", lambda: lambda_error(409, "ResourceConflictException", IN_PROGRESS)
    )

    result = harness.target().deploy()

    assert (result.version, result.previous_version) == ("2", "1")
    operations = harness.proxy.operations()
    assert operations.count("UpdateFunctionCode") == 2
    assert operations.count("UpdateAlias") == 2
    # It looked at the function's state before trying again.
    first_retry = operations.index("UpdateFunctionCode")
    assert operations[first_retry + 1] == "GetFunctionConfiguration"
    assert "still applying an earlier change" in harness.last_output


def test_a_conflict_that_never_clears_ends_at_the_deadline(harness: Harness) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    now = [0.0]
    harness.clock = lambda: now[0]
    harness.sleep = lambda seconds: now.__setitem__(0, now[0] + seconds)
    harness.deadline_seconds = 20.0
    harness.proxy.inject(
        "UpdateFunctionCode",
        lambda: lambda_error(409, "ResourceConflictException", IN_PROGRESS),
        times=100,
    )

    with pytest.raises(TimeoutExceededError):
        harness.target().deploy()

    assert 2 <= harness.proxy.operations().count("UpdateFunctionCode") < 12
    assert now[0] <= 20.0 + 1e-6  # never slept past the deadline


def test_other_conflicts_are_not_retried(harness: Harness) -> None:
    harness.proxy.inject(
        "CreateFunction",
        lambda: lambda_error(409, "ResourceConflictException", "Function already exist: demo"),
    )

    with pytest.raises(RemoteApiError, match="Function already exist"):
        harness.target().deploy()

    assert harness.proxy.operations().count("CreateFunction") == 1


def test_a_new_role_is_given_time_to_propagate(harness: Harness) -> None:
    not_yet = "The role defined for the function cannot be assumed by Lambda."
    harness.proxy.inject(
        "CreateFunction",
        lambda: lambda_error(400, "InvalidParameterValueException", not_yet),
        times=2,
    )

    result = harness.target().deploy()

    assert result.version == "1"
    assert harness.proxy.operations().count("CreateFunction") == 3
    assert "Waiting for IAM to propagate" in harness.last_output


def test_a_users_role_that_lambda_cannot_assume_fails_at_once(
    harness: Harness, aws: AwsFactory
) -> None:
    role = aws("iam").create_role(RoleName="not-for-lambda", AssumeRolePolicyDocument="{}")
    harness.proxy.inject(
        "CreateFunction",
        lambda: lambda_error(
            400,
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda.",
        ),
    )

    with pytest.raises(RemoteApiError, match="cannot be assumed"):
        harness.target(lambda_role_arn=role["Role"]["Arn"]).deploy()

    assert harness.proxy.operations().count("CreateFunction") == 1
    assert "does not name lambda.amazonaws.com" in harness.output


def test_access_denied_on_a_lambda_call_names_the_permission_problem(harness: Harness) -> None:
    harness.proxy.inject(
        "CreateFunction",
        lambda: lambda_error(
            403,
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/gh-deployer/x is not authorized to "
            "perform: lambda:CreateFunction",
        ),
    )

    with pytest.raises(RemoteApiError) as caught:
        harness.target().deploy()

    assert "lambda:CreateFunction" in caught.value.message
    assert "lacks the permission" in caught.value.remediation
    assert "AWS request id: 7d6e5f4a" in caught.value.details


def test_which_failed_reads_a_wait_tries_again() -> None:
    from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

    from pmcp_action.targets.aws_lambda.failures import transient_reason, translate

    def client_error(status: int, code: str) -> ClientError:
        body = {
            "Error": {"Code": code, "Message": "m"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return ClientError(body, "GetFunctionConfiguration")

    def translated(exc: Exception) -> Exception:
        error = translate(exc, "read the state")
        error.__cause__ = exc
        return error

    timeout = ReadTimeoutError(endpoint_url="https://lambda.us-east-1.amazonaws.com")
    assert transient_reason(translated(timeout)) == "ReadTimeoutError (AWS did not answer)"
    down = EndpointConnectionError(endpoint_url="https://lambda.us-east-1.amazonaws.com")
    assert transient_reason(translated(down)) == "EndpointConnectionError (AWS did not answer)"
    assert transient_reason(translated(client_error(503, "ServiceException"))) == (
        "ServiceException 503"
    )
    assert transient_reason(translated(client_error(400, "ThrottlingException"))) == (
        "ThrottlingException 400"
    )
    assert transient_reason(translated(client_error(404, "ResourceNotFoundException"))) is None
    assert transient_reason(translated(client_error(403, "AccessDeniedException"))) is None


PRECONDITION = "The Revision Id provided does not match the latest Revision Id."


def _another_deploy_moves_live(aws: AwsFactory, *, to_new_version: bool):
    """What a concurrent run does between our read of ``live`` and our UpdateAlias."""

    def move() -> object:
        lam = aws("lambda")
        if to_new_version:
            lam.update_function_configuration(FunctionName="demo", Description="other run")
            waiter = lam.get_waiter("function_updated_v2")
            waiter.wait(FunctionName="demo")
            other = lam.publish_version(FunctionName="demo")["Version"]
        else:
            other = "1"
        lam.update_alias(FunctionName="demo", Name="live", FunctionVersion=other)
        return lambda_error(412, "PreconditionFailedException", PRECONDITION)

    return move


def test_a_newer_deploy_that_moved_live_meanwhile_keeps_serving_and_we_say_so(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()  # version 1 serves
    harness.write_bootstrap(b"v2")
    harness.proxy.reset()
    harness.proxy.inject("UpdateAlias", _another_deploy_moves_live(aws, to_new_version=True))

    result = harness.target().deploy()  # publishes 2; the other run published 3 and moved live

    live = aws("lambda").get_alias(FunctionName="demo", Name="live")
    assert live["FunctionVersion"] == "3"
    assert result.version == "3" and result.outputs["arn"] == live["AliasArn"]
    assert result.can_roll_back is False  # never roll back what another deploy put live
    assert "warning: Concurrent deploy: Another deploy moved alias live to version 3" in (
        harness.last_output
    )
    assert any("version 2 was published but does not serve" in n for n in result.notes)
    assert harness.proxy.operations().count("UpdateAlias") == 1


def test_an_older_run_that_moved_live_meanwhile_is_replaced_once(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target().deploy()  # live: 2
    harness.write_bootstrap(b"v3")
    harness.proxy.reset()
    harness.proxy.inject("UpdateAlias", _another_deploy_moves_live(aws, to_new_version=False))

    result = harness.target().deploy()  # publishes 3; meanwhile an older run moved live to 1

    live = aws("lambda").get_alias(FunctionName="demo", Name="live")
    assert live["FunctionVersion"] == "3" and result.version == "3"
    assert result.previous_version == "1"
    assert "previous-version=1" in live["Description"]
    assert harness.proxy.operations().count("UpdateAlias") == 2


def test_a_rollback_that_meets_a_concurrent_move_changes_nothing(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target().deploy()
    harness.proxy.reset()
    harness.proxy.inject("UpdateAlias", _another_deploy_moves_live(aws, to_new_version=True))

    with pytest.raises(DeployError) as caught:
        harness.target().rollback("1")

    assert caught.value.message == (
        "Another run moved alias live of demo (to version 3) while this one moved it to 1; "
        "nothing was changed by this run."
    )
    assert aws("lambda").get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == "3"
