"""aws-lambda deploy against moto: first deploy, redeploys, unchanged, S3, URL auth, plan."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.deadline import Deadline
from pmcp_action.deploy_config import DeployConfig, ServerConfig
from pmcp_action.errors import DeployError, TimeoutExceededError
from pmcp_action.targets import create_target
from pmcp_action.targets.aws_lambda.target import AwsLambdaTarget
from tests.fakes.moto_server import MotoProxy
from tests.support.aws import ACCOUNT, DEPLOYER_ROLE, REGION, elf_bootstrap
from tests.support.context import make_context

from .conftest import AwsFactory, Harness

MUTATING_PREFIXES = ("Create", "Update", "Put", "Publish", "Add", "Attach", "Tag", "Delete")


def _mutations(proxy: MotoProxy) -> list[str]:
    return [
        op
        for op in proxy.operations()
        if op.startswith(MUTATING_PREFIXES) or op.startswith(("S3 PUT", "S3 POST"))
    ]


def test_create_target_builds_the_aws_lambda_target(harness: Harness) -> None:
    target = create_target(harness.context())
    assert isinstance(target, AwsLambdaTarget)
    assert target.name == "aws-lambda"
    assert list(target.validate()) == []


def test_first_deploy_creates_role_function_version_alias_url_and_log_group(
    harness: Harness, aws: AwsFactory
) -> None:
    result = harness.target().deploy()

    lam = aws("lambda")
    function = lam.get_function(FunctionName="demo")
    config = function["Configuration"]
    assert config["Runtime"] == "provided.al2023"
    assert config["Handler"] == "bootstrap"
    assert config["Architectures"] == ["arm64"]
    assert config["MemorySize"] == 256
    assert config["Timeout"] == 20
    assert config["Environment"]["Variables"] == {"RUST_LOG": "info", "GREETING": "hello"}
    assert config["Role"] == f"arn:aws:iam::{ACCOUNT}:role/demo-lambda-role"
    assert function["Tags"] == {
        "managed-by": "pmcp",
        "pmcp:server": "demo",
        "target": "aws-lambda",
    }

    alias = lam.get_alias(FunctionName="demo", Name="live")
    assert alias["FunctionVersion"] == "1"
    published = lam.get_function_configuration(FunctionName="demo", Qualifier="1")
    assert published["CodeSha256"] == config["CodeSha256"]

    url = lam.get_function_url_config(FunctionName="demo", Qualifier="live")
    assert url["AuthType"] == "NONE"
    assert url["InvokeMode"] == "BUFFERED"
    cors = url["Cors"]
    assert cors["AllowOrigins"] == ["*"]
    assert sorted(cors["AllowMethods"]) == ["DELETE", "GET", "POST"]
    assert "*" in cors["AllowHeaders"] and "authorization" in cors["AllowHeaders"]
    assert {"mcp-session-id", "mcp-protocol-version"} <= set(cors["ExposeHeaders"])

    iam = aws("iam")
    role = iam.get_role(RoleName="demo-lambda-role")["Role"]
    assert {t["Key"]: t["Value"] for t in role["Tags"]}["managed-by"] == "pmcp"
    assert "lambda.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"])
    attached = iam.list_attached_role_policies(RoleName="demo-lambda-role")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSLambdaBasicExecutionRole"]

    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/demo")["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [("/aws/lambda/demo", 14)]
    log_tags = aws("logs").list_tags_for_resource(resourceArn=groups[0]["logGroupArn"])["tags"]
    assert log_tags["pmcp:server"] == "demo"

    assert result.url == url["FunctionUrl"].rstrip("/") + "/"
    assert result.health_url == result.url
    assert result.version == "1"
    assert result.previous_version == ""
    assert result.outputs["arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:demo:live"
    assert result.outputs["function-name"] == "demo"
    assert result.region == REGION
    assert result.unchanged is False
    assert result.can_roll_back is False
    assert result.outputs["log-group"] == "/aws/lambda/demo"
    assert result.identity.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gh-deployer/")
    assert any(r.startswith("CreateFunction ") for r in result.request_ids)
    assert {c.action for c in result.changes} == {"create"}


def test_public_url_gets_both_resource_permissions(harness: Harness, aws: AwsFactory) -> None:
    harness.target().deploy()

    adds = harness.proxy.requests_for("AddPermission")
    statements = {r.json()["StatementId"]: r.json() for r in adds}
    assert all(parse_qs(r.query)["Qualifier"] == ["live"] for r in adds)
    assert statements["pmcp-function-url-public"] == {
        "StatementId": "pmcp-function-url-public",
        "Action": "lambda:InvokeFunctionUrl",
        "Principal": "*",
        "FunctionUrlAuthType": "NONE",
    }
    assert statements["pmcp-function-url-invoke"] == {
        "StatementId": "pmcp-function-url-invoke",
        "Action": "lambda:InvokeFunction",
        "Principal": "*",
        "InvokedViaFunctionUrl": True,
    }
    policy = json.loads(aws("lambda").get_policy(FunctionName="demo", Qualifier="live")["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} == set(statements)


def test_redeploy_with_new_code_publishes_a_version_and_moves_the_alias(
    harness: Harness, aws: AwsFactory
) -> None:
    first = harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.proxy.reset()

    second = harness.target().deploy()

    assert (second.version, second.previous_version) == ("2", "1")
    assert second.unchanged is False
    assert second.can_roll_back is True
    assert second.url == first.url  # the URL lives on the alias: it never changes
    lam = aws("lambda")
    alias = lam.get_alias(FunctionName="demo", Name="live")
    assert alias["FunctionVersion"] == "2"
    assert "previous-version=1" in alias["Description"]
    v1 = lam.get_function_configuration(FunctionName="demo", Qualifier="1")["CodeSha256"]
    v2 = lam.get_function_configuration(FunctionName="demo", Qualifier="2")["CodeSha256"]
    assert v1 != v2
    operations = harness.proxy.operations()
    assert operations.count("UpdateFunctionCode") == 1
    assert "UpdateFunctionConfiguration" not in operations  # configuration did not change
    assert "CreateRole" not in operations
    assert "CreateFunctionUrlConfig" not in operations and "AddPermission" not in operations
    # The alias moved only after the new version was published.
    assert operations.index("PublishVersion") < operations.index("UpdateAlias")
    code_change = [c for c in second.changes if "code" in c.detail]
    assert code_change and "→" in code_change[0].detail


def test_redeploy_unchanged_changes_nothing(harness: Harness, aws: AwsFactory) -> None:
    harness.target().deploy()
    harness.proxy.reset()

    result = harness.target().deploy()

    assert result.unchanged is True
    assert result.version == "1"
    assert result.changes == ()
    assert _mutations(harness.proxy) == []
    assert "AssumeRoleWithWebIdentity" in harness.proxy.operations()
    versions = aws("lambda").list_versions_by_function(FunctionName="demo")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert "already serves this code and configuration" in harness.last_output


def test_configuration_change_alone_publishes_without_uploading_code(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.environment["GREETING"] = "bonjour"
    harness.proxy.reset()

    result = harness.target().deploy()

    assert result.version == "2"
    operations = harness.proxy.operations()
    assert "UpdateFunctionConfiguration" in operations
    assert "UpdateFunctionCode" not in operations
    env = aws("lambda").get_function_configuration(FunctionName="demo", Qualifier="2")
    assert env["Environment"]["Variables"]["GREETING"] == "bonjour"
    # Only the name of a changed variable is reported, never its value.
    details = " ".join(c.detail for c in result.changes)
    assert "~GREETING" in details and "bonjour" not in details


def test_redeploy_after_an_interrupted_deploy_reuses_the_published_version(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target().deploy()
    # Put the alias back to 1 as an interrupted or rolled back run would leave it.
    aws("lambda").update_alias(FunctionName="demo", Name="live", FunctionVersion="1")
    harness.proxy.reset()

    result = harness.target().deploy()

    assert (result.version, result.previous_version) == ("2", "1")
    assert "PublishVersion" not in harness.proxy.operations()
    assert "UpdateFunctionCode" not in harness.proxy.operations()


def test_architecture_x86_64_from_the_config_table(harness: Harness, aws: AwsFactory) -> None:
    from dataclasses import replace
    from types import MappingProxyType

    harness.config = replace(
        harness.config,
        tables=MappingProxyType({"aws": MappingProxyType({"architecture": "x86_64"})}),
    )
    harness.write_bootstrap(b"x86", machine=62)

    harness.target().deploy()

    config = aws("lambda").get_function_configuration(FunctionName="demo")
    assert config["Architectures"] == ["x86_64"]


def test_large_zip_goes_through_a_private_tagged_s3_bucket(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target(direct_upload_limit=10).deploy()

    bucket = f"pmcp-deploy-{ACCOUNT}-{REGION}"
    s3 = aws("s3")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["managed-by"] == "pmcp"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("demo/bootstrap-") and keys[0].endswith(".zip")
    create = harness.proxy.requests_for("CreateFunction")[0].json()
    assert create["Code"] == {"S3Bucket": bucket, "S3Key": keys[0]}

    harness.write_bootstrap(b"v2")
    harness.proxy.reset()
    harness.target(direct_upload_limit=10).deploy()
    update = harness.proxy.requests_for("UpdateFunctionCode")[0].json()
    assert update["S3Bucket"] == bucket and update["S3Key"] != keys[0]
    assert "CreateBucket" not in " ".join(harness.proxy.operations())


def test_aws_iam_url_has_no_public_permissions_and_switching_removes_them(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.proxy.reset()

    result = harness.target(function_url_auth_type="AWS_IAM").deploy()

    url = aws("lambda").get_function_url_config(FunctionName="demo", Qualifier="live")
    assert url["AuthType"] == "AWS_IAM"
    removed = [r.path.rsplit("/", 1)[-1] for r in harness.proxy.requests_for("RemovePermission")]
    assert sorted(removed) == ["pmcp-function-url-invoke", "pmcp-function-url-public"]
    assert "AddPermission" not in harness.proxy.operations()
    assert result.unchanged is False  # the URL changed although no new version was needed
    assert result.version == "1"
    assert any("SigV4" in note for note in result.notes)


def test_plan_changes_nothing_and_lists_what_deploy_would_do(
    harness: Harness, aws: AwsFactory
) -> None:
    plan = harness.target().plan()

    assert _mutations(harness.proxy) == []
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
    assert _mutations(harness.proxy) == []
    assert plan.unchanged is False
    details = [c.detail for c in plan.changes if c.resource == "Lambda function demo"]
    assert any(d.startswith("code ") for d in details)
    assert ("update", "alias live") in {(c.action, c.resource) for c in plan.changes}


def test_outputs_reads_the_live_deployment(harness: Harness) -> None:
    deployed = harness.target().deploy()
    harness.proxy.reset()

    outputs = harness.target().outputs()

    assert outputs.url == deployed.url
    assert outputs.version == "1"
    assert outputs.outputs["arn"] == deployed.outputs["arn"]
    assert outputs.outputs["log-group"] == "/aws/lambda/demo"
    assert _mutations(harness.proxy) == []


def test_outputs_without_a_deployment_fails(harness: Harness) -> None:
    with pytest.raises(
        DeployError, match="No outputs: there is no Lambda function demo in us-east-1"
    ):
        harness.target().outputs()


def test_function_of_a_cloudformation_stack_is_not_touched(
    harness: Harness, aws: AwsFactory
) -> None:
    aws("iam").create_role(RoleName="other", AssumeRolePolicyDocument="{}")
    aws("lambda").create_function(
        FunctionName="demo",
        Runtime="provided.al2023",
        Role=f"arn:aws:iam::{ACCOUNT}:role/other",
        Handler="bootstrap",
        Code={"ZipFile": b"PK"},
        Tags={"aws:cloudformation:stack-name": "demo-stack"},
    )

    with pytest.raises(DeployError, match="CloudFormation stack demo-stack"):
        harness.target().deploy()

    assert _mutations(harness.proxy) == []


def test_mcp_path_is_appended_to_the_function_url(harness: Harness) -> None:
    from dataclasses import replace
    from types import MappingProxyType

    harness.config = replace(
        harness.config, tables=MappingProxyType({"server": MappingProxyType({"mcp_path": "/mcp"})})
    )
    result = harness.target().deploy()
    assert result.url.endswith(".on.aws/mcp")
    assert result.health_url.endswith(".on.aws/")


def test_xray_tracing_follows_observability_enable_xray(harness: Harness, aws: AwsFactory) -> None:
    harness.target().deploy()
    lam = aws("lambda")
    assert (
        lam.get_function_configuration(FunctionName="demo")["TracingConfig"]["Mode"]
        == "PassThrough"
    )

    harness.config = replace(
        harness.config,
        observability=replace(harness.config.observability, enable_xray=True),
    )
    harness.proxy.reset()
    result = harness.target().deploy()

    # moto ignores TracingConfig on update (real Lambda applies it): check the request itself.
    [update] = harness.proxy.requests_for("UpdateFunctionConfiguration")
    assert json.loads(update.body)["TracingConfig"] == {"Mode": "Active"}
    assert result.unchanged is False
    assert any("tracing PassThrough → Active" in c.detail for c in result.changes), result.changes


def test_the_artifact_is_read_within_the_run_deadline(tmp_path: Path) -> None:
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_bytes(elf_bootstrap(b"v1"))
    context = make_context(
        target="aws-lambda",
        root=tmp_path,
        # Complete inputs: the flow refuses inputs with problems before the artifact is read.
        inputs={
            "server_name": "demo",
            "region": REGION,
            "role_to_assume": DEPLOYER_ROLE,
            "artifact": bootstrap,
        },
        config=DeployConfig(server=ServerConfig(name="demo")),
        console=Platform(environ={}, log_stream=io.StringIO()),
        deadline=Deadline(0),  # passed before the first chunk
    )

    with pytest.raises(TimeoutExceededError) as caught:
        AwsLambdaTarget(context).plan()

    assert caught.value.message == (
        "Stopped reading artifact input bootstrap after 0.0 MiB (0 bytes): the run's deadline "
        "of 0 s passed."
    )
