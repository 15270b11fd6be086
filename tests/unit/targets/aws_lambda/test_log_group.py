"""The log group: its retention kept as configured, and kept by destroy unless
delete-log-group asks."""

from __future__ import annotations

from dataclasses import replace

from .helpers import AwsFactory, Harness


def test_destroy_deletes_the_log_group_only_when_asked(harness: Harness, aws: AwsFactory) -> None:
    harness.target().deploy()

    result = harness.target(delete_log_group=True).destroy()

    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/demo")["logGroups"]
    assert groups == []
    assert ("delete", "log group /aws/lambda/demo") in {
        (c.action, c.resource) for c in result.changes
    }


def _retention(aws: AwsFactory) -> int | None:
    [group] = aws("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/demo")["logGroups"]
    days = group.get("retentionInDays")
    return int(days) if days is not None else None


def test_a_changed_retention_is_repaired_without_a_new_version(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    observability = harness.config.observability
    harness.config = replace(
        harness.config, observability=replace(observability, log_retention_days=30)
    )

    plan = harness.target().plan()
    result = harness.target().deploy()

    assert ("update", "log group /aws/lambda/demo", "retention 14 days → 30 days") in {
        (c.action, c.resource, c.detail) for c in plan.changes
    }
    assert result.version == "1" and _retention(aws) == 30
    harness.config = replace(
        harness.config, observability=replace(observability, log_retention_days=0)
    )
    harness.target().deploy()
    assert _retention(aws) is None  # never expire
