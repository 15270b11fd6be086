"""Every :class:`~pmcp_action.result.TargetResult` of pmcp-run: URLs, outputs, notes,
request ids and what became of each secret (names only); none can be rolled back (pmcp.run
keeps no earlier version)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from ...context import Project
from ...endpoint import McpEndpoint
from ...result import PlanChange, TargetResult
from ...secrets import SecretOutcome, SecretStatus
from ...settings.vocabulary import McpPathRule
from .api import DeploymentListItem, OAuthInfo
from .connection import Connection
from .deployment import RUNTIME
from .files import DeploymentFiles
from .rendering import metadata_note
from .secrets import RECORD, StoredSecrets

__all__ = [
    "deployed_result",
    "destroyed_result",
    "found_result",
    "health_url",
    "planned_result",
    "preview_result",
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
    secrets: tuple[SecretOutcome, ...] = (),
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
        secrets=secrets,
    )


def planned_result(
    conn: Connection,
    project: Project,
    existing: DeploymentListItem | None,
    files: DeploymentFiles,
    secrets: tuple[SecretOutcome, ...] = (),
    stored: StoredSecrets | None = None,
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
    if stored is not None:
        changes += secret_changes(secrets, stored)
    if project.config.auth.enabled:
        changes += (PlanChange("update", "OAuth (configureServerOAuth)", "[auth].enabled"),)
    return result(
        conn,
        url=existing.url if existing else "",
        deployment_id=existing.id if existing else "",
        changes=changes,
        notes=(*settings_notes(project), metadata_note(rendered.metadata)),
        secrets=secrets,
    )


def secret_changes(
    outcomes: tuple[SecretOutcome, ...], stored: StoredSecrets
) -> tuple[PlanChange, ...]:
    """Each secret a deploy would write, keep or delete, and the record when it changes."""
    changes = []
    for outcome in outcomes:
        name, status = outcome.name, outcome.status
        if status is SecretStatus.SET and name not in stored.present:
            action, detail = "create", "new secret"
        elif status is SecretStatus.SET:
            action = "update"
            detail = (
                "its value changed"
                if name in stored.ours
                else "stored earlier, not by pmcp-deploy-action: written over"
            )
        elif status is SecretStatus.REMOVED:
            action, detail = "delete", "no longer given (prune-secrets)"
        elif status is SecretStatus.UNCHANGED:
            action, detail = "keep", "unchanged"
        else:
            action, detail = "keep", "not given this run: kept"
        changes.append(PlanChange(action, f"pmcp.run secret {name}", detail))
    if any(o.status in (SecretStatus.SET, SecretStatus.REMOVED) for o in outcomes):
        changes.append(
            PlanChange(
                "update" if stored.recorded else "create",
                f"pmcp.run secret {RECORD}",
                "the names and fingerprints of the secrets pmcp-deploy-action set",
            )
        )
    return tuple(changes)


def deployed_result(
    conn: Connection,
    project: Project,
    *,
    deployment_id: str,
    server_id: str,
    mcp_url: str,
    oauth: OAuthInfo | None,
    files: DeploymentFiles,
    secrets: tuple[SecretOutcome, ...] = (),
) -> TargetResult:
    """A finished deploy: the live URL, the OAuth outputs, what was deployed and what
    became of each secret."""
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
        secrets=secrets,
    )


def preview_result(
    conn: Connection,
    project: Project,
    *,
    preview: str,
    project_name: str,
    deployment_id: str,
    mcp_url: str,
    oauth: OAuthInfo | None,
    secrets: tuple[SecretOutcome, ...] = (),
) -> TargetResult:
    """A preview deployed: its project's URL (the same on every push), the crate's version."""
    oauth_on = oauth is not None and oauth.oauth_enabled
    discovery_url = oauth.discovery_url if oauth is not None and oauth_on else ""
    done = result(
        conn,
        url=mcp_url,
        version=project.version,
        deployment_id=deployment_id,
        outputs={
            "oauth-enabled": "true" if oauth_on else "false",
            "oauth-discovery-url": discovery_url,
        },
        notes=(
            f"The preview {preview} of {project.server_name} is pmcp.run deployment "
            f"{deployment_id} of project {project_name}, marked as its preview; "
            f"{project.server_name}'s own deployment was not touched.",
            *settings_notes(project),
        ),
        secrets=secrets,
    )
    return replace(done, preview_id=preview, preview_url=mcp_url)


def found_result(conn: Connection, item: DeploymentListItem, name: str) -> TargetResult:
    """The outputs of an existing deployment."""
    return result(
        conn,
        url=item.url,
        deployment_id=item.id,
        notes=(f"pmcp.run deployment {item.id} of {name}: status {item.status}.",),
    )


def destroyed_result(
    conn: Connection,
    item: DeploymentListItem,
    name: str,
    deleted: tuple[str, ...] = (),
    stored: StoredSecrets | None = None,
) -> TargetResult:
    """The deployment destroyed, and the secrets the action had set for it deleted."""
    changes = [
        PlanChange("delete", f"pmcp.run secret {secret}", "set by pmcp-deploy-action")
        for secret in deleted
    ]
    if stored is not None and stored.recorded and not stored.foreign:
        changes.append(
            PlanChange("delete", f"pmcp.run secret {RECORD}", "pmcp-deploy-action's record")
        )
    changes.append(
        PlanChange(
            "delete",
            f"pmcp.run deployment {item.id}",
            "stack, OAuth configuration and registry entry",
        )
    )
    notes = [
        f"pmcp.run deployment {item.id} of {name} was destroyed "
        "(stack, OAuth configuration and registry entry)."
    ]
    if stored is not None:
        kept = sorted(stored.present - set(deleted))
        notes.append(
            f"Secrets deleted: {', '.join(deleted) or 'none'} (the ones pmcp-deploy-action set)"
            + (f"; left as they are: {', '.join(kept)} (not set by it)." if kept else ".")
        )
    return result(
        conn,
        deployment_id=item.id,
        changes=tuple(changes),
        notes=tuple(notes),
        secrets=tuple(SecretOutcome(secret, SecretStatus.REMOVED) for secret in deleted),
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
