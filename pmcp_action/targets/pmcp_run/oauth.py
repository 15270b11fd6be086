"""OAuth after a deploy: configure it when ``[auth].enabled``, else read what is set.

A failure here never fails the deploy: the server is already live, so it is a
warning naming the command that finishes the job.
"""

from __future__ import annotations

from ...ci.base import Platform
from ...context import Project
from ...errors import PmcpActionError
from .api import OAuthInfo, PmcpRunApi

__all__ = ["settle_oauth"]


def settle_oauth(
    api: PmcpRunApi, project: Project, deployment_id: str, console: Platform
) -> OAuthInfo | None:
    """The deployment's OAuth, when it is on; ``None`` when off or unknown."""
    config = project.config
    name = project.server_name
    if config.auth.enabled:
        dcr = config.auth.dcr
        try:
            oauth = api.configure_server_oauth(
                deployment_id,
                scopes=list(dcr.default_scopes) or None,
                dcr_enabled=dcr.enabled,
                public_client_patterns=list(dcr.public_client_patterns) or None,
            )
        except PmcpActionError as exc:
            console.warning(
                f"Failed to configure OAuth: {exc.message} Enable it later with `cargo pmcp "
                f"oauth enable --server {deployment_id}`.",
                title="pmcp.run OAuth",
            )
            return None
        console.info("OAuth configured.")
        return oauth
    try:
        found = api.fetch_server_oauth_endpoints(name)
    except PmcpActionError as exc:
        console.warning(
            f"OAuth status check failed for {name}: {exc.message}", title="pmcp.run OAuth"
        )
        return None
    return found if found is not None and found.oauth_enabled else None
