"""pmcp.run's envelopes: AppSync's 200 with errors[], OAuth error bodies, S3's XML codes."""

from __future__ import annotations

import httpx
import pytest

from pmcp_action.errors import CredentialExchangeError
from pmcp_action.targets.pmcp_run.failures import (
    AppSyncEnvelope,
    TokenEndpointEnvelope,
    s3_code,
)

REQUEST = httpx.Request("POST", "https://graphql.pmcp.test/graphql")


def _answer(status: int, *, json: object = None, text: str | None = None) -> httpx.Response:
    return httpx.Response(status, request=REQUEST, json=json, text=text)


def test_appsync_fails_on_errors_even_with_200_and_names_the_call() -> None:
    envelope = AppSyncEnvelope(["req-1", "req-2"])
    ok = _answer(200, json={"data": {"listDeployments": {"items": []}}})
    refused = _answer(200, json={"data": None, "errors": [{"errorType": "X", "message": "no"}]})

    error = envelope.error(refused, "listing the deployments")

    assert not envelope.failed(ok) and envelope.failed(refused)
    assert error.message == "Listing the deployments failed with GraphQL errors: X: no"
    assert error.messages == ("X: no",) and error.status == 200
    assert error.details == "Request ids: req-1, req-2"


def test_appsync_401_is_a_credential_error() -> None:
    answer = _answer(401, json={"errors": [{"message": "Token has expired."}]})

    error = AppSyncEnvelope([]).error(answer, "reading deployment d")

    assert isinstance(error, CredentialExchangeError)
    assert error.message == (
        "pmcp.run refused the credentials while reading deployment d (HTTP 401: "
        "Token has expired.)."
    )


def test_an_oauth_refusal_says_error_and_description_only() -> None:
    answer = _answer(400, json={"error": "invalid_grant", "error_description": "revoked"})

    assert TokenEndpointEnvelope().error(answer, "refreshing").error == "invalid_grant: revoked"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("<Error><Code>SlowDown</Code><Message>m</Message></Error>", "SlowDown"),
        ("Service Unavailable", "Service Unavailable"),
        ("<html>gateway</html>", "Bad Gateway"),
    ],
)
def test_s3_names_its_error_code(body: str, code: str) -> None:
    assert s3_code(_answer(502 if "html" in body else 503, text=body)) == code
