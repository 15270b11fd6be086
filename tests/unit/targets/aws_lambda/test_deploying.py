"""The steps against moto: first deploy, redeploys, unchanged, adoption, outputs, rollback,
destroy, and the published version's description."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pmcp_action.context import Project
from pmcp_action.errors import DeployError
from pmcp_action.settings.deploy_toml import DeployConfig
from pmcp_action.targets.aws_lambda.deploying import version_description
from pmcp_action.targets.aws_lambda.survey import PACKAGE_MARK, recorded_package_sha256
from tests.support.aws import ACCOUNT, REGION

from .helpers import AwsFactory, Harness, mutations


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
    # live's URL stays; the candidate alias got one of its own, with the same permissions.
    made = harness.proxy.requests_for("CreateFunctionUrlConfig")
    assert [r.query for r in made] == ["Qualifier=candidate"]
    assert {r.query for r in harness.proxy.requests_for("AddPermission")} == {"Qualifier=candidate"}
    assert lam.get_alias(FunctionName="demo", Name="candidate")["FunctionVersion"] == "2"
    # Published, staged behind candidate, and only then live moved.
    assert (
        operations.index("PublishVersion")
        < operations.index("CreateAlias")
        < operations.index("UpdateAlias")
    )
    code_change = [c for c in second.changes if "code" in c.detail]
    assert code_change and "→" in code_change[0].detail


def test_redeploy_unchanged_changes_nothing(harness: Harness, aws: AwsFactory) -> None:
    harness.target().deploy()
    harness.proxy.reset()

    result = harness.target().deploy()

    assert result.unchanged is True
    assert result.version == "1"
    assert result.changes == ()
    assert mutations(harness.proxy) == []
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


def test_outputs_reads_the_live_deployment(harness: Harness) -> None:
    deployed = harness.target().deploy()
    harness.proxy.reset()

    outputs = harness.target().outputs()

    assert outputs.url == deployed.url
    assert outputs.version == "1"
    assert outputs.outputs["arn"] == deployed.outputs["arn"]
    assert outputs.outputs["log-group"] == "/aws/lambda/demo"
    assert mutations(harness.proxy) == []


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

    assert mutations(harness.proxy) == []


def _function_made_elsewhere(aws: AwsFactory, **tags: str) -> None:
    aws("iam").create_role(RoleName="theirs", AssumeRolePolicyDocument="{}")
    aws("lambda").create_function(
        FunctionName="demo",
        Runtime="provided.al2023",
        Role=f"arn:aws:iam::{ACCOUNT}:role/theirs",
        Handler="bootstrap",
        Code={"ZipFile": b"PK"},
        Tags=tags,
    )


def test_a_function_made_elsewhere_is_adopted_with_a_warning(
    harness: Harness, aws: AwsFactory
) -> None:
    _function_made_elsewhere(aws, team="web")

    result = harness.target().deploy()

    assert result.version == "1" and result.unchanged is False
    assert "warning: Existing Lambda function: The function demo exists" in harness.last_output
    assert ("update", "Lambda function demo", "tags") in {
        (c.action, c.resource, c.detail) for c in result.changes
    }
    tags = aws("lambda").get_function(FunctionName="demo")["Tags"]
    assert tags["managed-by"] == "pmcp" and tags["pmcp:server"] == "demo"
    assert tags["team"] == "web"  # what it carried stays
    # From now on it is ours: destroy deletes it.
    harness.target().destroy()
    assert aws("lambda").list_functions()["Functions"] == []


def test_a_stack_function_with_our_tags_is_the_stacks(harness: Harness, aws: AwsFactory) -> None:
    _function_made_elsewhere(
        aws,
        **{
            "managed-by": "pmcp",
            "pmcp:server": "demo",
            "aws:cloudformation:stack-name": "demo-stack",
        },
    )

    with pytest.raises(DeployError, match="CloudFormation stack demo-stack"):
        harness.target().deploy()
    with pytest.raises(DeployError, match="was not made by pmcp-action") as caught:
        harness.target().destroy()

    assert "its CloudFormation stack" in caught.value.remediation
    assert mutations(harness.proxy) == []
    assert len(aws("lambda").list_functions()["Functions"]) == 1


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


def _deploy_two_versions(harness: Harness) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target().deploy()


def test_rollback_moves_live_back_to_the_previous_version(
    harness: Harness, aws: AwsFactory
) -> None:
    _deploy_two_versions(harness)
    harness.proxy.reset()

    result = harness.target().rollback("")

    assert (result.version, result.previous_version) == ("1", "2")
    assert result.can_roll_back is True
    assert result.url.startswith("https://")
    assert aws("lambda").get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == "1"
    mutations = [op for op in harness.proxy.operations() if op.startswith(("Update", "Publish"))]
    assert mutations == ["UpdateAlias"]  # seconds, no rebuild, no new version
    assert "UpdateAlias" in " ".join(result.request_ids)

    # Rolling back again returns to 2: the alias remembers where it came from.
    again = harness.target().rollback("")
    assert (again.version, again.previous_version) == ("2", "1")


def test_rollback_to_an_explicit_version(harness: Harness, aws: AwsFactory) -> None:
    _deploy_two_versions(harness)
    harness.write_bootstrap(b"v3")
    harness.target().deploy()

    result = harness.target().rollback("1")

    assert (result.version, result.previous_version) == ("1", "3")
    assert aws("lambda").get_alias(FunctionName="demo", Name="live")["FunctionVersion"] == "1"


def test_rollback_to_the_live_version_is_a_no_op(harness: Harness) -> None:
    _deploy_two_versions(harness)
    harness.proxy.reset()

    result = harness.target().rollback("2")

    assert result.unchanged is True
    assert "UpdateAlias" not in harness.proxy.operations()


@pytest.mark.parametrize(
    ("to_version", "message"),
    [("", "No previous version of demo is recorded"), ("9", "Version 9 of demo does not exist")],
)
def test_rollback_refuses_what_it_cannot_do(
    harness: Harness, to_version: str, message: str
) -> None:
    harness.target().deploy()

    with pytest.raises(DeployError, match=message):
        harness.target().rollback(to_version)


def test_rollback_without_a_deployment_fails(harness: Harness) -> None:
    with pytest.raises(DeployError, match="nothing to roll back"):
        harness.target().rollback("")


def test_destroy_deletes_url_alias_function_and_our_role_but_keeps_logs(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    harness.write_bootstrap(b"v2")
    harness.target().deploy()  # alias candidate and its URL exist now
    harness.proxy.reset()

    result = harness.target().destroy()

    operations = harness.proxy.operations()
    order = [
        operations.index(op)
        for op in ("DeleteFunctionUrlConfig", "DeleteAlias", "DeleteFunction", "DeleteRole")
    ]
    assert order == sorted(order)
    deleted = [
        (r.path.rsplit("/", 1)[-1], r.query)
        for r in harness.proxy.requests
        if harness.proxy.operation(r) in ("DeleteFunctionUrlConfig", "DeleteAlias")
    ]
    assert deleted == [
        ("url", "Qualifier=candidate"),
        ("candidate", ""),
        ("url", "Qualifier=live"),
        ("live", ""),
    ]
    assert {(c.action, c.resource) for c in result.changes} >= {
        ("delete", "function URL demo:candidate"),
        ("delete", "alias candidate"),
        ("delete", "function URL demo:live"),
        ("delete", "alias live"),
    }
    lam = aws("lambda")
    assert lam.list_functions()["Functions"] == []
    roles = [r["RoleName"] for r in aws("iam").list_roles()["Roles"]]
    assert "demo-lambda-role" not in roles
    groups = aws("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/demo")["logGroups"]
    assert len(groups) == 1
    assert ("keep", "log group /aws/lambda/demo") in {
        (c.action, c.resource) for c in result.changes
    }

    with pytest.raises(DeployError, match="Nothing to destroy") as nothing:
        harness.target().destroy()
    assert nothing.value.title == "Nothing deployed"


def test_destroy_refuses_a_function_pmcp_did_not_create(harness: Harness, aws: AwsFactory) -> None:
    aws("iam").create_role(RoleName="theirs", AssumeRolePolicyDocument="{}")
    aws("lambda").create_function(
        FunctionName="demo",
        Runtime="provided.al2023",
        Role=f"arn:aws:iam::{ACCOUNT}:role/theirs",
        Handler="bootstrap",
        Code={"ZipFile": b"PK"},
    )

    with pytest.raises(DeployError, match="was not made by pmcp-action"):
        harness.target().destroy()

    assert len(aws("lambda").list_functions()["Functions"]) == 1


def test_the_recorded_hash_always_fits_the_description() -> None:
    digest = "ab" * 32
    project = Project(root=Path("."), config=DeployConfig(), server_name="demo", version="1.2.3")
    environ = {"GITHUB_REPOSITORY": "o/" + "r" * 300, "GITHUB_SHA": "f" * 40}

    text = version_description(project, environ, digest)

    assert len(text) == 256
    assert text.endswith(f", {PACKAGE_MARK}{digest}")
    assert recorded_package_sha256(text) == digest
    assert version_description(project, {}, "") == "pmcp-deploy-action, server 1.2.3"


def test_ephemeral_storage_is_set_on_create_and_on_change(harness: Harness, aws: AwsFactory):
    harness.config = replace(
        harness.config, server=replace(harness.config.server, ephemeral_storage_mb=2048)
    )
    harness.target().deploy()
    lam = aws("lambda")
    assert lam.get_function_configuration(FunctionName="demo")["EphemeralStorage"] == {"Size": 2048}

    harness.config = replace(
        harness.config, server=replace(harness.config.server, ephemeral_storage_mb=4096)
    )
    second = harness.target().deploy()
    assert second.unchanged is False
    # moto keeps the size it was created with; what Lambda was asked for is the request's.
    (update,) = harness.proxy.requests_for("UpdateFunctionConfiguration")
    assert json.loads(update.body)["EphemeralStorage"] == {"Size": 4096}
