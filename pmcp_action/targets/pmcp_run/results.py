"""The :class:`TargetResult` of each command: URLs, outputs, notes and request ids."""

from __future__ import annotations

from collections.abc import Sequence

from ...artifact.lambda_package import LambdaArtifact
from ...context import Project
from ...result import PlanChange, TargetResult
from .api import DeploymentListItem, OAuthInfo
from .connection import Connection
from .rendering import Rendered, metadata_note
from .service import RUNTIME

__all__ = [
    "deployed_result",
    "destroyed_result",
    "found_result",
    "health_url",
    "planned_result",
]


def planned_result(
    conn: Connection,
    project: Project,
    existing: DeploymentListItem | None,
    artifact: LambdaArtifact,
    rendered: Rendered,
) -> TargetResult:
    """What a deploy would create or update (nothing was changed)."""
    name = project.server_name
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
    return TargetResult(
        url=existing.url if existing else "",
        deployment_id=existing.id if existing else "",
        health_url=health_url(existing.url) if existing and existing.url else "",
        identity=conn.session.identity,
        changes=changes,
        notes=(*settings_notes(project), metadata_note(rendered.metadata)),
        request_ids=_recent(conn.graphql.request_ids),
        can_roll_back=False,
    )


def deployed_result(
    conn: Connection,
    project: Project,
    *,
    deployment_id: str,
    server_id: str,
    mcp_url: str,
    oauth: OAuthInfo | None,
    artifact: LambdaArtifact,
) -> TargetResult:
    """A finished deploy: the live URL, the OAuth outputs and what was deployed."""
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
    return TargetResult(
        url=mcp_url,
        version=project.version,
        deployment_id=deployment_id,
        health_url=health_url(mcp_url),
        identity=conn.session.identity,
        outputs={
            "oauth-enabled": "true" if oauth_on else "false",
            "oauth-discovery-url": discovery_url,
        },
        notes=tuple(notes),
        request_ids=_recent(conn.graphql.request_ids),
        can_roll_back=False,
    )


def found_result(conn: Connection, item: DeploymentListItem, name: str) -> TargetResult:
    """The outputs of an existing deployment."""
    return TargetResult(
        url=item.url,
        deployment_id=item.id,
        health_url=health_url(item.url) if item.url else "",
        identity=conn.session.identity,
        notes=(f"pmcp.run deployment {item.id} of {name}: status {item.status}.",),
        request_ids=_recent(conn.graphql.request_ids),
        can_roll_back=False,
    )


def destroyed_result(conn: Connection, item: DeploymentListItem, name: str) -> TargetResult:
    return TargetResult(
        deployment_id=item.id,
        identity=conn.session.identity,
        notes=(
            f"pmcp.run deployment {item.id} of {name} was destroyed "
            "(stack, OAuth configuration and registry entry).",
        ),
        request_ids=_recent(conn.graphql.request_ids),
        can_roll_back=False,
    )


def settings_notes(project: Project) -> tuple[str, ...]:
    server = project.config.server
    version = project.version or "(unknown)"
    return (
        f"Lambda settings sent to pmcp.run: {server.memory_mb} MB, {server.timeout_seconds} s "
        f"timeout, runtime {RUNTIME}; server version {version}.",
    )


def health_url(mcp_url: str) -> str:
    """``…/mcp`` → ``…/health`` (cargo-pmcp: only the trailing ``/mcp``)."""
    if mcp_url.endswith("/mcp"):
        return mcp_url[: -len("/mcp")] + "/health"
    return mcp_url.replace("/mcp", "/health")


def _recent(request_ids: Sequence[str], keep: int = 10) -> tuple[str, ...]:
    """The last few distinct request ids (the ones a support case needs)."""
    return tuple(dict.fromkeys(request_ids))[-keep:]
