"""Cloud Logging's ``entries:list`` (logging.googleapis.com/v2), for a Cloud Run service.

What a container prints to stdout and stderr lands in the project's
``run.googleapis.com/stdout`` / ``run.googleapis.com/stderr`` logs, as entries of
resource type ``cloud_run_revision`` labelled with the service and revision. One
``entries:list`` call (newest first, one page) gives the last ``limit`` of them. Needs
``logging.logEntries.list`` (roles/logging.viewer): the envelope's error names the role.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx

from ...rest import RestApi
from .endpoints import GoogleEndpoints
from .failures import GoogleEnvelope

__all__ = ["CloudLoggingApi", "log_filter"]

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


class CloudLoggingApi(RestApi):
    """One project's Cloud Logging, with a bearer token."""

    def __init__(
        self, client: httpx.Client, endpoints: GoogleEndpoints, *, token: str, project: str
    ) -> None:
        super().__init__(
            client,
            endpoints.base("logging"),
            envelope=GoogleEnvelope(project),
            headers={"Authorization": f"Bearer {token}"},
            reach_hint=endpoints.reach_hint,
        )
        self.project = project

    def last_entries(self, log: str, doing: str, *, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` entries matching the filter ``log``, newest first."""
        body = self.call_json(
            "POST",
            "/v2/entries:list",
            doing,
            json={
                "resourceNames": [f"projects/{self.project}"],
                "filter": log,
                "orderBy": "timestamp desc",
                "pageSize": limit,
            },
        )
        return [e for e in body.get("entries") or [] if isinstance(e, dict)][:limit]
