"""botocore failures turned into the program's errors, each with a way out; which failed
reads a wait tries again."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from pmcp_action.errors import (
    CredentialExchangeError,
    DeployError,
    RemoteApiError,
)
from pmcp_action.rest import TransportFailure
from pmcp_action.targets.aws_lambda.clients import OPERATION
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


def _without_answer(exc: Exception, operation: str) -> Exception:
    setattr(exc, OPERATION, operation)
    return exc


@pytest.mark.parametrize(
    ("exc", "operation", "said", "may_have_happened"),
    [
        (
            EndpointConnectionError(
                endpoint_url="https://lambda.x.test/f",
                error="Failed to resolve 'lambda.x.test' ([Errno -2] Name or service not known)",
            ),
            "CreateFunction",
            "the host name lambda.x.test does not resolve",
            False,
        ),
        (
            ConnectTimeoutError(endpoint_url="https://lambda.x.test/f", error="timed out"),
            "CreateFunction",
            "lambda.x.test did not accept the connection in time",
            False,
        ),
        (
            ConnectionClosedError(endpoint_url="https://lambda.x.test/f", error="reset"),
            "PublishVersion",
            "the connection to lambda.x.test broke before the answer was complete",
            True,
        ),
        (
            ConnectionClosedError(endpoint_url="https://lambda.x.test/f", error="reset"),
            "GetFunction",
            "the connection to lambda.x.test broke before the answer was complete",
            False,
        ),
        (
            ReadTimeoutError(endpoint_url="https://lambda.x.test/f", error="read timed out"),
            "UpdateAlias",
            "lambda.x.test did not answer in time",
            True,
        ),
    ],
    ids=["dns", "connect-timeout", "reset-mutation", "reset-read", "read-timeout"],
)
def test_no_answer_is_a_network_failure_that_says_whether_it_may_have_happened(
    exc: Exception, operation: str, said: str, may_have_happened: bool
) -> None:
    failure = translate(_without_answer(exc, operation), "publish a version of demo")

    assert isinstance(failure, TransportFailure)
    assert failure.title == "Network error"
    assert failure.host == "lambda.x.test" and failure.doing == "publish a version of demo"
    assert failure.message.startswith(f"Could not publish a version of demo: {said} (")
    assert failure.may_have_happened is may_have_happened
    assert ("may have been carried out" in failure.message) is may_have_happened
    assert "lambda.x.test" in failure.remediation


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
