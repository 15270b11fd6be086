"""Every result of pmcp-run says it cannot be rolled back; the health URL is the MCP URL's."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.targets.pmcp_run.results import health_url

from .helpers import make_harness


def test_no_result_can_be_rolled_back(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    results = [h.target.plan(), h.target.deploy(), h.target.outputs(), h.target.destroy()]

    assert [r.can_roll_back for r in results] == [False] * 4
    assert all(r.previous_version == "" for r in results)
    assert all(r.identity == "client pmcp-fake-ci-client" for r in results)
    assert all(r.request_ids for r in results)


@pytest.mark.parametrize(
    ("url", "health"),
    [
        ("https://x/dep_1/mcp", "https://x/dep_1/health"),
        ("https://x/mcp/dep_1", "https://x/health/dep_1"),
    ],
)
def test_the_health_url_replaces_the_mcp_path(url: str, health: str) -> None:
    assert health_url(url) == health


def test_the_platform_url_is_the_endpoint_and_a_mcp_path_is_ignored_with_a_note(
    tmp_path: Path,
) -> None:
    from .helpers import DEPLOY_TOML

    toml = DEPLOY_TOML.replace("[server]\n", '[server]\nmcp_path = "/rpc"\n', 1)
    assert toml != DEPLOY_TOML
    deployed = make_harness(tmp_path, deploy_toml=toml).target.deploy()

    assert deployed.url.endswith("/mcp") and deployed.service_url == deployed.url
    assert any("[server].mcp_path = '/rpc' is ignored here" in n for n in deployed.notes)
