"""Discovery: the document, its overrides, its refusals, and the Cognito domain rules."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pmcp_action.errors import (
    ConfigError,
    RemoteApiError,
)
from pmcp_action.targets.pmcp_run.discovery import normalize_cognito_domain
from tests.fakes.pmcp_run import FakePmcpRun

from .helpers import make_harness


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("auth.pmcp.run", "https://auth.pmcp.run"),
        ("auth.pmcp.run/", "https://auth.pmcp.run"),
        ("https://auth.pmcp.run", "https://auth.pmcp.run"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://localhost:9000", "http://localhost:9000"),
    ],
)
def test_cognito_domain_may_be_a_bare_host_or_an_origin(value: str, expected: str) -> None:
    assert normalize_cognito_domain(value, "cognito_domain") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://auth.pmcp.run", "plain http:// to a non-loopback host"),
        ("https://auth.pmcp.run/oauth2", "bare host or an origin"),
        ("   ", "is empty"),
        ("ftp://auth.pmcp.run", "not an http(s) URL"),
    ],
)
def test_bad_cognito_domains_are_refused(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        normalize_cognito_domain(value, "cognito_domain")


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
