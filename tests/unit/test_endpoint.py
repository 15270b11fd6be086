"""endpoint: one rule for every target's MCP endpoint, as cargo-pmcp 0.28 joins it."""

from __future__ import annotations

import pytest

from pmcp_action.endpoint import (
    McpEndpoint,
    endpoint_path,
    endpoint_url,
    ignored_mcp_path_note,
    join_endpoint,
    mcp_path_problem,
)
from pmcp_action.settings.catalogue import catalogue
from pmcp_action.settings.vocabulary import McpPathRule

RUN_APP = "https://calc-abc123-uc.a.run.app"


@pytest.mark.parametrize("path", ["/", "/mcp", "/mcp/", "/api/v1/mcp", "/a-b_c.d~e", "/%2Fx"])
def test_valid_paths_are_accepted(path: str) -> None:
    assert mcp_path_problem(path) == ""


@pytest.mark.parametrize("path", ["", "mcp", "https://x/mcp", " /mcp"])
def test_a_path_without_a_leading_slash_is_refused(path: str) -> None:
    assert "must start with '/'" in mcp_path_problem(path)


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("/mcp?x=1", "?"),
        ("/mcp#top", "#"),
        ("/m cp", " "),
        ("/mcp\t", "\t"),
        ("/mcp\n", "\n"),
        ("/mcp\x00", "\x00"),
        ("/mcp\xa0", "\xa0"),
        ("/mcp\x7f", "\x7f"),
    ],
)
def test_query_fragment_whitespace_and_control_characters_are_refused(
    path: str, found: str
) -> None:
    assert f"contains {found!r}" in mcp_path_problem(path)


def test_each_rule_says_what_is_appended() -> None:
    assert endpoint_path(McpPathRule.DEFAULT_MCP, None) == "/mcp"
    assert endpoint_path(McpPathRule.DEFAULT_MCP, "/") == "/"
    assert endpoint_path(McpPathRule.DEFAULT_MCP, "/api/mcp") == "/api/mcp"
    assert endpoint_path(McpPathRule.NEVER, None) is None
    assert endpoint_path(McpPathRule.NEVER, "/mcp") is None
    assert endpoint_path(McpPathRule.WHEN_SET, None) is None
    assert endpoint_path(McpPathRule.WHEN_SET, "/mcp") == "/mcp"


@pytest.mark.parametrize(
    ("base", "path", "joined"),
    [
        (RUN_APP, "/mcp", f"{RUN_APP}/mcp"),
        (f"{RUN_APP}/", "/mcp", f"{RUN_APP}/mcp"),
        (f"{RUN_APP}//", "/mcp/", f"{RUN_APP}/mcp/"),
        (RUN_APP, "/", RUN_APP),
        ("https://app.io/", "/", "https://app.io/"),
        (f"{RUN_APP}/mcp", "/mcp", f"{RUN_APP}/mcp"),
        (f"{RUN_APP}/xmcp", "/mcp", f"{RUN_APP}/xmcp/mcp"),
    ],
)
def test_joining_puts_one_slash_and_never_appends_twice(base: str, path: str, joined: str) -> None:
    assert join_endpoint(base, path) == joined
    assert join_endpoint(join_endpoint(base, path), path) == joined


def test_the_endpoint_of_each_target() -> None:
    pmcp = "https://api.pmcp.run/dep-1/mcp"
    assert endpoint_url(McpPathRule.NEVER, "/other", pmcp) == pmcp
    assert endpoint_url(McpPathRule.WHEN_SET, None, "https://a.io/") == "https://a.io/"
    assert endpoint_url(McpPathRule.WHEN_SET, "/mcp", "https://a.io") == "https://a.io/mcp"
    assert endpoint_url(McpPathRule.DEFAULT_MCP, None, RUN_APP) == f"{RUN_APP}/mcp"
    assert endpoint_url(McpPathRule.DEFAULT_MCP, None, "") == ""
    assert McpEndpoint(McpPathRule.DEFAULT_MCP, "/rpc").url(RUN_APP) == f"{RUN_APP}/rpc"


def test_a_path_the_target_ignores_gets_a_note() -> None:
    assert "is ignored" in ignored_mcp_path_note(McpPathRule.NEVER, "/other")
    assert ignored_mcp_path_note(McpPathRule.NEVER, "/mcp") == ""
    assert ignored_mcp_path_note(McpPathRule.NEVER, None) == ""
    assert ignored_mcp_path_note(McpPathRule.DEFAULT_MCP, "/other") == ""
    assert McpEndpoint(McpPathRule.NEVER, "/x").note


def test_each_target_declares_cargo_pmcps_rule() -> None:
    rules = {target.id: target.mcp_path for target in catalogue().targets}
    assert rules == {
        "pmcp-run": McpPathRule.NEVER,
        "aws-lambda": McpPathRule.WHEN_SET,
        "google-cloud-run": McpPathRule.DEFAULT_MCP,
        "azure-container-apps": McpPathRule.WHEN_SET,
        "cloudflare-workers": McpPathRule.WHEN_SET,
    }
