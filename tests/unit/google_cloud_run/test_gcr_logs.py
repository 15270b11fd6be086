"""google-cloud-run logs: Cloud Logging's entries:list for a service or one revision."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from pmcp_action.errors import RemoteApiError
from pmcp_action.result import LogExcerpt
from pmcp_action.targets.google_cloud_run.cloud_logging import CloudLoggingApi, log_filter
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.logs import read_logs
from tests.fakes.google_cloud_run import FakeCloudLogging, LogEntry, parse_filter

BASE = "http://127.0.0.1:9"
TOKEN = "ya29.logs-token"


def _fake() -> FakeCloudLogging:
    fake = FakeCloudLogging(accepts=lambda token: token == TOKEN)
    for i, (revision, stream) in enumerate(
        [("calc-00001", "stdout"), ("calc-00002", "stdout"), ("calc-00002", "stderr")] * 3
    ):
        fake.add(
            LogEntry(
                "demo", "calc", revision, f"2026-12-02T00:00:{i:02d}Z", f"line {i}", stream=stream
            )
        )
    fake.add(LogEntry("demo", "other", "other-00001", "2026-12-02T00:01:00Z", "not ours"))
    fake.add(LogEntry("elsewhere", "calc", "calc-00002", "2026-12-02T00:01:00Z", "not ours"))
    fake.add(
        LogEntry(
            "demo",
            "calc",
            "calc-00002",
            "2026-12-02T00:00:30Z",
            payload={"message": "structured", "level": "error"},
            severity="ERROR",
        )
    )
    return fake


def _api(transport: httpx.MockTransport, token: str = TOKEN) -> CloudLoggingApi:
    http = httpx.Client(transport=transport)
    return CloudLoggingApi(http, GoogleEndpoints(BASE), token=token, project="demo")


def _read(fake: FakeCloudLogging, token: str = TOKEN, **kwargs: Any) -> LogExcerpt:
    kwargs.setdefault("limit", 50)
    return read_logs(_api(httpx.MockTransport(fake.entries_list), token), service="calc", **kwargs)


def test_a_revisions_last_lines_oldest_first_with_severity():
    excerpt = _read(_fake(), revision="calc-00002", limit=3)
    assert excerpt.source == "Cloud Logging, revision calc-00002 (project demo)"
    assert excerpt.lines == (
        "2026-12-02 00:00:07 line 7",
        "2026-12-02 00:00:08 line 8",
        "2026-12-02 00:00:30 ERROR structured",
    )


def test_the_service_without_a_revision_and_since():
    since = dt.datetime(2026, 12, 2, 0, 0, 6, tzinfo=dt.UTC).timestamp()
    excerpt = _read(_fake(), since=since)
    assert [line.rsplit(" ", 1)[-1] for line in excerpt.lines] == ["6", "7", "8", "structured"]


def test_nothing_yet_is_a_note_not_an_error():
    excerpt = _read(_fake(), revision="calc-00009")
    assert excerpt.lines == () and excerpt.note == "no lines from revision calc-00009 yet"


def test_a_missing_permission_names_the_role():
    fake = _fake()
    fake.denied.add(TOKEN)
    with pytest.raises(RemoteApiError) as caught:
        _read(fake)
    assert "logging.logEntries.list" in caught.value.remediation
    assert "roles/logging.viewer" in caught.value.remediation


def test_the_filter_is_what_the_logging_language_parses():
    text = log_filter("demo", "calc", "calc-00002", since=0.0)
    assert text == (
        'resource.type="cloud_run_revision" AND resource.labels.service_name="calc" AND '
        'resource.labels.revision_name="calc-00002" AND timestamp>="1970-01-01T00:00:00Z" AND '
        '(logName="projects/demo/logs/run.googleapis.com%2Fstdout" OR '
        'logName="projects/demo/logs/run.googleapis.com%2Fstderr")'
    )
    parse_filter(text)  # the fake understands it; garbage it refuses:
    for bad in ('service_name ~ "x"', '(a="b"', 'a="b" AND'):
        with pytest.raises(ValueError):
            parse_filter(bad)


def test_the_fake_is_strict_about_the_request():
    fake = _fake()
    http = httpx.Client(transport=httpx.MockTransport(fake.entries_list))
    url = f"{BASE}/v2/entries:list"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert http.post(url, json={"resourceNames": ["projects/demo"]}).status_code == 401
    for body in (
        {"resourceNames": ["projects/demo"], "projectIds": ["demo"]},
        {"resourceNames": ["demo"]},
        {"resourceNames": ["projects/demo"], "orderBy": "severity"},
        {"resourceNames": ["projects/demo"], "pageSize": 0},
        {"resourceNames": ["projects/demo"], "filter": "service_name:calc"},
    ):
        assert http.post(url, json=body, headers=auth).status_code == 400, body


def test_the_emulator_serves_entries_list_for_the_tokens_it_handed_out():
    from tests.fakes.google_cloud_run import FakeGoogleCloud

    fake = FakeGoogleCloud()
    fake.tokens["tok"] = "someone"
    fake.logging.add(LogEntry("demo", "calc", "calc-2", "2026-12-02T00:00:01Z", "listening"))
    fake.logging.add(LogEntry("demo", "calc", "calc-1", "2026-12-02T00:00:02Z", "older one"))
    transport = httpx.MockTransport(fake)
    excerpt = read_logs(_api(transport, "tok"), service="calc", revision="calc-2", limit=50)
    assert excerpt.lines == ("2026-12-02 00:00:01 listening",)
    with pytest.raises(RemoteApiError, match="HTTP 401"):
        read_logs(_api(transport, "stolen"), service="calc", limit=5)
