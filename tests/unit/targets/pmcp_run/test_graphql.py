"""The GraphQL transport: the raw token, AppSync's envelope, retries, re-discovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pmcp_action.errors import (
    RemoteApiError,
)
from tests.fakes.pmcp_run import ApiError, FakePmcpRun

from .helpers import graphql_tokens, make_harness


def test_graphql_gets_the_raw_token_never_bearer(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    h.target.deploy()

    tokens = graphql_tokens(h.fake)
    assert len(tokens) >= 5
    for token in tokens:
        assert not token.lower().startswith("bearer")
        assert token.count(".") == 2  # the JWT itself
    assert len(set(tokens)) == 1  # minted once per run


def test_graphql_429_and_5xx_are_retried(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(429, path="/graphql").status(502, path="/graphql")
    h.fake.faults.status(503, path="/graphql")

    result = h.target.deploy()

    faults = [r.fault for r in h.fake.requests_to("/graphql") if r.fault]
    assert faults == ["status 429", "status 502", "status 503"]
    assert result.deployment_id
    assert h.fake.faults.pending == 0


def test_graphql_that_keeps_failing_is_a_remote_api_error(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(500, times=20, path="/graphql")

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert caught.value.status == 500
    assert caught.value.message == (
        "Listing the pmcp.run deployments (listDeployments) failed: pmcp.run's GraphQL API "
        "answered HTTP 500."
    )
    assert len(h.fake.requests_to("/graphql")) == 5  # the shared retry policy's attempts
    assert h.fake.deployments == {}


def test_graphql_errors_are_reported_with_their_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = make_harness(tmp_path)

    def refuse(base: str, variables: dict[str, Any]) -> dict[str, Any]:
        raise ApiError("memorySize must be 128-10240, got 64")

    monkeypatch.setattr(h.fake, "create_deployment", refuse)

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert caught.value.status == 200  # AppSync answers 200 with errors[]
    assert caught.value.message == (
        "Creating the pmcp.run deployment of weather (createDeploymentFromS3) failed with "
        "GraphQL errors: BadRequestException: memorySize must be 128-10240, got 64"
    )
    assert "Request ids:" in caught.value.details
    assert len([n for n, _ in h.fake.graphql_calls if "createDeploymentFromS3" in n]) == 1


def test_schema_validation_error_triggers_one_rediscovery(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    fake.graphql_paths = ["/stale/graphql", "/graphql"]
    h = make_harness(tmp_path, fake)

    h.target.deploy()

    assert len(fake.requests_to("/stale/graphql")) == 1
    assert len(fake.requests_to("/.well-known/pmcp-config")) == 2
    assert "discovery now advertises https://pmcp.test/graphql" in h.output
    assert fake.live_deployment("weather") is not None


def test_schema_validation_error_with_an_unchanged_endpoint_fails_once(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    h = make_harness(
        tmp_path, fake, environ={"PMCP_RUN_GRAPHQL_URL": "https://pmcp.test/stale/graphql"}
    )

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert "Validation error of type FieldUndefined" in caught.value.message
    assert "does not know this operation" in caught.value.remediation
    assert len(fake.requests_to("/stale/graphql")) == 1


def test_a_lost_mutation_answer_is_described_and_not_resent(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.drop(path="/graphql", contains="getUploadUrls", after_handling=True)

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert caught.value.message == (
        "Asking pmcp.run for upload URLs for weather (getUploadUrls) got no answer: the "
        "connection to pmcp.test closed before it answered (RemoteProtocolError). The request "
        "was sent, so it may have been carried out."
    )
    calls = [r for r in h.fake.requests_to("/graphql") if b"getUploadUrls" in r.body]
    assert len(calls) == 1
