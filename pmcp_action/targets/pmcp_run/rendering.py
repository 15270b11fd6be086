"""The CloudFormation template and its ``mcp:*`` metadata, rendered into the work dir."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ...context import RunContext
from .config import PmcpRunSettings
from .metadata import McpMetadata, extract_metadata
from .template import render_inputs_from_config, render_template, template_bytes

__all__ = ["Rendered", "metadata_note", "render"]


@dataclass(frozen=True)
class Rendered:
    """``template.json`` as written, with the metadata it carries."""

    path: Path
    size: int
    sha256: str
    metadata: McpMetadata


def render(context: RunContext, settings: PmcpRunSettings, work: Path) -> Rendered:
    """Write ``<work>/template.json``; warn about [secrets] kept out of it."""
    project = context.project
    console = context.console
    config = project.config
    metadata = extract_metadata(project.root).with_overrides(config.table("metadata"))
    inputs = render_inputs_from_config(
        config,
        server_name=project.server_name,
        region=settings.region,
        environment=project.environment,
        metadata=metadata,
    )
    data = template_bytes(render_template(inputs))
    path = work / "template.json"
    path.write_bytes(data)
    skipped = sorted(k for k in project.environment if k in inputs.secret_keys)
    if skipped:
        console.warning(
            f"Not writing {', '.join(skipped)} into the template: they are declared in "
            "[secrets]; pmcp.run injects secrets server-side (set them with `cargo pmcp "
            "secret set --target pmcp`).",
            title="pmcp.run environment",
        )
    if project.environment:
        console.info(
            f"Applied {len(project.environment) - len(skipped)} environment variable(s) "
            "to McpFunction."
        )
    return Rendered(
        path=path,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        metadata=metadata,
    )


def metadata_note(metadata: McpMetadata) -> str:
    tools = f", {len(metadata.tools)} tool(s)" if metadata.tools else ""
    secrets = f", {len(metadata.secrets)} secret(s)" if metadata.secrets else ""
    return (
        f"Template metadata: mcp:serverId {metadata.server_id}, mcp:serverType "
        f"{metadata.server_type}{tools}{secrets} (from {metadata.source or 'defaults'})."
    )
