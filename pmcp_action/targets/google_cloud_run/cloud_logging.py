"""Cloud Logging: the last lines a Cloud Run service (or one revision) wrote.

What a container prints to stdout and stderr lands in the project's
``run.googleapis.com/stdout`` / ``run.googleapis.com/stderr`` logs, as entries of
resource type ``cloud_run_revision`` labelled with the service and revision. One
``entries:list`` call (newest first, one page) gives the last ``limit`` of them;
they are returned oldest first, as a log reads. Needs ``logging.logEntries.list``
(roles/logging.viewer) — without it, the caller's warning says which role.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx

from ...result import LogExcerpt
from .endpoints import GoogleEndpoints
from .failures import json_object

__all__ = ["log_filter", "read_log_lines"]

#: The logs a Cloud Run container's stdout and stderr go to.
_STREAMS = ("run.googleapis.com%2Fstdout", "run.googleapis.com%2Fstderr")


def _quoted(value: str) -> str:
    return json.dumps(value)  # the filter language takes JSON-style double-quoted strings


def log_filter(project: str, service: str, revision: str = "", since: float | None = None) -> str:
    """The Logging query language filter for one service's (or revision's) output."""
    names = " OR ".join(f"logName={_quoted(f'projects/{project}/logs/{s}')}" for s in _STREAMS)
    parts = [
        'resource.type="cloud_run_revision"',
        f"resource.labels.service_name={_quoted(service)}",
    ]
    if revision:
        parts.append(f"resource.labels.revision_name={_quoted(revision)}")
    if since is not None:
        stamp = dt.datetime.fromtimestamp(since, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts.append(f"timestamp>={_quoted(stamp)}")
    parts.append(f"({names})")
    return " AND ".join(parts)


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


def read_log_lines(
    http: httpx.Client,
    endpoints: GoogleEndpoints,
    *,
    token: str,
    project: str,
    service: str,
    revision: str = "",
    since: float | None = None,
    limit: int,
) -> LogExcerpt:
    """The last ``limit`` lines of the service's (or revision's) stdout/stderr, oldest first."""
    what = f"revision {revision}" if revision else f"service {service}"
    source = f"Cloud Logging, {what} (project {project})"
    response = http.post(
        endpoints.url("logging", "/v2/entries:list"),
        headers={"Authorization": f"Bearer {token}"},
        json={
            "resourceNames": [f"projects/{project}"],
            "filter": log_filter(project, service, revision, since),
            "orderBy": "timestamp desc",
            "pageSize": limit,
        },
    )
    body = json_object(response, f"reading the logs of {what}", project=project)
    entries = [e for e in body.get("entries") or [] if isinstance(e, dict)][:limit]
    lines = tuple(line for line in (_line(e) for e in reversed(entries)) if line)
    if not lines:
        return LogExcerpt(source, note=f"no lines from {what} yet")
    return LogExcerpt(source, lines)
