"""The settings, resolved and checked offline: precedence, defaults, names, every problem
at once."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from pmcp_action.settings.deploy_toml import DeployConfig, ObservabilityConfig, ServerConfig
from pmcp_action.targets.aws_lambda.config import (
    default_session_name,
    managed_role_name,
    resolve,
)

from .helpers import offline_context


def _aws_table(**values: object) -> DeployConfig:
    return DeployConfig(
        server=ServerConfig(name="demo"),
        tables=MappingProxyType({"aws": MappingProxyType(dict(values))}),
    )


def _problems(tmp_path: Path, **kwargs: Any) -> list[str]:
    _config, problems = resolve(offline_context(tmp_path, **kwargs))
    return [p.render() for p in problems]


def test_defaults_are_cargo_pmcps(tmp_path: Path) -> None:
    config, problems = resolve(offline_context(tmp_path))
    assert problems == []
    assert config.function_name == "demo"
    assert (config.architecture, config.memory_mb, config.timeout_seconds) == ("arm64", 512, 30)
    assert config.log_retention_days == 30
    assert config.url_auth_type == "NONE"
    assert config.audience == "sts.amazonaws.com"
    assert config.log_group == "/aws/lambda/demo"
    assert config.managed_role_name == "demo-lambda-role"
    assert dict(config.tags) == {
        "managed-by": "pmcp",
        "pmcp:server": "demo",
        "target": "aws-lambda",
    }
    assert config.endpoint_url == ""


@pytest.mark.parametrize(
    ("region_input", "table", "environ", "expected"),
    [
        ("eu-west-1", {"region": "us-west-2"}, {"AWS_REGION": "ap-south-1"}, "eu-west-1"),
        ("", {"region": "us-west-2"}, {"AWS_REGION": "ap-south-1"}, "us-west-2"),
        ("", {}, {"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "sa-east-1"}, "ap-south-1"),
        ("", {}, {"AWS_DEFAULT_REGION": "sa-east-1"}, "sa-east-1"),
    ],
)
def test_region_precedence(
    tmp_path: Path, region_input: str, table: dict[str, str], environ: dict[str, str], expected: str
) -> None:
    context = offline_context(
        tmp_path, region=region_input, config=_aws_table(**table), environ=environ
    )
    config, problems = resolve(context)
    assert problems == []
    assert config.region == expected


def test_region_is_required(tmp_path: Path) -> None:
    problems = _problems(tmp_path, region="")
    assert any("no AWS region given" in p for p in problems)


def test_china_regions_use_the_china_audience_and_partition(tmp_path: Path) -> None:
    config, _ = resolve(offline_context(tmp_path, region="cn-north-1"))
    assert (config.audience, config.partition) == ("sts.amazonaws.com.cn", "aws-cn")
    config, _ = resolve(offline_context(tmp_path, region="cn-north-1", audience="custom"))
    assert config.audience == "custom"


def test_architecture_input_beats_the_table(tmp_path: Path) -> None:
    context = offline_context(
        tmp_path, architecture="arm64", config=_aws_table(architecture="x86_64")
    )
    assert resolve(context)[0].architecture == "arm64"
    context = offline_context(tmp_path, config=_aws_table(architecture="sparc"))
    config, problems = resolve(context)
    assert config.architecture == "arm64" and "unknown architecture" in problems[0].what


def test_endpoint_urls_follow_the_endpoint_rule(tmp_path: Path) -> None:
    config, problems = resolve(
        offline_context(
            tmp_path,
            environ={
                "AWS_ENDPOINT_URL": "http://127.0.0.1:4566/",
                "AWS_ENDPOINT_URL_STS": "https://sts.example.com",
            },
        )
    )
    assert problems == []
    assert config.endpoint_for("lambda") == "http://127.0.0.1:4566"
    assert config.endpoint_for("sts") == "https://sts.example.com"
    problems_text = _problems(tmp_path, environ={"AWS_ENDPOINT_URL": "http://aws.example.com"})
    assert any("plain http://" in p for p in problems_text)


def test_every_offline_problem_is_reported_together(tmp_path: Path) -> None:
    config = DeployConfig(
        server=ServerConfig(name="demo", memory_mb=64, timeout_seconds=901),
        observability=ObservabilityConfig(log_retention_days=31),
    )
    problems = _problems(
        tmp_path,
        config=config,
        environment={"AWS_REGION": "x", "BIG": "v" * 5000},
        lambda_role_arn="not-an-arn",
        role_session_name="bad name!",
        aws_access_key_id="AKIAONLYTHEID",
    )
    text = "\n".join(problems)
    assert "64 MB is outside" in text
    assert "901 s is outside" in text
    assert "retention of 31 days" in text
    assert "Lambda reserves AWS_REGION" in text
    assert "Lambda allows 4096 in total" in text
    assert "is not an IAM role ARN" in text
    assert "not a valid STS session name" in text
    assert "needs both its id and its secret" in text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"auth": "oidc", "role_to_assume": ""}, "auth is oidc, but no role"),
        ({"auth": "secrets"}, "auth is secrets, but no AWS access key"),
        ({"role_to_assume": ""}, "no AWS credentials"),
    ],
)
def test_credential_settings_are_checked(
    tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    assert any(message in p for p in _problems(tmp_path, **settings))


def test_a_temporary_key_without_its_session_token_is_refused(tmp_path: Path) -> None:
    keys = {"aws_access_key_id": "ASIAFAKESESSIONKEY01", "aws_secret_access_key": "s3cr3t"}
    problems = _problems(tmp_path, auth="secrets", role_to_assume="", **keys)
    assert any(
        "is a temporary access key id (ASIA…), which works only with its session token" in p
        and "pass aws-session-token" in p
        for p in problems
    ), problems
    given = _problems(tmp_path, auth="secrets", role_to_assume="", aws_session_token="t", **keys)
    assert not any("temporary access key id" in p for p in given), given


def test_ambient_refuses_a_credentials_file_the_action_container_cannot_see(
    tmp_path: Path,
) -> None:
    """In the Docker action's container RUNNER_TEMP is the runner's path, not mounted: only
    its _github_home is (at /github/home), and the workspace."""
    in_the_action = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "RUNNER_TEMP": "/home/runner/work/_temp",
        "PMCP_HOST_WORKSPACE": "/home/runner/work/calc/calc",
    }
    environ = {
        **in_the_action,
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/home/runner/work/_temp/web-identity-token",
        "AWS_SHARED_CREDENTIALS_FILE": "/home/runner/work/_temp/_github_home/.aws/credentials",
        "AWS_CONFIG_FILE": "/home/runner/work/calc/calc/.aws/config",
    }
    problems = _problems(tmp_path, auth="ambient", role_to_assume="", environ=environ)
    unseen = [p for p in problems if "which the action's container does not see" in p]
    assert unseen == [
        "environment variable AWS_WEB_IDENTITY_TOKEN_FILE: "
        "/home/runner/work/_temp/web-identity-token is in RUNNER_TEMP (/home/runner/work/_temp), "
        "which the action's container does not see: it sees the workspace and "
        "RUNNER_TEMP/_github_home — write the file into the workspace or "
        "RUNNER_TEMP/_github_home (the container's HOME), or use OIDC with role-to-assume"
    ], problems


def test_roles_of_accounts_outside_the_allow_list_are_refused(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        allowed_account_ids=("111111111111",),
        lambda_role_arn="arn:aws:iam::222222222222:role/exec",
    )
    assert sum("not in allowed-account-ids" in p for p in problems) == 2


def test_default_session_name_is_valid_for_sts() -> None:
    valid = re.compile(r"^[\w+=,.@-]{2,64}$")
    github = default_session_name({"GITHUB_REPOSITORY": "org/repo", "GITHUB_RUN_ID": "42"})
    assert github == "pmcp-org-repo-42"
    gitlab = default_session_name({"CI_PROJECT_PATH": "grp/sub/proj", "CI_PIPELINE_ID": "7"})
    assert gitlab == "pmcp-grp-sub-proj-7"
    long_name = default_session_name(
        {"GITHUB_REPOSITORY": "an-org/" + "r" * 90, "GITHUB_RUN_ID": "12345678901"}
    )
    assert valid.match(long_name) and long_name.endswith("-12345678901")
    assert default_session_name({}) == "pmcp"
    assert valid.match(default_session_name({"GITHUB_REPOSITORY": "ünïcode/répo"}))


def test_managed_role_name_fits_iam() -> None:
    assert managed_role_name("demo") == "demo-lambda-role"
    long_name = managed_role_name("x" * 64)
    assert len(long_name) <= 64 and long_name.endswith("-lambda-role")
    assert managed_role_name("x" * 64) != managed_role_name("x" * 63 + "y")


def test_account_ids_are_split_and_checked(tmp_path: Path) -> None:
    config, problems = resolve(
        offline_context(tmp_path, allowed_account_ids="123456789012, 210987654321")
    )
    assert problems == []
    assert config.allowed_account_ids == ("123456789012", "210987654321")
    rendered = _problems(tmp_path, allowed_account_ids="12345")
    assert any("'12345' is not a 12-digit AWS account id" in p for p in rendered)


def _with_secrets(tmp_path: Path, values: dict[str, str], **kwargs: Any) -> list[str]:
    from dataclasses import replace

    from pmcp_action.secrets import ServerSecrets

    context = offline_context(tmp_path, **kwargs)
    secrets = ServerSecrets(
        values=MappingProxyType(values),
        sources=MappingProxyType({name: "input 'secrets'" for name in values}),
    )
    context = replace(context, project=replace(context.project, secrets=secrets))
    _config, problems = resolve(context)
    return [p.render() for p in problems]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("AWS_REGION", "Lambda sets AWS_REGION itself"),
        ("AWS_API_TOKEN", "Lambda sets AWS_API_TOKEN itself"),
        ("LAMBDA_TASK_ROOT", "Lambda sets LAMBDA_TASK_ROOT itself"),
        ("_HANDLER", "Lambda does not take _HANDLER as an environment variable's name"),
        ("K", "Lambda does not take K as an environment variable's name"),
        ("_PRIVATE", "Lambda does not take _PRIVATE"),
        ("A" * 117, "its fingerprint's tag allows 116"),
    ],
)
def test_a_secret_name_lambda_forbids_is_a_problem(tmp_path: Path, name: str, said: str) -> None:
    problems = _with_secrets(tmp_path, {name: "value-1234", "API_KEY": "value-5678"})
    assert len(problems) == 1 and said in problems[0]
    assert "input 'secrets'" in problems[0] and "value-1234" not in problems[0]


def test_secret_values_lambda_takes_are_no_problem(tmp_path: Path) -> None:
    values = {
        "API_KEY": "a=b=c",
        "PEM": "-----BEGIN KEY-----\nMIIB\n-----END KEY-----",
        "db_url": "postgres://u:p@h/db",
        "UNICODE": "pässwörd✓",
    }
    assert _with_secrets(tmp_path, values) == []


def test_more_secrets_than_lambdas_tags_is_one_problem(tmp_path: Path) -> None:
    values = {f"S{i:03}": f"v{i:03}" for i in range(200)}
    problems = _with_secrets(tmp_path, values)
    assert any("200 secrets" in p and "give at most 47 secrets" in p for p in problems)
    assert all("v001" not in p for p in problems)


def test_an_environment_over_4_kb_names_the_sizes_never_a_value(tmp_path: Path) -> None:
    big = "x" * 65536
    problems = _with_secrets(tmp_path, {"CERT": big}, environment={"RUST_LOG": "info"})
    (problem,) = problems
    assert "would take 65565 bytes" in problem
    assert "[environment] 19 bytes" in problem and "the secrets given 65547 bytes" in problem
    assert "the largest secret, CERT, 65536 bytes" in problem and "4096" in problem
    assert "xxxx" not in problem


@pytest.mark.parametrize(
    ("arn", "said"),
    [
        ("alias/pmcp-deploy", "is not the ARN of a KMS key"),
        ("arn:aws:kms:us-east-1:123456789012:alias/team", "is not the ARN of a KMS key"),
        (
            "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-8444-555555555555",
            "the key is in eu-west-1, the function in us-east-1",
        ),
    ],
)
def test_kms_key_arn_is_a_key_of_the_functions_region(tmp_path: Path, arn: str, said: str) -> None:
    (problem,) = _problems(tmp_path, kms_key_arn=arn)
    assert said in problem and "input 'kms-key-arn'" in problem


def test_kms_key_arn_from_the_aws_table(tmp_path: Path) -> None:
    arn = "arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
    config, problems = resolve(offline_context(tmp_path, config=_aws_table(kms_key_arn=arn)))
    assert problems == [] and config.kms_key_arn == arn
