"""The Cloud Logging fake: strict about entries:list as the real API is; the emulator serves
it for the tokens it minted."""

from __future__ import annotations

import httpx
import pytest

from pmcp_action.errors import RemoteApiError
from pmcp_action.targets.google_cloud_run.logs import read_logs
from tests.fakes.google_cloud_run import LogEntry

from .helpers import ENDPOINT, LOG_TOKEN, logging_api, logging_fake


def test_the_fake_is_strict_about_the_request():
    fake = logging_fake()
    http = httpx.Client(transport=httpx.MockTransport(fake.entries_list))
    url = f"{ENDPOINT}/v2/entries:list"
    auth = {"Authorization": f"Bearer {LOG_TOKEN}"}
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
    excerpt = read_logs(logging_api(transport, "tok"), service="calc", revision="calc-2", limit=50)
    assert excerpt.lines == ("2026-12-02 00:00:01 listening",)
    with pytest.raises(RemoteApiError, match="HTTP 401"):
        read_logs(logging_api(transport, "stolen"), service="calc", limit=5)
