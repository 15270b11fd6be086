"""A contract fake of Cloud Logging's ``entries:list`` (logging.googleapis.com/v2).

Strict like the real API on the request (known fields only, ``orderBy`` on
timestamp, ``pageSize`` 1..1000, the caller's token) and on the filter: it
understands the subset of the Logging query language this project sends —
``field="value"``, ``timestamp>="…"``, ``AND`` and parenthesised ``OR`` — and
answers 400 INVALID_ARGUMENT to anything else, so a filter the real API would
parse differently cannot pass here silently. Entries are what a Cloud Run
revision writes: ``resource.labels.{service_name,revision_name}``, ``logName``
``projects/<p>/logs/run.googleapis.com%2Fstdout`` (or stderr), ``textPayload``
or ``jsonPayload``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .envelope import error

__all__ = ["FakeCloudLogging", "LogEntry", "parse_filter"]

_FIELDS = {"resourceNames", "filter", "orderBy", "pageSize", "pageToken"}
_TERM = re.compile(r'^([a-zA-Z_.]+)\s*(=|>=|<=|>|<)\s*("(?:[^"\\]|\\.)*")$')

Predicate = Callable[[dict[str, str]], bool]


def _split(text: str, word: str) -> list[str]:
    """Split at ``word`` outside quotes and parentheses."""
    parts, depth, quoted, start, i = [], 0, False, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quoted:
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith(word, i):
            parts.append(text[start:i])
            start = i + len(word)
            i = start
            continue
        i += 1
    if quoted or depth:
        raise ValueError("unbalanced quotes or parentheses")
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _term(text: str) -> Predicate:
    if text.startswith("(") and text.endswith(")"):
        alternatives = [_term(p) for p in _split(text[1:-1], " OR ")]
        return lambda e: any(p(e) for p in alternatives)
    match = _TERM.match(text)
    if match is None:
        raise ValueError(f"cannot parse {text!r}")
    key, op, raw = match.groups()
    value = json.loads(raw)
    if op == "=":
        return lambda e: e.get(key) == value
    if key != "timestamp" or op != ">=":
        raise ValueError(f"unsupported comparison {key}{op}")
    return lambda e: e.get("timestamp", "") >= value


def parse_filter(text: str) -> Predicate:
    """The filter as a predicate over flattened entries; ValueError when not understood."""
    terms = [_term(p) for p in _split(text, " AND ")]
    return lambda e: all(t(e) for t in terms)


@dataclass(frozen=True)
class LogEntry:
    project: str
    service: str
    revision: str
    timestamp: str  # RFC 3339, "2026-12-02T00:00:00Z"
    text: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    stream: str = "stdout"
    severity: str = "DEFAULT"

    def flat(self) -> dict[str, str]:
        return {
            "resource.type": "cloud_run_revision",
            "resource.labels.service_name": self.service,
            "resource.labels.revision_name": self.revision,
            "logName": f"projects/{self.project}/logs/run.googleapis.com%2F{self.stream}",
            "timestamp": self.timestamp,
        }

    def to_api(self) -> dict[str, Any]:
        flat = self.flat()
        entry: dict[str, Any] = {
            "logName": flat["logName"],
            "resource": {
                "type": "cloud_run_revision",
                "labels": {"service_name": self.service, "revision_name": self.revision},
            },
            "timestamp": self.timestamp,
            "severity": self.severity,
        }
        if self.payload:
            entry["jsonPayload"] = self.payload
        else:
            entry["textPayload"] = self.text
        return entry


class FakeCloudLogging:
    """``POST /v2/entries:list``; ``accepts(token)`` decides which bearer tokens are good."""

    def __init__(self, accepts: Callable[[str], bool]) -> None:
        self.accepts = accepts
        self.entries: list[LogEntry] = []
        #: Tokens whose principal lacks logging.logEntries.list.
        self.denied: set[str] = set()
        self.filters: list[str] = []
        self._lock = threading.Lock()

    def add(self, entry: LogEntry) -> None:
        with self._lock:
            self.entries.append(entry)

    def entries_list(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not self.accepts(token):
            return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        try:
            body = json.loads(request.content)
        except ValueError:
            return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        if not isinstance(body, dict):
            return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            return error(
                400,
                "INVALID_ARGUMENT",
                f'Invalid JSON payload received. Unknown name "{unknown[0]}"',
            )
        names = body.get("resourceNames")
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and n.startswith("projects/") for n in names)
        ):
            return error(400, "INVALID_ARGUMENT", "resourceNames must name projects")
        order = body.get("orderBy", "timestamp asc")
        if order not in ("timestamp asc", "timestamp desc"):
            return error(400, "INVALID_ARGUMENT", f"invalid orderBy {order!r}")
        size = body.get("pageSize", 50)
        if not isinstance(size, int) or not 1 <= size <= 1000:
            return error(400, "INVALID_ARGUMENT", "pageSize must be between 1 and 1000")
        if token in self.denied:
            return error(
                403,
                "PERMISSION_DENIED",
                "Permission 'logging.logEntries.list' denied on resource.",
                reason="IAM_PERMISSION_DENIED",
                metadata={"permission": "logging.logEntries.list"},
            )
        text = body.get("filter", "")
        try:
            matches = parse_filter(text) if text else (lambda _e: True)
        except ValueError as exc:
            return error(400, "INVALID_ARGUMENT", f"Unparseable filter: {exc}")
        projects = {n.removeprefix("projects/") for n in names}
        with self._lock:
            self.filters.append(text)
            found = [e for e in self.entries if e.project in projects and matches(e.flat())]
        found.sort(key=lambda e: e.timestamp, reverse=order == "timestamp desc")
        page = found[:size]
        answer: dict[str, Any] = {"entries": [e.to_api() for e in page]} if page else {}
        if len(found) > size:
            answer["nextPageToken"] = "more"
        return httpx.Response(200, json=answer)
