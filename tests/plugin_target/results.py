"""Every :class:`~pmcp_action.plugin.TargetResult` of the demo-cloud target."""

from __future__ import annotations

from types import MappingProxyType

from pmcp_action.plugin import PlanChange, TargetResult

from .config import DemoConfig
from .connection import Connection

__all__ = ["candidate_url", "result"]


def candidate_url(config: DemoConfig, version: str) -> str:
    """Where one version answers before it takes traffic."""
    return f"{config.endpoint}?demo-version={version}"


def result(
    config: DemoConfig,
    conn: Connection,
    *,
    ref: str = "",
    url: str = "",
    version: str = "",
    previous_version: str = "",
    unchanged: bool | None = None,
    candidate_url: str = "",
    changes: tuple[PlanChange, ...] = (),
    notes: tuple[str, ...] = (),
) -> TargetResult:
    return TargetResult(
        url=url,
        version=version,
        previous_version=previous_version,
        deployment_id=f"{ref}/{version}" if ref and version else "",
        region=config.region,
        unchanged=unchanged,
        identity=conn.session.user,
        outputs=MappingProxyType({"demo-ref": ref}),
        changes=changes,
        notes=notes,
        can_roll_back=bool(previous_version),
        candidate_url=candidate_url,
    )
