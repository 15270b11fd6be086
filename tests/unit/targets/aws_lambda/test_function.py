"""The function: its diffs (names, never values), the waits for an update in progress and
for IAM to propagate a new role, bounded by the deadline."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import httpx
import pytest

from pmcp_action.errors import (
    DeployError,
    RemoteApiError,
    TimeoutExceededError,
)
from pmcp_action.polling import OPERATION_POLL
from pmcp_action.targets.aws_lambda.config import resolve
from pmcp_action.targets.aws_lambda.function import (
    DesiredFunction,
    FunctionManager,
    code_changes,
    config_changes,
    environment_of,
)
from tests.fakes.aws_lambda import MotoProxy, lambda_error
from tests.fakes.aws_lambda.revisions import revision_of
from tests.support.aws import REGION
from tests.support.sim_clock import SimClock

from .helpers import AwsFactory, Harness


def test_diffs_show_names_not_values() -> None:
    desired = DesiredFunction(
        name="demo",
        role_arn="arn:aws:iam::1:role/r",
        architecture="arm64",
        memory_mb=512,
        timeout_seconds=30,
        environment={"A": "secret-1", "B": "2"},
        code_sha256="NEWSHA",
    )
    current = {
        "Runtime": "provided.al2023",
        "Handler": "bootstrap",
        "Role": "arn:aws:iam::1:role/r",
        "MemorySize": 256,
        "Timeout": 30,
        "Environment": {"Variables": {"A": "secret-0", "C": "3"}},
        "Architectures": ["x86_64"],
        "CodeSha256": "OLDSHA",
    }
    changes = config_changes(desired, current)
    assert changes == ["memory 256 → 512", "environment +B -C ~A"]
    assert "secret" not in " ".join(changes)
    assert code_changes(desired, current) == [
        "code OLDSHA… → NEWSHA…",
        "architecture x86_64 → arm64",
    ]


def test_the_key_and_an_environment_lambda_would_not_show_are_changes() -> None:
    desired = DesiredFunction(
        name="demo",
        role_arn="arn:aws:iam::1:role/r",
        architecture="arm64",
        memory_mb=512,
        timeout_seconds=30,
        environment={"API_KEY": "secret-1"},
        code_sha256="SHA",
        kms_key_arn="arn:aws:kms:us-east-1:1:key/k",
    )
    current = {
        "Runtime": "provided.al2023",
        "Handler": "bootstrap",
        "Role": "arn:aws:iam::1:role/r",
        "MemorySize": 512,
        "Timeout": 30,
        "KMSKeyArn": "arn:aws:kms:us-east-1:1:key/k",
        "Environment": {"Error": {"ErrorCode": "AccessDeniedException", "Message": "denied"}},
    }
    assert environment_of(current) is None
    assert config_changes(desired, current) == [
        "environment (not readable here: AccessDeniedException; written again)"
    ]
    assert config_changes(desired, {**current, "KMSKeyArn": None})[0] == (
        "KMS key none → arn:aws:kms:us-east-1:1:key/k"
    )


def test_ephemeral_storage_is_compared_only_when_asked_for() -> None:
    from dataclasses import replace

    desired = DesiredFunction(
        name="demo",
        role_arn="r",
        architecture="arm64",
        memory_mb=512,
        timeout_seconds=30,
        environment={},
        code_sha256="SHA",
        runtime="provided.al2023",
    )
    current = {
        "Runtime": "provided.al2023",
        "Handler": "bootstrap",
        "Role": "r",
        "MemorySize": 512,
        "Timeout": 30,
        "EphemeralStorage": {"Size": 512},
    }
    assert config_changes(desired, current) == []
    sized = replace(desired, ephemeral_storage_mb=4096)
    assert config_changes(sized, current) == ["ephemeral storage 512 → 4096 MB"]
    assert config_changes(sized, {**current, "EphemeralStorage": {"Size": 4096}}) == []


IN_PROGRESS = (
    "The operation cannot be performed at this time. An update is in progress for resource: "
    "arn:aws:lambda:us-east-1:123456789012:function:demo"
)


def test_update_in_progress_is_waited_out(harness: Harness) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.proxy.reset()
    harness.proxy.inject(
        "UpdateFunctionCode", lambda: lambda_error(409, "ResourceConflictException", IN_PROGRESS)
    )
    harness.proxy.inject(
        "UpdateAlias", lambda: lambda_error(409, "ResourceConflictException", IN_PROGRESS)
    )

    result = harness.target().deploy()

    assert (result.version, result.previous_version) == ("2", "1")
    operations = harness.proxy.operations()
    assert operations.count("UpdateFunctionCode") == 2
    assert operations.count("UpdateAlias") == 2
    # It looked at the function's state before trying again.
    first_retry = operations.index("UpdateFunctionCode")
    assert operations[first_retry + 1] == "GetFunctionConfiguration"
    assert "still applying an earlier change" in harness.last_output


def test_a_conflict_that_never_clears_ends_at_the_deadline(harness: Harness) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    now = [0.0]
    harness.clock = lambda: now[0]
    harness.sleep = lambda seconds: now.__setitem__(0, now[0] + seconds)
    harness.deadline_seconds = 20.0
    harness.proxy.inject(
        "UpdateFunctionCode",
        lambda: lambda_error(409, "ResourceConflictException", IN_PROGRESS),
        times=100,
    )

    with pytest.raises(TimeoutExceededError):
        harness.target().deploy()

    assert 2 <= harness.proxy.operations().count("UpdateFunctionCode") < 12
    assert now[0] <= 20.0 + 1e-6  # never slept past the deadline


def test_other_conflicts_are_not_retried(harness: Harness) -> None:
    harness.proxy.inject(
        "CreateFunction",
        lambda: lambda_error(409, "ResourceConflictException", "Function already exist: demo"),
    )

    with pytest.raises(RemoteApiError, match="Function already exist"):
        harness.target().deploy()

    assert harness.proxy.operations().count("CreateFunction") == 1


def test_a_new_role_is_given_time_to_propagate(harness: Harness) -> None:
    not_yet = "The role defined for the function cannot be assumed by Lambda."
    harness.proxy.inject(
        "CreateFunction",
        lambda: lambda_error(400, "InvalidParameterValueException", not_yet),
        times=2,
    )

    result = harness.target().deploy()

    assert result.version == "1"
    assert harness.proxy.operations().count("CreateFunction") == 3
    assert "Waiting for IAM to propagate" in harness.last_output


def test_a_users_role_that_lambda_cannot_assume_fails_at_once(
    harness: Harness, aws: AwsFactory
) -> None:
    role = aws("iam").create_role(RoleName="not-for-lambda", AssumeRolePolicyDocument="{}")
    harness.proxy.inject(
        "CreateFunction",
        lambda: lambda_error(
            400,
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda.",
        ),
    )

    with pytest.raises(RemoteApiError, match="cannot be assumed"):
        harness.target(lambda_role_arn=role["Role"]["Arn"]).deploy()

    assert harness.proxy.operations().count("CreateFunction") == 1
    assert "does not name lambda.amazonaws.com" in harness.output


# --- a concurrent first deploy: the function appears between the survey and CreateFunction ---
EXISTS = "Function already exist: demo"
OURS = {"managed-by": "pmcp", "pmcp:server": "demo", "target": "aws-lambda"}


def _zip(content: bytes) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", content)
    return buffer.getvalue()


def _the_other_run_creates_it(
    aws: AwsFactory,
    proxy: MotoProxy,
    *,
    tags: dict[str, str],
    serves: bool = False,
    seen: dict[str, str] | None = None,
) -> Callable[[], httpx.Response]:
    """The other deploy's CreateFunction lands first (with its own code); with ``serves``
    it also publishes version 1 and points ``live`` at it before ours goes on."""

    def create() -> httpx.Response:
        lam = aws("lambda")
        role = aws("iam").get_role(RoleName="demo-lambda-role")["Role"]["Arn"]
        lam.create_function(
            FunctionName="demo",
            Runtime="provided.al2023",
            Role=role,
            Handler="bootstrap",
            Code={"ZipFile": _zip(b"the other run's code")},
            Architectures=["arm64"],
            Tags=tags,
        )
        if seen is not None:
            seen["RevisionId"] = revision_of(proxy.configuration("demo", region=REGION) or {})
        if serves:
            version = lam.publish_version(FunctionName="demo")["Version"]
            lam.create_alias(FunctionName="demo", Name="live", FunctionVersion=version)
        return lambda_error(409, "ResourceConflictException", EXISTS)

    return create


def test_a_function_created_by_a_concurrent_first_deploy_is_updated_conditionally(
    harness: Harness, aws: AwsFactory
) -> None:
    created: dict[str, str] = {}
    harness.proxy.inject(
        "CreateFunction", _the_other_run_creates_it(aws, harness.proxy, tags=OURS, seen=created)
    )

    result = harness.target().deploy()

    lam = aws("lambda")
    live = lam.get_alias(FunctionName="demo", Name="live")
    served = lam.get_function_configuration(FunctionName="demo", Qualifier=live["FunctionVersion"])
    latest = lam.get_function_configuration(FunctionName="demo")
    assert result.version == live["FunctionVersion"] == "1"
    assert result.outputs["arn"] == live["AliasArn"]
    assert served["CodeSha256"] == latest["CodeSha256"] != _sha256(_zip(b"the other run's code"))
    assert served["Environment"]["Variables"] == {"RUST_LOG": "info", "GREETING": "hello"}
    assert "appeared while this run created it" in harness.last_output
    # Every change to the other run's function was conditional: first on the revision it
    # created, then on the one each change left.
    revisions = [
        json.loads(harness.proxy.requests_for(operation)[0].body)["RevisionId"]
        for operation in ("UpdateFunctionConfiguration", "UpdateFunctionCode", "PublishVersion")
    ]
    assert revisions[0] == created["RevisionId"]
    assert revisions[2] == revision_of(harness.proxy.configuration("demo", region=REGION) or {})
    assert len(set(revisions)) == 3


def test_a_concurrent_deploy_that_already_serves_is_followed_by_ours(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.proxy.inject(
        "CreateFunction", _the_other_run_creates_it(aws, harness.proxy, tags=OURS, serves=True)
    )

    result = harness.target().deploy()

    live = aws("lambda").get_alias(FunctionName="demo", Name="live")
    assert (result.version, result.previous_version) == ("2", "1")
    assert live["FunctionVersion"] == "2" and "previous-version=1" in live["Description"]
    assert result.outputs["arn"] == live["AliasArn"]


def test_a_function_of_that_name_not_made_by_pmcp_is_left_alone(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.proxy.inject(
        "CreateFunction", _the_other_run_creates_it(aws, harness.proxy, tags={"team": "web"})
    )

    with pytest.raises(DeployError) as caught:
        harness.target().deploy()

    assert caught.value.message.startswith(
        "The function demo appeared while this run created it, without pmcp-action's tags"
    )
    assert "concurrency" in caught.value.remediation
    operations = harness.proxy.operations()
    assert not [op for op in operations if op.startswith(("Update", "Publish", "Tag"))]
    assert aws("lambda").get_function(FunctionName="demo")["Tags"] == {"team": "web"}


def test_a_concurrent_change_during_the_conditional_update_stops_this_run_cleanly(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.proxy.inject("CreateFunction", _the_other_run_creates_it(aws, harness.proxy, tags=OURS))

    def the_other_run_changes_it() -> httpx.Response:
        # Between this run's read of the function and its first conditional write.
        aws("lambda").update_function_configuration(FunctionName="demo", MemorySize=1024)
        return lambda_error(404, "ResourceNotFoundException", "Cannot find alias arn: live")

    harness.proxy.inject("GetAlias", the_other_run_changes_it)

    with pytest.raises(DeployError) as caught:
        harness.target().deploy()

    assert caught.value.message.startswith("Another deploy of demo is running")
    assert "concurrency" in caught.value.remediation
    assert harness.proxy.operations().count("UpdateFunctionConfiguration") == 1
    assert not [
        op for op in harness.proxy.operations() if op.startswith(("UpdateFunctionCode", "Publish"))
    ]
    assert aws("lambda").get_function_configuration(FunctionName="demo")["MemorySize"] == 1024


def test_the_creating_run_stops_cleanly_when_the_other_run_changed_its_function(
    harness: Harness, aws: AwsFactory
) -> None:
    def the_other_run_updates_it() -> None:
        # The other run met our function, read it and changed it after our create.
        aws("lambda").update_function_code(FunctionName="demo", ZipFile=_zip(b"theirs"))

    harness.proxy.meanwhile("PublishVersion", the_other_run_updates_it)

    with pytest.raises(DeployError) as caught:
        harness.target().deploy()

    assert caught.value.message.startswith("Another deploy of demo is running")
    assert "publish a version of demo" in caught.value.message
    (publish,) = harness.proxy.requests_for("PublishVersion")
    assert json.loads(publish.body)["RevisionId"]  # conditional on what our create left
    versions = aws("lambda").list_versions_by_function(FunctionName="demo")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST"]  # nothing of ours published


def _sha256(data: bytes) -> str:
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# --- LastUpdateStatus: an update that ends is noticed within 3 s; the deadline names it ----


def _timed_manager(harness: Harness, aws: AwsFactory, clock: SimClock) -> FunctionManager:
    """The deployed function, whose update reads InProgress until ``clock.ends_at``."""
    harness.target().deploy()
    harness.proxy.reset()

    def configuration() -> httpx.Response:
        real = aws("lambda").get_function_configuration(FunctionName="demo")
        real.pop("ResponseMetadata")
        if not clock.finished():
            real.update(LastUpdateStatus="InProgress", LastUpdateStatusReason="updating")
        return httpx.Response(200, json=real)

    harness.proxy.inject("GetFunctionConfiguration", configuration, times=10_000)
    harness.clock, harness.sleep = clock, clock.sleep
    harness.deadline_seconds = 900
    context = harness.context()
    config, problems = resolve(context)
    assert problems == []
    lam = boto3.client(
        "lambda",
        region_name=REGION,
        endpoint_url=harness.proxy.url,
        aws_access_key_id="AKIAWAITS00000000000",
        aws_secret_access_key="waits-secret",
    )
    return FunctionManager(
        lam, config, console=context.console, deadline=context.deadline, sleep=clock.sleep
    )


@pytest.mark.parametrize("ends_at", [0.0, 2.2, 61.3, 299.9])
def test_an_update_that_ends_is_noticed_within_3_s(
    harness: Harness, aws: AwsFactory, ends_at: float
) -> None:
    clock = SimClock(ends_at=ends_at)
    functions = _timed_manager(harness, aws, clock)
    ready = functions.wait_ready("update the code")
    assert ready["LastUpdateStatus"] == "Successful"
    assert 0.0 <= clock.lag <= OPERATION_POLL.worst_lag == 3.0
    assert max(clock.sleeps, default=0.0) <= 3.0
    assert harness.proxy.operations().count("GetFunctionConfiguration") == len(clock.reads)


def test_an_update_that_never_ends_stops_at_the_deadline(harness: Harness, aws: AwsFactory) -> None:
    clock = SimClock()
    functions = _timed_manager(harness, aws, clock)
    functions.deadline = clock.deadline(45)
    with pytest.raises(TimeoutExceededError) as caught:
        functions.wait_ready("update the code")
    assert caught.value.message == (
        "Gave up waiting for demo to become Active after I update the code: "
        "the deadline of 45 s passed."
    )
    assert clock.now == pytest.approx(45.0)
