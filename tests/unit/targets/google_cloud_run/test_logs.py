"""What a revision (or the service) logged: the last lines oldest first, a note when there
are none, the role named when reading them is denied."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from pmcp_action.errors import RemoteApiError
from pmcp_action.result import LogExcerpt
from pmcp_action.targets.google_cloud_run.logs import read_logs
from tests.fakes.google_cloud_run import FakeCloudLogging

from .helpers import LOG_TOKEN, logging_api, logging_fake


def _read(fake: FakeCloudLogging, token: str = LOG_TOKEN, **kwargs: Any) -> LogExcerpt:
    kwargs.setdefault("limit", 50)
    return read_logs(
        logging_api(httpx.MockTransport(fake.entries_list), token), service="calc", **kwargs
    )


def test_a_revisions_last_lines_oldest_first_with_severity():
    excerpt = _read(logging_fake(), revision="calc-00002", limit=3)
    assert excerpt.source == "Cloud Logging, revision calc-00002 (project demo)"
    assert excerpt.lines == (
        "2026-12-02 00:00:07 line 7",
        "2026-12-02 00:00:08 line 8",
        "2026-12-02 00:00:30 ERROR structured",
    )


def test_the_service_without_a_revision_and_since():
    since = dt.datetime(2026, 12, 2, 0, 0, 6, tzinfo=dt.UTC).timestamp()
    excerpt = _read(logging_fake(), since=since)
    assert [line.rsplit(" ", 1)[-1] for line in excerpt.lines] == ["6", "7", "8", "structured"]


def test_nothing_yet_is_a_note_not_an_error():
    excerpt = _read(logging_fake(), revision="calc-00009")
    assert excerpt.lines == () and excerpt.note == "no lines from revision calc-00009 yet"


def test_a_missing_permission_names_the_role():
    fake = logging_fake()
    fake.denied.add(LOG_TOKEN)
    with pytest.raises(RemoteApiError) as caught:
        _read(fake)
    assert "logging.logEntries.list" in caught.value.remediation
    assert "roles/logging.viewer" in caught.value.remediation
