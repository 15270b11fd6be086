"""pmcp-run under failure: retries, failed and stuck deployments, stale endpoints."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from pmcp_action.errors import (
    ConfigError,
    DeployError,
    RemoteApiError,
    TimeoutExceededError,
)
from tests.fakes.pmcp_run import FakePmcpRun
from tests.unit.pmcp_run_helpers import make_harness

S3_SLOW_DOWN = "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"


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
    assert "getUploadUrls answered HTTP 500" in caught.value.message
    assert len(h.fake.requests_to("/graphql")) == 5  # the shared retry policy's attempts
    assert h.fake.deployments == {}


def test_graphql_errors_are_reported_with_their_messages(tmp_path: Path) -> None:
    h = make_harness(tmp_path, deploy_toml=_toml(memory_mb=64))

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert caught.value.message == (
        "GraphQL errors in createDeploymentFromS3: "
        "BadRequestException: memorySize must be 128-10240, got 64"
    )
    assert "Request ids:" in caught.value.details
    assert h.target.validate()[0].what == "64 MB is outside Lambda's range"


def test_upload_503_and_dropped_connection_are_retried(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(503, path="/uploads/", body=S3_SLOW_DOWN, content_type="application/xml")
    h.fake.faults.drop(path="/uploads/")
    h.fake.faults.drop(path="/uploads/", reset=True)

    h.target.deploy()

    uploads = h.fake.requests_to("/uploads/")
    # Both files upload concurrently, so which one met which fault may vary.
    assert sorted(r.fault for r in uploads if r.fault) == ["drop", "drop (reset)", "status 503"]
    assert len(uploads) == 5
    (bootstrap,) = [u for u in h.fake.uploads.values() if u.kind == "bootstrap"]
    assert bootstrap.sha256 == hashlib.sha256(h.artifact.read_bytes()).hexdigest()
    assert "Retry 1/4" in h.output
    assert 2.0 in h.clock.sleeps  # cargo-pmcp's 2^n backoff
    assert "X-Amz-Signature" not in h.output


def test_upload_that_keeps_failing_names_the_s3_code_but_not_the_url(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(
        503, times=50, path="/uploads/", body=S3_SLOW_DOWN, content_type="application/xml"
    )

    with pytest.raises(DeployError) as caught:
        h.target.deploy()

    assert "upload failed after 5 attempts: HTTP 503 — SlowDown" in caught.value.message
    assert "/uploads/" not in caught.value.diagnostics()
    assert "X-Amz" not in caught.value.diagnostics() + h.output
    assert h.fake.deployments == {}
    assert sorted(h.clock.sleeps)[-1] == 16.0


def test_upload_refused_for_good_is_not_retried(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(
        403,
        times=2,
        path="/uploads/",
        body="<Error><Code>AccessDenied</Code></Error>",
        content_type="application/xml",
    )

    with pytest.raises(DeployError, match="upload to S3 failed: HTTP 403 — AccessDenied"):
        h.target.deploy()

    assert len(h.fake.requests_to("/uploads/")) == 2  # one per file, no retries


def test_failed_deployment_shows_the_error_message(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.deployment_outcomes.append("failed")

    with pytest.raises(DeployError) as caught:
        h.target.deploy()

    assert caught.value.message == f"Deployment failed: {h.fake.failure_message}"
    assert "dep_" in caught.value.details
    assert not (tmp_path / ".pmcp" / "deployment.toml").exists()


def test_template_the_platform_rejects_fails_during_validation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmcp_action.targets.pmcp_run import rendering

    monkeypatch.setattr(rendering, "template_bytes", lambda template: b"not json at all")
    h = make_harness(tmp_path)

    with pytest.raises(DeployError, match="Template format error: not valid JSON"):
        h.target.deploy()


def test_unknown_status_is_an_error_naming_it(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.deployment_outcomes.append("status:paused")

    with pytest.raises(DeployError, match="Unknown deployment status: 'paused'"):
        h.target.deploy()


def test_deployment_that_never_finishes_times_out_within_the_deadline(tmp_path: Path) -> None:
    h = make_harness(tmp_path, deadline_seconds=120)
    h.fake.deployment_outcomes.append("never")
    start = h.clock()

    with pytest.raises(TimeoutExceededError) as caught:
        h.target.deploy()

    assert "did not finish in time (last status: deploying)" in caught.value.message
    assert "pmcp.run dashboard" in caught.value.remediation
    assert h.clock() - start <= 120
    assert max(h.clock.sleeps) <= 10
    assert h.fake.graphql_operations().count("getDeployment") > 10


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


def test_discovery_refusing_a_non_graphql_api(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    fake.api_type = "rest"
    h = make_harness(tmp_path, fake)

    with pytest.raises(RemoteApiError, match='Unsupported API type: "rest"'):
        h.target.deploy()

    assert fake.requests_to("/oauth2/token") == []


def test_discovery_404_names_the_status(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(404, path="/.well-known/")

    with pytest.raises(RemoteApiError, match="Discovery endpoint returned status 404"):
        h.target.deploy()


def test_overrides_skip_discovery(tmp_path: Path) -> None:
    environ = {
        "PMCP_RUN_GRAPHQL_URL": "https://pmcp.test/graphql",
        "PMCP_RUN_COGNITO_DOMAIN": "pmcp.test",
        "PMCP_RUN_COGNITO_CLIENT_ID": "some-public-client",
    }
    h = make_harness(tmp_path, environ=environ)

    h.target.deploy()

    assert h.fake.requests_to("/.well-known/") == []
    assert "overrides: PMCP_RUN_GRAPHQL_URL, PMCP_RUN_COGNITO_DOMAIN" in h.output


def test_plain_http_urls_from_the_api_are_refused(tmp_path: Path) -> None:
    def discovery(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "cognito_domain": "auth.pmcp.test",
                "cognito_client_id": "c",
                "graphql_url": "http://graphql.pmcp.test/graphql",
                "api_type": "graphql",
            },
        )

    h = make_harness(tmp_path, transport=httpx.MockTransport(discovery))

    with pytest.raises(ConfigError, match="plain http:// to a non-loopback host"):
        h.target.deploy()


def _toml(*, memory_mb: int) -> str:
    return (
        '[target]\ntype = "pmcp-run"\n[server]\nname = "weather"\n'
        f"memory_mb = {memory_mb}\n[environment]\n"
    )


def _created(h) -> list[str]:
    return [names for names, _ in h.fake.graphql_calls if "createDeploymentFromS3" in names]


def test_a_create_that_pmcp_run_processed_but_answered_503_is_not_sent_again(
    tmp_path: Path,
) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(
        503, path="/graphql", contains="createDeploymentFromS3", after_handling=True
    )

    result = h.target.deploy()

    assert len(h.fake.deployments) == 1
    assert result.deployment_id == next(iter(h.fake.deployments))
    assert len(_created(h)) == 1
    assert (
        f"warning: pmcp.run answer lost: createDeploymentFromS3 failed (HTTP 503), but "
        f"pmcp.run had created deployment {result.deployment_id} of weather: using it, not "
        "creating another." in h.output
    )


def test_a_create_whose_answer_was_lost_on_the_wire_is_found_not_repeated(
    tmp_path: Path,
) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.drop(path="/graphql", contains="createDeploymentFromS3", after_handling=True)

    result = h.target.deploy()

    assert len(h.fake.deployments) == 1 and len(_created(h)) == 1
    assert "createDeploymentFromS3 failed (RemoteProtocolError talking to pmcp.test)" in h.output
    assert result.deployment_id in h.output


def test_a_create_that_did_nothing_is_sent_again_after_the_check(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(503, path="/graphql", contains="createDeploymentFromS3")

    result = h.target.deploy()

    assert len(h.fake.deployments) == 1 and len(_created(h)) == 1
    creates = [r for r in h.fake.requests_to("/graphql") if b"createDeploymentFromS3" in r.body]
    assert [r.fault for r in creates] == ["status 503", None]
    assert "pmcp.run lists no new deployment of weather, so it is sent again" in h.output
    assert result.deployment_id


def test_a_create_that_keeps_failing_says_what_was_checked(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.status(503, times=3, path="/graphql", contains="createDeploymentFromS3")

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert h.fake.deployments == {}
    assert caught.value.message == (
        "Creating the pmcp.run deployment of weather failed 3 times; it may or may not have "
        "been created — checked: listDeployments shows no new deployment after each failure."
    )
    assert caught.value.details.splitlines() == [
        f"attempt {n}: HTTP 503; no new deployment listed" for n in (1, 2, 3)
    ]


def test_a_status_poll_that_times_out_once_does_not_end_the_deploy(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    # The first getDeployment poll's answer is lost three times: more than the client retries.
    h.fake.faults.drop(times=5, path="/graphql", contains="getDeployment")

    result = h.target.deploy()

    assert result.deployment_id
    assert "pmcp.run deployment" in h.output and "trying again" in h.output


def test_a_lost_mutation_answer_is_described_and_not_resent(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    h.fake.faults.drop(path="/graphql", contains="getUploadUrls", after_handling=True)

    with pytest.raises(RemoteApiError) as caught:
        h.target.deploy()

    assert caught.value.message == (
        "The GraphQL request getUploadUrls got no answer: the connection to pmcp.test closed "
        "before it answered (RemoteProtocolError). The request was sent, so it may have been "
        "carried out."
    )
    calls = [r for r in h.fake.requests_to("/graphql") if b"getUploadUrls" in r.body]
    assert len(calls) == 1
