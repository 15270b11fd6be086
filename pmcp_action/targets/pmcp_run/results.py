"""Every :class:`~pmcp_action.result.TargetResult` of pmcp-run: URLs, outputs, notes and
request ids; none can be rolled back (pmcp.run keeps no earlier version)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from ...context import Project
from ...endpoint import McpEndpoint
from ...result import PlanChange, TargetResult
from ...settings.vocabulary import McpPathRule
from .api import DeploymentListItem, OAuthInfo
from .connection import Connection
from .deployment import RUNTIME
from .files import DeploymentFiles
from .rendering import metadata_note

__all__ = [
    "deployed_result",
    "destroyed_result",
    "found_result",
    "health_url",
    "planned_result",
    "result",
]


def result(
    conn: Connection,
    *,
    url: str = "",
    version: str = "",
    deployment_id: str = "",
    outputs: Mapping[str, str] | None = None,
    changes: tuple[PlanChange, ...] = (),
    notes: tuple[str, ...] = (),
) -> TargetResult:
    """The one builder: identity, request ids, the health URL and ``can_roll_back=False``."""
    return TargetResult(
        url=url,
        service_url=url,
        version=version,
        deployment_id=deployment_id,
        health_url=health_url(url) if url else "",
        identity=conn.session.identity,
        outputs=MappingProxyType(dict(outputs or {})),
        changes=changes,
        notes=notes,
        request_ids=_recent(conn.graphql.request_ids),
        can_roll_back=False,
    )


def planned_result(
    conn: Connection,
    project: Project,
    existing: DeploymentListItem | None,
    files: DeploymentFiles,
) -> TargetResult:
    """What a deploy would create or update (nothing was changed)."""
    name = project.server_name
    artifact, rendered = files.artifact, files.rendered
    verb = "update" if existing else "create"
    changes: tuple[PlanChange, ...] = (
        PlanChange(
            verb,
            f"pmcp.run deployment {name}",
            f"existing deployment {existing.id}" if existing else "no deployment yet",
        ),
        PlanChange(
            "create",
            "CloudFormation template upload",
            f"{rendered.size} bytes, sha256 {rendered.sha256[:12]}",
        ),
        PlanChange(
            "create",
            f"{'deployment package' if artifact.kind == 'zip' else 'bootstrap'} upload",
            f"{artifact.size} bytes, sha256 {artifact.sha256[:12]} ({artifact.source})",
        ),
    )
    if project.config.auth.enabled:
        changes += (PlanChange("update", "OAuth (configureServerOAuth)", "[auth].enabled"),)
    return result(
        conn,
        url=existing.url if existing else "",
        deployment_id=existing.id if existing else "",
        changes=changes,
        notes=(*settings_notes(project), metadata_note(rendered.metadata)),
    )


def deployed_result(
    conn: Connection,
    project: Project,
    *,
    deployment_id: str,
    server_id: str,
    mcp_url: str,
    oauth: OAuthInfo | None,
    files: DeploymentFiles,
) -> TargetResult:
    """A finished deploy: the live URL, the OAuth outputs and what was deployed."""
    artifact = files.artifact
    oauth_on = oauth is not None and oauth.oauth_enabled
    discovery_url = oauth.discovery_url if oauth is not None and oauth_on else ""
    notes = [
        f"pmcp.run deployment {deployment_id} of {server_id} is live.",
        f"LambdaArtifact: {artifact.kind} {artifact.size} bytes, sha256 {artifact.sha256[:12]} "
        f"({artifact.source}).",
        *settings_notes(project),
        "pmcp.run has no rollback: to go back, deploy an earlier commit again.",
    ]
    if oauth_on:
        notes.append(
            "The server is protected by OAuth; clients discover it at "
            f"{discovery_url or '(no discovery URL reported)'}."
        )
    return result(
        conn,
        url=mcp_url,
        version=project.version,
        deployment_id=deployment_id,
        outputs={
            "oauth-enabled": "true" if oauth_on else "false",
            "oauth-discovery-url": discovery_url,
        },
        notes=tuple(notes),
    )


def found_result(conn: Connection, item: DeploymentListItem, name: str) -> TargetResult:
    """The outputs of an existing deployment."""
    return result(
        conn,
        url=item.url,
        deployment_id=item.id,
        notes=(f"pmcp.run deployment {item.id} of {name}: status {item.status}.",),
    )


def destroyed_result(conn: Connection, item: DeploymentListItem, name: str) -> TargetResult:
    return result(
        conn,
        deployment_id=item.id,
        changes=(
            PlanChange(
                "delete",
                f"pmcp.run deployment {item.id}",
                "stack, OAuth configuration and registry entry",
            ),
        ),
        notes=(
            f"pmcp.run deployment {item.id} of {name} was destroyed "
            "(stack, OAuth configuration and registry entry).",
        ),
    )


def settings_notes(project: Project) -> tuple[str, ...]:
    server = project.config.server
    version = project.version or "(unknown)"
    storage = (
        f", {server.ephemeral_storage_mb} MB of /tmp"
        if server.ephemeral_storage_mb is not None
        else ""
    )
    ignored = McpEndpoint(McpPathRule.NEVER, server.mcp_path).note
    return (
        f"Lambda settings sent to pmcp.run: {server.memory_mb} MB, {server.timeout_seconds} s "
        f"timeout{storage}, runtime {RUNTIME}; server version {version}.",
        *((ignored,) if ignored else ()),
    )


def health_url(mcp_url: str) -> str:
    """``…/mcp`` → ``…/health`` (cargo-pmcp: only the trailing ``/mcp``)."""
    if mcp_url.endswith("/mcp"):
        return mcp_url[: -len("/mcp")] + "/health"
    return mcp_url.replace("/mcp", "/health")


def _recent(request_ids: Sequence[str], keep: int = 10) -> tuple[str, ...]:
    """The last few distinct request ids (the ones a support case needs)."""
    return tuple(dict.fromkeys(request_ids))[-keep:]
