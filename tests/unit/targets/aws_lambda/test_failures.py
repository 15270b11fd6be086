"""botocore failures turned into the program's errors, each with a way out; which failed
reads a wait tries again."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    ParamValidationError,
)

from pmcp_action.errors import (
    CredentialExchangeError,
    DeployError,
    RemoteApiError,
)
from pmcp_action.targets.aws_lambda.failures import translate
from tests.fakes.aws_lambda import lambda_error

from .helpers import Harness


def _client_error(code: str, status: int, message: str = "msg") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"RequestId": "rid-1", "HTTPStatusCode": status},
        },
        "CreateFunction",
    )


def test_translate_gives_each_failure_a_way_out() -> None:
    throttled = translate(_client_error("TooManyRequestsException", 429), "create it")
    assert isinstance(throttled, RemoteApiError) and "8 attempts" in throttled.remediation
    assert throttled.details == "AWS request id: rid-1"
    server = translate(_client_error("ServiceException", 500), "create it")
    assert "server error" in server.remediation
    keys = translate(_client_error("InvalidClientTokenId", 403), "create it")
    assert isinstance(keys, CredentialExchangeError)
    expired = translate(_client_error("ExpiredTokenException", 403), "create it")
    assert "role-duration-seconds" in expired.remediation
    offline = translate(EndpointConnectionError(endpoint_url="https://x"), "create it")
    assert isinstance(offline, RemoteApiError) and "network" in offline.remediation
    bad = translate(ParamValidationError(report="Invalid length"), "create it")
    assert isinstance(bad, DeployError)


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
