"""What a published version logged: its streams in the function's CloudWatch log group.

Lambda names each execution environment's stream ``YYYY/MM/DD/[<version>]<id>``, so
the streams of one version are found by that marker among the latest ones; their
events are read in order and the last lines kept.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ...errors import PmcpActionError
from ...result import LogExcerpt
from .failures import aws_step, has_code

__all__ = ["read_logs"]


def read_logs(
    logs: Any, group: str, version: str, *, since: float | None, limit: int
) -> LogExcerpt:
    """The last ``limit`` lines version ``version`` logged into ``group`` since ``since``."""
    source = f"CloudWatch Logs {group}, version {version}"
    marker = f"[{version}]"
    try:
        with aws_step(f"list the log streams of {group}"):
            streams = logs.describe_log_streams(
                logGroupName=group, orderBy="LastEventTime", descending=True, limit=50
            ).get("logStreams", [])
    except PmcpActionError as exc:
        cause = exc.__cause__
        if isinstance(cause, ClientError) and has_code(cause, "ResourceNotFoundException"):
            return LogExcerpt(source, note=f"the log group {group} does not exist (yet)")
        raise
    names = [str(s["logStreamName"]) for s in streams if marker in str(s.get("logStreamName"))]
    if not names:
        return LogExcerpt(source, note=f"no log stream of version {version} yet")
    query: dict[str, Any] = {"logGroupName": group, "logStreamNames": names[:100]}
    if since is not None:
        query["startTime"] = int(since * 1000)
    events: list[dict[str, Any]] = []
    with aws_step(f"read the log events of version {version}"):
        while True:
            page = logs.filter_log_events(**query)
            events += page.get("events", [])
            token = page.get("nextToken")
            if not token or len(events) >= 10_000:
                break
            query["nextToken"] = token
    events.sort(key=lambda event: (event.get("timestamp", 0), event.get("eventId", "")))
    lines = tuple(str(event.get("message", "")).rstrip("\n") for event in events[-limit:])
    return LogExcerpt(source, lines, note="" if lines else "the streams hold no lines yet")
