"""The MCP endpoint of a deployment: the service URL a target reports, plus ``[server].mcp_path``.

One rule for every target; each declares how it applies it
(:class:`~pmcp_action.settings.vocabulary.McpPathRule`, the declaration's ``mcp_path``):

- ``default-mcp`` (google-cloud-run): ``mcp_path``, else ``/mcp``, appended;
- ``never`` (pmcp-run): the platform's URL already ends in ``/mcp``; a ``mcp_path`` other than
  ``/mcp`` is ignored, with a note;
- ``when-set`` (the others): ``mcp_path`` appended only when it is set.

``mcp_path`` must start with ``/`` and hold no ``?``, ``#``, whitespace or control character;
``/`` names a server mounted at the root (the service URL as it is). Joining puts one ``/`` at
the junction and never appends a path the URL already ends with, so joining twice changes
nothing. The ``url`` output is the endpoint, ``service-url`` the bare service URL.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .settings.vocabulary import McpPathRule

if TYPE_CHECKING:
    from .context import RunContext

__all__ = [
    "DEFAULT_MCP_PATH",
    "McpEndpoint",
    "endpoint_path",
    "endpoint_url",
    "ignored_mcp_path_note",
    "join_endpoint",
    "mcp_endpoint",
    "mcp_path_problem",
]

#: The path ``default-mcp`` targets use when ``[server].mcp_path`` is not set.
DEFAULT_MCP_PATH = "/mcp"


def _forbidden(character: str) -> bool:
    return character in "?#" or character.isspace() or unicodedata.category(character) == "Cc"


def mcp_path_problem(path: str) -> str:
    """Why ``path`` cannot be ``[server].mcp_path`` ("" when it can)."""
    if not path.startswith("/"):
        return (
            f'{path[:80]!r} must start with \'/\' (for example "/mcp", or "/" for a server '
            "mounted at the root)"
        )
    found = next((c for c in path if _forbidden(c)), None)
    if found is not None:
        return (
            f"{path[:80]!r} contains {found!r}: it is a URL path, so it cannot carry a query "
            "(?), a fragment (#), whitespace or control characters"
        )
    return ""


def endpoint_path(rule: McpPathRule, declared: str | None) -> str | None:
    """The path appended to the service URL under ``rule``, or None for the URL as it is."""
    if rule is McpPathRule.DEFAULT_MCP:
        return declared if declared is not None else DEFAULT_MCP_PATH
    if rule is McpPathRule.NEVER:
        return None
    return declared


def ignored_mcp_path_note(rule: McpPathRule, declared: str | None) -> str:
    """A note for a declared path the target ignores ("" when there is none)."""
    if rule is McpPathRule.NEVER and declared is not None and declared != DEFAULT_MCP_PATH:
        return (
            f"[server].mcp_path = {declared!r} is ignored here: the platform serves every server "
            f"at {DEFAULT_MCP_PATH} and reports that URL."
        )
    return ""


def join_endpoint(service_url: str, path: str) -> str:
    """``service_url`` with ``path`` appended: one ``/`` at the junction, nothing appended when
    the URL already ends with it; a path of only slashes gives ``service_url`` unchanged."""
    core = path.rstrip("/")
    if not core:
        return service_url
    trailing = path[len(core) :]
    base = service_url.rstrip("/")
    if base.endswith(core):
        return f"{base}{trailing}"
    return f"{base}{path}"


def endpoint_url(rule: McpPathRule, declared: str | None, service_url: str) -> str:
    """The MCP endpoint under ``rule`` ("" without a service URL)."""
    if not service_url:
        return ""
    path = endpoint_path(rule, declared)
    return service_url if path is None else join_endpoint(service_url, path)


@dataclass(frozen=True)
class McpEndpoint:
    """A target's rule and the project's ``[server].mcp_path``: service URL -> MCP endpoint."""

    rule: McpPathRule = McpPathRule.WHEN_SET
    declared: str | None = None

    @classmethod
    def of(cls, context: RunContext) -> McpEndpoint:
        """The run's: its target's declared rule, the path ``.pmcp/deploy.toml`` sets."""
        return cls(
            context.settings.inputs.declaration.mcp_path, context.project.config.server.mcp_path
        )

    def url(self, service_url: str) -> str:
        """The MCP endpoint of ``service_url`` ("" for none)."""
        return endpoint_url(self.rule, self.declared, service_url)

    @property
    def note(self) -> str:
        """Why a declared path is ignored ("" when it is not)."""
        return ignored_mcp_path_note(self.rule, self.declared)


def mcp_endpoint(context: RunContext, service_url: str) -> str:
    """The MCP endpoint of ``service_url`` for the run's target and ``[server].mcp_path``."""
    return McpEndpoint.of(context).url(service_url)
