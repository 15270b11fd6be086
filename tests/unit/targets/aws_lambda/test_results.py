"""The result: the MCP URL under the function URL, and the health URL."""

from __future__ import annotations

from dataclasses import replace

from .helpers import Harness


def test_mcp_path_is_appended_to_the_function_url(harness: Harness) -> None:
    from types import MappingProxyType

    harness.config = replace(
        harness.config, tables=MappingProxyType({"server": MappingProxyType({"mcp_path": "/mcp"})})
    )
    result = harness.target().deploy()
    assert result.url.endswith(".on.aws/mcp")
    assert result.health_url.endswith(".on.aws/")
