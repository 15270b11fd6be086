"""What a revision (or the whole service) logged: the last lines, oldest first, as a log
reads; a text payload as it is, a JSON payload's ``message`` (else the payload itself)."""

from __future__ import annotations

import json
from typing import Any

from ...result import LogExcerpt
from .cloud_logging import CloudLoggingApi, log_filter

__all__ = ["read_logs"]


def _text(entry: dict[str, Any]) -> str:
    if isinstance(entry.get("textPayload"), str):
        return str(entry["textPayload"])
    payload = entry.get("jsonPayload")
    if isinstance(payload, dict):
        message = payload.get("message")
        return str(message) if isinstance(message, str) else json.dumps(payload, sort_keys=True)
    return ""


def _line(entry: dict[str, Any]) -> str:
    stamp = str(entry.get("timestamp", ""))[:19].replace("T", " ")
    severity = str(entry.get("severity", "") or "")
    text = _text(entry).rstrip("\n")
    head = " ".join(p for p in (stamp, severity if severity != "DEFAULT" else "") if p)
    return f"{head} {text}".strip()


def read_logs(
    api: CloudLoggingApi,
    *,
    service: str,
    revision: str = "",
    since: float | None = None,
    limit: int,
) -> LogExcerpt:
    """The last ``limit`` lines of the service's (or revision's) stdout/stderr, oldest first."""
    what = f"revision {revision}" if revision else f"service {service}"
    source = f"Cloud Logging, {what} (project {api.project})"
    entries = api.last_entries(
        log_filter(api.project, service, revision, since),
        f"reading the logs of {what}",
        limit=limit,
    )
    lines = tuple(line for line in (_line(e) for e in reversed(entries)) if line)
    if not lines:
        return LogExcerpt(source, note=f"no lines from {what} yet")
    return LogExcerpt(source, lines)
