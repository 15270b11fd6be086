"""Alias ``candidate``: the staged version at a URL of its own with live's settings; a
conditional move that stops when another run changed it; discard leaves live alone."""

from __future__ import annotations

import pytest

from pmcp_action.errors import DeployError
from tests.fakes.aws_lambda import lambda_error

from .helpers import AwsFactory, Harness

PRECONDITION = "The Revision Id provided does not match the latest Revision Id."


def test_stage_leaves_live_and_discard_changes_nothing(harness: Harness, aws: AwsFactory) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    target = harness.target()

    staged = target.stage()
    lam = aws("lambda")
    live_while_staged = lam.get_alias(FunctionName="demo", Name="live")["FunctionVersion"]
    harness.proxy.reset()
    target.discard(staged)

    candidate_url = lam.get_function_url_config(FunctionName="demo", Qualifier="candidate")
    live_url = lam.get_function_url_config(FunctionName="demo", Qualifier="live")
    assert live_while_staged == "1"
    assert (staged.version, staged.previous_version) == ("2", "1")
    assert staged.candidate_url == candidate_url["FunctionUrl"]
    assert staged.url == live_url["FunctionUrl"] != staged.candidate_url
    assert staged.can_roll_back is True
    assert "public permissions of alias candidate" in staged.access_settling
    assert [op for op in harness.proxy.operations() if not op.startswith(("Assume", "Get"))] == []
    assert lam.get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == "1"
    assert lam.get_alias(FunctionName="demo", Name="candidate")["FunctionVersion"] == "2"
    assert "alias live still serves version 1; alias candidate stays on version 2" in (
        harness.last_output
    )


def test_the_candidate_url_has_lives_auth_type(harness: Harness, aws: AwsFactory) -> None:
    harness.target(function_url_auth_type="AWS_IAM").deploy()
    harness.write_bootstrap(b"v2")
    harness.proxy.reset()

    staged = harness.target(function_url_auth_type="AWS_IAM").stage()

    lam = aws("lambda")
    url = lam.get_function_url_config(FunctionName="demo", Qualifier="candidate")
    assert url["AuthType"] == "AWS_IAM" and url["InvokeMode"] == "BUFFERED"
    assert "AddPermission" not in harness.proxy.operations()
    assert staged.access_settling == ""
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName="demo", Qualifier="candidate")


def test_another_run_moving_the_candidate_meanwhile_stops_this_one(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target().deploy()  # candidate exists (on 2), live on 2
    harness.write_bootstrap(b"v3")
    harness.proxy.reset()
    harness.proxy.inject(
        "UpdateAlias", lambda: lambda_error(412, "PreconditionFailedException", PRECONDITION)
    )

    with pytest.raises(DeployError) as caught:
        harness.target().deploy()

    assert caught.value.message == (
        "Another run changed alias candidate of demo while this one staged version 3; this run "
        "stopped before verifying it. Alias live was not touched."
    )
    assert "concurrency:" in caught.value.remediation
    assert aws("lambda").get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == "2"
    assert harness.proxy.operations().count("UpdateAlias") == 1
