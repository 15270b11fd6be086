"""Where each Google API is: its googleapis.com host, or the PMCP_GOOGLE_API_URL override."""

from __future__ import annotations

import pytest

from pmcp_action.errors import Problem
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints, resolve_endpoints


def test_default_hosts_per_service():
    problems: list[Problem] = []
    endpoints = resolve_endpoints({}, problems)
    assert problems == []
    assert endpoints.url("sts", "/v1/token") == "https://sts.googleapis.com/v1/token"
    assert endpoints.url("run", "v2/projects/p") == "https://run.googleapis.com/v2/projects/p"
    assert endpoints.token_uri("") == "https://oauth2.googleapis.com/token"


def test_override_replaces_every_host_and_keeps_paths():
    problems: list[Problem] = []
    endpoints = resolve_endpoints({"PMCP_GOOGLE_API_URL": "http://127.0.0.1:9/g/"}, problems)
    assert problems == []
    assert endpoints.url("iamcredentials", "/v1/x") == "http://127.0.0.1:9/g/v1/x"
    assert endpoints.url("artifactregistry", "/v1/y") == "http://127.0.0.1:9/g/v1/y"
    assert (
        endpoints.token_uri("https://oauth2.googleapis.com/token") == "http://127.0.0.1:9/g/token"
    )
    with pytest.raises(ValueError):
        endpoints.base("storage")


def test_plain_http_override_off_loopback_is_a_problem():
    problems: list[Problem] = []
    endpoints = resolve_endpoints({"PMCP_GOOGLE_API_URL": "http://example.com"}, problems)
    assert endpoints == GoogleEndpoints()
    assert len(problems) == 1
    assert "PMCP_GOOGLE_API_URL" in problems[0].where
