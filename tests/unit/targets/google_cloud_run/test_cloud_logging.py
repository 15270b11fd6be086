"""Cloud Logging's filter: the query language the fake parses as the real API does."""

from __future__ import annotations

import pytest

from pmcp_action.targets.google_cloud_run.cloud_logging import log_filter
from tests.fakes.google_cloud_run import parse_filter


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
