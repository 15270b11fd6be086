"""What a revision logged: Cloud Logging's ``entries:list`` for ``cloud_run_revision``.

One POST to ``https://logging.googleapis.com/v2/entries:list`` (``roles/logging.viewer``)
with a filter on the service and revision names (and a start time), newest first; the
lines are returned oldest first, as they were written. ``textPayload`` is a line as the
container wrote it; a ``jsonPayload`` shows its ``message`` (else the JSON).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from ...result import LogExcerpt
from .endpoints import GoogleEndpoints
from .failures import raise_for_google

__all__ = ["revision_lines"]


def _filter(service: str, revision: str, since: float | None) -> str:
    parts = [
        'resource.type="cloud_run_revision"',
        f'resource.labels.service_name="{service}"',
        f'resource.labels.revision_name="{revision}"',
    ]
    if since is not None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))
        parts.append(f'timestamp>="{stamp}"')
    return " AND ".join(parts)


def _line(entry: dict[str, Any]) -> str:
    text = entry.get("textPayload")
    if not isinstance(text, str):
        payload = entry.get("jsonPayload")
        if isinstance(payload, dict) and isinstance(payload.get("message"), str):
            text = payload["message"]
        elif payload is not None:
            text = json.dumps(payload, separators=(",", ":"))
        else:
            text = ""
    severity = str(entry.get("severity", "")).strip()
    prefix = f"{entry.get('timestamp', '')} {severity}".strip()
    return f"{prefix} {text.rstrip()}".strip()


def revision_lines(
    http: httpx.Client,
    endpoints: GoogleEndpoints,
    *,
    token: str,
    project: str,
    service: str,
    revision: str,
    since: float | None,
    limit: int,
) -> LogExcerpt:
    """The last ``limit`` lines ``revision`` of ``service`` logged (since ``since``)."""
    source = f"Cloud Logging of {service}, revision {revision}"
    answer = http.post(
        endpoints.url("logging", "/v2/entries:list"),
        headers={"Authorization": f"Bearer {token}"},
        json={
            "resourceNames": [f"projects/{project}"],
            "filter": _filter(service, revision, since),
            "orderBy": "timestamp desc",
            "pageSize": max(1, min(limit, 1000)),
        },
    )
    raise_for_google(answer, f"reading the logs of {revision}", project=project)
    body = answer.json()
    entries = body.get("entries") if isinstance(body, dict) else None
    lines = [_line(e) for e in entries or () if isinstance(e, dict)]
    if not lines:
        return LogExcerpt(source, note=f"no log entries of revision {revision} yet")
    return LogExcerpt(source, lines=tuple(reversed(lines[:limit])))
