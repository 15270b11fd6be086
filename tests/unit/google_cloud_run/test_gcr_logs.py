"""A revision's log lines from Cloud Logging's entries:list, against the fake."""

from __future__ import annotations

import httpx
import pytest

from pmcp_action.errors import RemoteApiError
from pmcp_action.targets.google_cloud_run.endpoints import GoogleEndpoints
from pmcp_action.targets.google_cloud_run.logs import revision_lines
from tests.fakes.google_cloud_run import FakeGoogleCloud

ENDPOINTS = GoogleEndpoints("http://127.0.0.1:9")


def _entry(revision: str, **payload: object) -> dict[str, object]:
    return {
        "resource": {
            "type": "cloud_run_revision",
            "labels": {"service_name": "calc", "revision_name": revision},
        },
        "timestamp": "2026-12-02T00:00:01Z",
        "severity": "INFO",
        **payload,
    }


def _read(fake: FakeGoogleCloud, token: str, **kw: object):
    args = {"since": None, "limit": 50, "revision": "calc-2", **kw}
    return revision_lines(
        httpx.Client(transport=httpx.MockTransport(fake)),
        ENDPOINTS,
        token=token,
        project="demo",
        service="calc",
        **args,  # type: ignore[arg-type]
    )


def test_text_and_json_payloads_oldest_first_and_only_that_revision():
    fake = FakeGoogleCloud()
    fake.tokens["tok"] = "someone"
    fake.log_entries += [
        _entry("calc-2", textPayload="listening on 0.0.0.0:8080\n"),
        _entry("calc-1", textPayload="an older revision"),
        _entry("calc-2", jsonPayload={"message": "tools/list served", "tools": 3}),
        _entry("calc-2", jsonPayload={"event": "shutdown"}),
    ]
    excerpt = _read(fake, "tok", since=1_764_633_600.0)
    assert excerpt.source == "Cloud Logging of calc, revision calc-2"
    assert excerpt.lines == (
        "2026-12-02T00:00:01Z INFO listening on 0.0.0.0:8080",
        "2026-12-02T00:00:01Z INFO tools/list served",
        '2026-12-02T00:00:01Z INFO {"event":"shutdown"}',
    )
    body = fake.requests_to("/v2/entries:list")[0].json()
    assert body["resourceNames"] == ["projects/demo"] and body["orderBy"] == "timestamp desc"
    assert 'timestamp>="2025-12-02T00:00:00Z"' in body["filter"]
    assert _read(fake, "tok", limit=1).lines == ('2026-12-02T00:00:01Z INFO {"event":"shutdown"}',)


def test_none_yet_and_a_refusal_names_the_role():
    fake = FakeGoogleCloud()
    fake.tokens["tok"] = "someone"
    assert _read(fake, "tok").note == "no log entries of revision calc-2 yet"
    fake.faults.status(
        403,
        path="/v2/entries:list",
        body='{"error": {"code": 403, "status": "PERMISSION_DENIED", "message": '
        "\"Permission 'logging.logEntries.list' denied on resource\"}}",
    )
    with pytest.raises(RemoteApiError) as refused:
        _read(fake, "tok")
    assert "roles/logging.viewer" in refused.value.remediation
