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
