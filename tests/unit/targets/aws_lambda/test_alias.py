"""Alias ``live``: the previous version it records, and its conditional moves when another
run moved it meanwhile (a deploy verified at the candidate URL stops with an error, and so
does a rollback; live stays as the other run put it)."""

from __future__ import annotations

import pytest

from pmcp_action.errors import (
    DeployError,
)
from pmcp_action.targets.aws_lambda.alias import alias_description, previous_version_of
from tests.fakes.aws_lambda import lambda_error

from .helpers import AwsFactory, Harness


def test_previous_version_round_trips_through_the_alias_description() -> None:
    assert previous_version_of(alias_description("12")) == "12"
    assert previous_version_of(alias_description("")) == ""
    assert len(alias_description("123456")) <= 256


PRECONDITION = "The Revision Id provided does not match the latest Revision Id."


def _another_deploy_moves_live(aws: AwsFactory, *, to_new_version: bool):
    """What a concurrent run does between our read of ``live`` and our UpdateAlias."""

    def move() -> object:
        lam = aws("lambda")
        if to_new_version:
            lam.update_function_configuration(FunctionName="demo", Description="other run")
            waiter = lam.get_waiter("function_updated_v2")
            waiter.wait(FunctionName="demo")
            other = lam.publish_version(FunctionName="demo")["Version"]
        else:
            other = "1"
        lam.update_alias(FunctionName="demo", Name="live", FunctionVersion=other)
        return lambda_error(412, "PreconditionFailedException", PRECONDITION)

    return move


@pytest.mark.parametrize(
    ("to_new_version", "moved_to"), [(True, "4"), (False, "1")], ids=["newer", "older"]
)
def test_a_deploy_whose_live_another_run_moved_meanwhile_stops_and_leaves_it(
    harness: Harness, aws: AwsFactory, to_new_version: bool, moved_to: str
) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target().deploy()  # live: 2
    harness.write_bootstrap(b"v3")
    target = harness.target()
    staged = target.stage()  # version 3 behind alias candidate
    harness.proxy.reset()
    # Between our verification at the candidate URL and our move of live, another run
    # publishes and moves live (newer), or an older run puts version 1 back.
    harness.proxy.inject(
        "UpdateAlias", _another_deploy_moves_live(aws, to_new_version=to_new_version)
    )

    with pytest.raises(DeployError) as caught:
        target.promote(staged)

    assert caught.value.message == (
        f"Another run moved alias live of demo to version {moved_to} while version 3 was "
        "verified at the candidate URL; live was left as that run put it, and version 3 does "
        "not serve."
    )
    assert "concurrency:" in caught.value.remediation
    lam = aws("lambda")
    assert lam.get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == moved_to
    assert harness.proxy.operations().count("UpdateAlias") == 1  # no second try


def test_a_rollback_that_meets_a_concurrent_move_changes_nothing(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target().deploy()
    harness.proxy.reset()
    harness.proxy.inject("UpdateAlias", _another_deploy_moves_live(aws, to_new_version=True))

    with pytest.raises(DeployError) as caught:
        harness.target().rollback("1")

    assert caught.value.message == (
        "Another run moved alias live of demo (to version 3) while this one moved it to 1; "
        "nothing was changed by this run."
    )
    assert aws("lambda").get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == "3"


def _another_first_deploy_creates_live(aws: AwsFactory, *, newer: bool):
    """A concurrent first deploy creates ``live`` between our PublishVersion and CreateAlias:
    on the version ours published (both published the same $LATEST), or on a newer one."""

    def create() -> object:
        lam = aws("lambda")
        version = "1"
        if newer:
            lam.update_function_configuration(FunctionName="demo", Description="other run")
            lam.get_waiter("function_updated_v2").wait(FunctionName="demo")
            version = lam.publish_version(FunctionName="demo")["Version"]
        lam.create_alias(FunctionName="demo", Name="live", FunctionVersion=version)
        arn = "arn:aws:lambda:us-east-1:123456789012:function:demo:live"
        return lambda_error(409, "ResourceConflictException", f"Alias already exists: {arn}")

    return create


def test_live_created_meanwhile_on_our_version_is_what_we_report(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.proxy.inject("CreateAlias", _another_first_deploy_creates_live(aws, newer=False))

    result = harness.target().deploy()

    live = aws("lambda").get_alias(FunctionName="demo", Name="live")
    assert result.version == live["FunctionVersion"] == "1"
    assert result.outputs["arn"] == live["AliasArn"]
    assert "UpdateAlias" not in harness.proxy.operations()


def test_live_created_meanwhile_on_a_newer_version_keeps_serving(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.proxy.inject("CreateAlias", _another_first_deploy_creates_live(aws, newer=True))

    result = harness.target().deploy()

    live = aws("lambda").get_alias(FunctionName="demo", Name="live")
    assert result.version == live["FunctionVersion"] == "2"
    assert result.can_roll_back is False
    assert "Another deploy moved alias live to version 2" in harness.last_output
