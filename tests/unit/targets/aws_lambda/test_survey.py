"""The survey: a plan changes nothing; "unchanged" decided from the recorded package hash
before zipping, else from the zip."""

from __future__ import annotations

from typing import Any

import pytest

from pmcp_action.artifact.lambda_package import kind
from pmcp_action.targets.aws_lambda import deploying
from pmcp_action.targets.aws_lambda.survey import recorded_package_sha256

from .helpers import AwsFactory, Harness, mutations


def test_plan_changes_nothing_and_lists_what_deploy_would_do(
    harness: Harness, aws: AwsFactory
) -> None:
    plan = harness.target().plan()

    assert mutations(harness.proxy) == []
    assert aws("lambda").list_functions()["Functions"] == []
    resources = {(c.action, c.resource) for c in plan.changes}
    assert ("create", "IAM role demo-lambda-role") in resources
    assert ("create", "Lambda function demo") in resources
    assert ("create", "function URL demo:live") in resources
    assert ("create", "log group /aws/lambda/demo") in resources
    assert plan.unchanged is False

    harness.target().deploy()
    assert harness.target().plan().unchanged is True

    harness.write_bootstrap(b"v2")
    harness.proxy.reset()
    plan = harness.target().plan()
    assert mutations(harness.proxy) == []
    assert plan.unchanged is False
    details = [c.detail for c in plan.changes if c.resource == "Lambda function demo"]
    assert any(d.startswith("code ") for d in details)
    planned = {(c.action, c.resource): c.detail for c in plan.changes}
    # Staged: the new version behind alias candidate at its own URL, then live moves.
    assert planned[("create", "alias candidate")] == "→ new version"
    assert planned[("create", "function URL demo:candidate")] == "auth NONE, CORS"
    assert ("create", "public invoke permissions of demo:candidate") in planned
    assert planned[("update", "alias live")] == (
        "1 → new version, once verified at the candidate URL"
    )
    order = [c.resource for c in plan.changes]
    assert order.index("alias candidate") < order.index("alias live")

    harness.target().deploy()  # version 2 staged, verified (no checks here), promoted
    harness.write_bootstrap(b"v3")
    again = {(c.action, c.resource): c.detail for c in harness.target().plan().changes}
    assert again[("update", "alias candidate")] == "2 → new version"
    assert not [r for _a, r in again if r.endswith(":candidate")]  # its URL is there already


def _no_zip(*args: Any, **kwargs: Any) -> Any:
    pytest.fail("the package was zipped although nothing changed")


def test_unchanged_redeploy_decides_from_the_recorded_hash_without_zipping(
    harness: Harness, aws: AwsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.target().deploy()
    published = aws("lambda").get_function_configuration(FunctionName="demo", Qualifier="1")
    assert recorded_package_sha256(published["Description"])
    harness.proxy.reset()
    monkeypatch.setattr(kind, "write_package", _no_zip)

    result = harness.target().deploy()
    plan = harness.target().plan()

    assert result.unchanged is True and result.version == "1"
    assert plan.unchanged is True
    # The plan names the CodeSha256 live serves: equal contents zip to equal bytes.
    assert f"CodeSha256 of the artifact: {published['CodeSha256']}" in plan.notes


def test_a_changed_file_in_the_package_is_a_change(harness: Harness) -> None:
    harness.target().deploy()
    (harness.tmp_path / "config.toml").write_text("[server]\nname = 'demo'\n")

    result = harness.target().deploy()

    assert result.unchanged is False and result.version == "2"


def test_a_version_that_recorded_no_hash_is_compared_by_its_zip(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions published before the hash was recorded still count as unchanged."""
    with monkeypatch.context() as patched:
        patched.setattr(deploying, "version_description", lambda *_a: "pmcp-deploy-action")
        harness.target().deploy()

    result = harness.target().deploy()

    assert result.unchanged is True and result.version == "1"
