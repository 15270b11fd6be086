"""The connector: one sign-in per target, whatever commands follow; the request ids of what
changed, collected for the results."""

from __future__ import annotations

from .helpers import Harness


def test_a_target_signs_in_once_for_all_its_commands(harness: Harness) -> None:
    target = harness.target()

    target.deploy()
    target.outputs()
    target.logs(version="", since=None, limit=5)

    operations = harness.proxy.operations()
    assert operations.count("AssumeRoleWithWebIdentity") == 1
    assert operations.count("GetCallerIdentity") == 1
    # A new target (a new run) signs in again.
    harness.target().outputs()
    assert harness.proxy.operations().count("AssumeRoleWithWebIdentity") == 2


def test_the_results_list_the_request_ids_of_what_changed(harness: Harness) -> None:
    result = harness.target().deploy()

    operations = [entry.split(" ", 1)[0] for entry in result.request_ids]
    assert {"CreateRole", "CreateFunction", "PublishVersion", "CreateAlias"} <= set(operations)
    assert not [op for op in operations if op.startswith(("Get", "List", "Describe", "Head"))]
    assert all(len(entry.split(" ", 1)) == 2 for entry in result.request_ids)
    assert "AWS CreateFunction request id" in harness.last_output
