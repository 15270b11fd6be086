"""The step outputs every run writes, whatever the target.

Targets declare their own outputs next to their inputs; the catalogue appends
them after these. Every declared output is always written (empty where it does
not apply), so a later step can read it without checking the target first.
"""

from __future__ import annotations

import re

from .declaration import OutputKind, OutputSpec

_BOOL = OutputKind.BOOL

__all__ = ["COMMON_OUTPUTS", "OUTPUT_VARIABLE_PREFIX", "output_variable"]

#: How the outputs are named as variables (GitLab's dotenv report). No input is read from a
#: variable that begins so (the catalogue refuses one), so a later job that receives the
#: outputs of a deploy job never receives one of its inputs with them.
OUTPUT_VARIABLE_PREFIX = "PMCP_OUT_"


def output_variable(name: str) -> str:
    """The variable an output is published as: ``url`` -> ``PMCP_OUT_URL``."""
    return OUTPUT_VARIABLE_PREFIX + re.sub(r"[^A-Z0-9_]", "_", name.upper())


COMMON_OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec(
        "url",
        "The MCP endpoint of the deployed server: the service URL with the target's MCP path "
        "([server].mcp_path) (never masked).",
        "URL",
    ),
    OutputSpec(
        "service-url",
        "The bare service URL the platform reports, without the MCP path.",
        "Service URL",
    ),
    OutputSpec("target", "The target deployed to.", "Target"),
    OutputSpec("server-name", "The deployment identity ([server].name).", "Server"),
    OutputSpec(
        "version",
        "The version now serving (the target's version, revision or deployment version).",
        "Version",
    ),
    OutputSpec(
        "previous-version",
        "The version that served before this deploy (what rollback returns to).",
        "Previous version",
    ),
    OutputSpec(
        "deployment-id",
        "The target's id of this deployment (a deployment, revision or version id).",
        "Deployment id",
    ),
    OutputSpec("region", "The region deployed to.", "Region"),
    OutputSpec("health-url", "A health endpoint, when the target has one.", "Health"),
    OutputSpec("unchanged", "true when nothing changed and no new version was made.", kind=_BOOL),
    OutputSpec("verified", "MCP verification result: true, false or skipped."),
    OutputSpec("mcp-server-name", "serverInfo.name reported by the deployed server."),
    OutputSpec("mcp-server-version", "serverInfo.version reported by the deployed server."),
    OutputSpec("mcp-protocol-version", "The MCP protocol version negotiated."),
    OutputSpec(
        "tool-count",
        "How many tools tools/list returned to a client declaring no capabilities.",
        kind=OutputKind.INT,
    ),
    OutputSpec(
        "scenarios-passed",
        "How many verify-scenarios passed (empty when none were given).",
    ),
    OutputSpec(
        "scenarios-failed",
        "How many verify-scenarios failed (empty when none were given).",
    ),
    OutputSpec(
        "rolled-back",
        "true when a failed verification left the previous version serving: put back, or "
        "never moved off when the new version was verified before it took traffic.",
        kind=_BOOL,
    ),
    OutputSpec(
        "secrets",
        "The server's secrets and what the run did with each, as a JSON object of name to "
        "set, unchanged, kept or removed (never a value).",
        kind=OutputKind.JSON,
    ),
    OutputSpec(
        "matrix",
        'command: servers: the servers as JSON for strategy.matrix ({"include": [{"server", '
        '"target", "working_directory"}, ...]}); the include list suits GitLab\'s '
        "parallel:matrix.",
    ),
    OutputSpec(
        "registry-name",
        "The server's name in the MCP Registry, when publish-registry published it (or found "
        "it published).",
        "MCP Registry",
    ),
    OutputSpec("registry-version", "The version published to the MCP Registry."),
    OutputSpec(
        "preview-id",
        "command: preview or destroy-preview: the preview's name (pr-<number>, mr-<iid> or "
        "preview-id).",
        "Preview",
    ),
    OutputSpec(
        "preview-url",
        "command: preview: the preview's MCP endpoint, the same on every push to the pull "
        "request (also given as url).",
        "Preview URL",
    ),
    OutputSpec("report-path", "Path of the JSON deploy report."),
    OutputSpec("command", "The command that ran.", "Command"),
    OutputSpec("status", "success, unchanged or failure."),
)
