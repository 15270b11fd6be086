"""What a version logged: its streams in the function's log group, the last lines first out."""

from __future__ import annotations

import pytest

from pmcp_action.flow import NothingDeployedError

from .helpers import AwsFactory, Harness, mutations, write_log_lines


def test_the_serving_versions_last_lines_and_no_other_versions(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    write_log_lines(aws, "demo", "1", ["starting", "listening", "tools/list answered"])
    write_log_lines(aws, "demo", "2", ["a version that does not serve"])
    harness.proxy.reset()

    excerpt = harness.target().logs(version="", since=None, limit=2)

    assert excerpt.source == "CloudWatch Logs /aws/lambda/demo, version 1"
    assert excerpt.lines == ("listening", "tools/list answered")
    assert excerpt.note == ""
    assert mutations(harness.proxy) == []


def test_a_version_given_is_read_even_when_it_does_not_serve(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    write_log_lines(aws, "demo", "2", ["panicked at main.rs"])

    excerpt = harness.target().logs(version="2", since=None, limit=50)

    assert excerpt.lines == ("panicked at main.rs",)


def test_no_stream_and_no_group_are_said_not_raised(harness: Harness, aws: AwsFactory) -> None:
    harness.target().deploy()

    assert harness.target().logs(version="", since=None, limit=5).note == (
        "no log stream of version 1 yet"
    )
    aws("logs").delete_log_group(logGroupName="/aws/lambda/demo")
    assert harness.target().logs(version="", since=None, limit=5).note == (
        "the log group /aws/lambda/demo does not exist (yet)"
    )


def test_logs_need_a_deployed_function(harness: Harness) -> None:
    with pytest.raises(NothingDeployedError, match="No logs: there is no Lambda function demo"):
        harness.target().logs(version="", since=None, limit=5)
