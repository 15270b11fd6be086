"""What a version of the service logged, as Demo Cloud keeps it."""

from __future__ import annotations

from pmcp_action.plugin import LogExcerpt

from .config import DemoConfig
from .connection import Connection

__all__ = ["read_logs"]


def read_logs(conn: Connection, config: DemoConfig, version: str, limit: int) -> LogExcerpt:
    lines = conn.api.logs(config.service, version, limit)
    return LogExcerpt(
        source=f"Demo Cloud logs of {config.service}, version {version}",
        lines=tuple(lines),
        note="" if lines else f"version {version} logged nothing yet",
    )
