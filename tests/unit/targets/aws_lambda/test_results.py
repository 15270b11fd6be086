"""The result: the MCP URL under the function URL, the service URL and the health URL."""

from __future__ import annotations

from dataclasses import replace

from .helpers import Harness


def test_mcp_path_is_appended_to_the_function_url(harness: Harness) -> None:
    harness.config = replace(harness.config, server=replace(harness.config.server, mcp_path="/mcp"))
    result = harness.target().deploy()
    assert result.url.endswith(".on.aws/mcp")
    assert result.service_url.endswith(".on.aws/") and result.health_url == result.service_url


def test_without_mcp_path_the_function_url_is_the_endpoint(harness: Harness) -> None:
    result = harness.target().deploy()
    assert result.url.endswith(".on.aws/") and result.url == result.service_url
