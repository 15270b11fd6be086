"""The server's secrets on Lambda, against moto: the environment encrypted with alias
pmcp-deploy's key (created once), the role's grant, a fingerprint tag per secret; set,
unchanged, changed, kept, pruned, rolled back; a caller that may not decrypt; destroy."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest

from pmcp_action.errors import ConfigError, DeployError, RemoteApiError, ValidationError
from pmcp_action.secrets import fingerprint
from pmcp_action.targets.aws_lambda.kms import DEFAULT_ALIAS, ENCRYPTION_CONTEXT_KEY
from tests.fakes.aws_lambda import kms_error
from tests.support.aws import ACCOUNT, REGION

from .helpers import AwsFactory, Harness, mutations

API_KEY = "sk-live-4f1c9a7e2b"
DB_URL = "postgres://app:pa55-w0rd@db.internal:5432/app"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:demo"


def statuses(result: Any) -> dict[str, str]:
    return {s.name: s.status.value for s in result.secrets}


def environment(aws: AwsFactory, qualifier: str = "") -> dict[str, str]:
    extra = {"Qualifier": qualifier} if qualifier else {}
    config = aws("lambda").get_function_configuration(FunctionName="demo", **extra)
    return dict(config["Environment"]["Variables"])


def secret_tags(aws: AwsFactory) -> dict[str, str]:
    tags = aws("lambda").get_function(FunctionName="demo")["Tags"]
    return {k: v for k, v in tags.items() if k.startswith("pmcp:secret:")}


def assert_never_shown(harness: Harness, *values: str) -> None:
    text = harness.output
    for value in values:
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


def key_arn(aws: AwsFactory) -> str:
    return str(aws("kms").describe_key(KeyId=DEFAULT_ALIAS)["KeyMetadata"]["Arn"])


def test_first_deploy_encrypts_the_secrets_with_a_key_it_creates_once(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"API_KEY": API_KEY, "DB_URL": DB_URL}

    result = harness.target().deploy()

    assert statuses(result) == {"API_KEY": "set", "DB_URL": "set"}
    config = aws("lambda").get_function_configuration(FunctionName="demo", Qualifier="1")
    assert config["Environment"]["Variables"] == {
        "RUST_LOG": "info",
        "GREETING": "hello",
        "API_KEY": API_KEY,
        "DB_URL": DB_URL,
    }
    key = key_arn(aws)
    assert config["KMSKeyArn"] == key
    kms = aws("kms")
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key)["Tags"]}
    assert tags["managed-by"] == "pmcp" and tags["pmcp:alias"] == DEFAULT_ALIAS
    (grant,) = kms.list_grants(KeyId=key)["Grants"]
    assert grant["Name"] == "pmcp-demo"
    assert grant["GranteePrincipal"] == f"arn:aws:iam::{ACCOUNT}:role/demo-lambda-role"
    assert grant["Operations"] == ["Decrypt"]
    assert grant["Constraints"] == {
        "EncryptionContextEquals": {ENCRYPTION_CONTEXT_KEY: FUNCTION_ARN}
    }
    assert secret_tags(aws) == {
        "pmcp:secret:API_KEY": fingerprint(API_KEY, salt="aws-lambda/demo/API_KEY"),
        "pmcp:secret:DB_URL": fingerprint(DB_URL, salt="aws-lambda/demo/DB_URL"),
    }
    # The key first: a missing permission to create it would have changed nothing.
    operations = mutations(harness.proxy)
    assert operations.index("CreateKey") < operations.index("CreateRole")
    assert operations.index("CreateGrant") < operations.index("CreateFunction")
    # The tags once live serves (the last CreateAlias is Lambda's; the first, KMS's).
    last_alias = len(operations) - 1 - operations[::-1].index("CreateAlias")
    assert last_alias < operations.index("TagResource")
    assert_never_shown(harness, API_KEY, DB_URL)

    # A second server in the account and Region uses the same key: none is created.
    harness.settings["server_name"] = "other"
    harness.config = replace(harness.config, server=replace(harness.config.server, name="other"))
    harness.proxy.reset()
    harness.target().deploy()
    assert "CreateKey" not in harness.proxy.operations()
    assert len(kms.list_keys()["Keys"]) == 1


def test_unchanged_secrets_write_nothing_and_publish_nothing(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"API_KEY": API_KEY, "DB_URL": DB_URL}
    harness.target().deploy()
    harness.proxy.reset()

    result = harness.target().deploy()

    assert result.unchanged is True and result.version == "1"
    assert statuses(result) == {"API_KEY": "unchanged", "DB_URL": "unchanged"}
    assert mutations(harness.proxy) == []
    plan = harness.target().plan()
    assert plan.unchanged is True
    assert ("keep", "secrets of demo", "unchanged API_KEY, DB_URL") in {
        (c.action, c.resource, c.detail) for c in plan.changes
    }
    assert_never_shown(harness, API_KEY, DB_URL)


def test_a_changed_secret_publishes_a_version_and_the_previous_one_keeps_its_value(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"API_KEY": API_KEY, "DB_URL": DB_URL}
    harness.target().deploy()
    harness.secrets = {"API_KEY": "sk-live-rotated-0001", "DB_URL": DB_URL}
    harness.proxy.reset()

    result = harness.target().deploy()

    assert (result.version, result.previous_version) == ("2", "1")
    assert statuses(result) == {"API_KEY": "set", "DB_URL": "unchanged"}
    assert environment(aws, "2")["API_KEY"] == "sk-live-rotated-0001"
    assert environment(aws, "1")["API_KEY"] == API_KEY
    operations = harness.proxy.operations()
    assert "UpdateFunctionConfiguration" in operations and "UpdateFunctionCode" not in operations
    assert secret_tags(aws)["pmcp:secret:API_KEY"] == fingerprint(
        "sk-live-rotated-0001", salt="aws-lambda/demo/API_KEY"
    )
    details = " ".join(c.detail for c in result.changes)
    assert "~API_KEY" in details
    assert_never_shown(harness, API_KEY, DB_URL, "sk-live-rotated-0001")


def test_a_secret_not_given_is_kept_through_a_code_change(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"API_KEY": API_KEY, "DB_URL": DB_URL}
    harness.target().deploy()
    harness.secrets = {"DB_URL": DB_URL}
    harness.write_bootstrap(b"v2")
    harness.proxy.reset()

    result = harness.target().deploy()

    assert result.version == "2"
    assert statuses(result) == {"API_KEY": "kept", "DB_URL": "unchanged"}
    assert environment(aws, "2")["API_KEY"] == API_KEY
    assert "UpdateFunctionConfiguration" not in harness.proxy.operations()
    # A configuration change rewrites the whole environment: the kept value goes with it.
    harness.environment["GREETING"] = "bonjour"
    result = harness.target().deploy()
    assert result.version == "3" and statuses(result)["API_KEY"] == "kept"
    assert environment(aws, "3") == {
        "RUST_LOG": "info",
        "GREETING": "bonjour",
        "API_KEY": API_KEY,
        "DB_URL": DB_URL,
    }
    assert set(secret_tags(aws)) == {"pmcp:secret:API_KEY", "pmcp:secret:DB_URL"}
    assert_never_shown(harness, API_KEY, DB_URL)


def test_prune_removes_only_what_it_stored_and_not_a_required_secret(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"API_KEY": API_KEY, "DB_URL": DB_URL, "TOKEN": "tok-93af0c"}
    harness.target().deploy()
    harness.secrets = {"DB_URL": DB_URL}
    harness.prune_secrets = True
    harness.required_secrets = ("TOKEN",)

    result = harness.target().deploy()

    assert statuses(result) == {"API_KEY": "removed", "DB_URL": "unchanged", "TOKEN": "kept"}
    assert result.version == "2"
    assert environment(aws, "2") == {
        "RUST_LOG": "info",
        "GREETING": "hello",
        "DB_URL": DB_URL,
        "TOKEN": "tok-93af0c",
    }
    assert set(secret_tags(aws)) == {"pmcp:secret:DB_URL", "pmcp:secret:TOKEN"}
    assert_never_shown(harness, API_KEY, DB_URL, "tok-93af0c")


def test_a_required_secret_stored_earlier_needs_no_value(harness: Harness) -> None:
    harness.secrets = {"API_KEY": API_KEY}
    harness.target().deploy()
    harness.secrets = {}
    harness.required_secrets = ("API_KEY",)

    result = harness.target().deploy()
    assert statuses(result) == {"API_KEY": "kept"} and result.unchanged is True

    harness.required_secrets = ("API_KEY", "DB_URL")
    harness.proxy.reset()
    with pytest.raises(ValidationError, match="requires the secret DB_URL"):
        harness.target().deploy()
    assert mutations(harness.proxy) == []


def test_a_rollback_puts_the_previous_secrets_tags_back(harness: Harness, aws: AwsFactory) -> None:
    harness.secrets = {"API_KEY": API_KEY}
    harness.target().deploy()
    harness.secrets = {"API_KEY": "sk-live-rotated-0002"}
    harness.target().deploy()

    rolled = harness.target().rollback("")

    assert rolled.version == "1"
    assert secret_tags(aws) == {
        "pmcp:secret:API_KEY": fingerprint(API_KEY, salt="aws-lambda/demo/API_KEY")
    }
    # What serves again is the original value: giving it again changes nothing.
    harness.secrets = {"API_KEY": API_KEY}
    harness.proxy.reset()
    result = harness.target().deploy()
    assert result.unchanged is True and statuses(result) == {"API_KEY": "unchanged"}
    assert mutations(harness.proxy) == []
    assert_never_shown(harness, API_KEY, "sk-live-rotated-0002")


def test_a_stale_tag_never_hides_a_changed_value(harness: Harness, aws: AwsFactory) -> None:
    harness.secrets = {"API_KEY": API_KEY}
    harness.target().deploy()
    # Someone (or an interrupted run) wrote a tag that does not describe what serves.
    aws("lambda").tag_resource(
        Resource=FUNCTION_ARN,
        Tags={"pmcp:secret:API_KEY": fingerprint("another", salt="aws-lambda/demo/API_KEY")},
    )
    harness.secrets = {"API_KEY": "another"}

    result = harness.target().deploy()

    assert statuses(result) == {"API_KEY": "set"} and result.version == "2"
    assert environment(aws, "2")["API_KEY"] == "another"


def test_without_kms_decrypt_a_kept_secret_stops_the_deploy_before_any_change(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"API_KEY": API_KEY, "DB_URL": DB_URL}
    harness.target().deploy()
    harness.secrets = {"DB_URL": DB_URL}
    harness.write_bootstrap(b"v2")
    harness.proxy.reset()
    harness.proxy.decrypt_denied = True

    with pytest.raises(DeployError) as raised:
        harness.target().deploy()

    assert "cannot keep the secrets API_KEY" in raised.value.message
    assert "kms:Decrypt" in raised.value.message and "Nothing was changed" in raised.value.message
    assert "kms:Decrypt on" in raised.value.remediation
    assert mutations(harness.proxy) == []
    assert "Environment not readable" in harness.last_output

    # Every secret given: nothing needs reading, so the deploy writes them all.
    harness.secrets = {"API_KEY": API_KEY, "DB_URL": DB_URL}
    result = harness.target().deploy()
    assert result.version == "2"
    assert statuses(result) == {"API_KEY": "unchanged", "DB_URL": "unchanged"}
    assert environment(aws, "2")["API_KEY"] == API_KEY
    assert_never_shown(harness, API_KEY, DB_URL)


def test_a_missing_permission_to_create_the_key_is_named_and_changes_nothing(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"API_KEY": API_KEY}
    harness.proxy.inject(
        "CreateKey",
        lambda: kms_error(
            400,
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/gh-deployer/run is not authorized to "
            "perform: kms:CreateKey on resource: *",
        ),
    )

    with pytest.raises(RemoteApiError) as raised:
        harness.target().deploy()

    error = raised.value
    assert "lacks kms:CreateKey" in error.message and "Nothing was changed" in error.message
    assert "kms:CreateAlias" in error.remediation and "kms-key-arn" in error.remediation
    assert mutations(harness.proxy) == ["CreateKey"]
    assert aws("lambda").list_functions()["Functions"] == []
    assert aws("iam").list_roles()["Roles"] == []


def test_a_key_given_by_kms_key_arn_is_used_and_never_created(
    harness: Harness, aws: AwsFactory
) -> None:
    theirs = aws("kms").create_key(Description="team key")["KeyMetadata"]["Arn"]
    harness.secrets = {"API_KEY": API_KEY}

    harness.target(kms_key_arn=theirs).deploy()

    assert "CreateKey" not in harness.proxy.operations()
    config = aws("lambda").get_function_configuration(FunctionName="demo")
    assert config["KMSKeyArn"] == theirs
    assert [g["Name"] for g in aws("kms").list_grants(KeyId=theirs)["Grants"]] == ["pmcp-demo"]


def test_a_missing_given_key_is_named_before_any_change(harness: Harness) -> None:
    missing = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-4333-8444-555555555555"
    harness.secrets = {"API_KEY": API_KEY}

    with pytest.raises(ConfigError, match="does not exist") as raised:
        harness.target(kms_key_arn=missing).deploy()

    assert "kms-key-arn" in raised.value.message
    assert mutations(harness.proxy) == []


def test_two_first_deploys_at_once_share_one_key(harness: Harness, aws: AwsFactory) -> None:
    kms = aws("kms")
    rival: dict[str, str] = {}

    def the_other_deploy_wins() -> Any:
        rival["arn"] = kms.create_key(Description="rival")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=DEFAULT_ALIAS, TargetKeyId=rival["arn"])
        return kms_error(400, "AlreadyExistsException", f"An alias with the name {DEFAULT_ALIAS}")

    harness.proxy.inject("CreateAlias", the_other_deploy_wins)
    harness.secrets = {"API_KEY": API_KEY}

    harness.target().deploy()

    config = aws("lambda").get_function_configuration(FunctionName="demo")
    assert config["KMSKeyArn"] == rival["arn"]
    states = sorted(
        kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"]
        for k in kms.list_keys()["Keys"]
    )
    assert states == ["Enabled", "PendingDeletion"]


def test_a_lost_create_key_answer_is_sent_again_only_after_a_read(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.proxy.inject(
        "CreateKey", lambda: kms_error(500, "KMSInternalException", "internal error")
    )
    harness.secrets = {"API_KEY": API_KEY}

    harness.target().deploy()

    operations = harness.proxy.operations()
    assert operations.count("CreateKey") == 2
    first = operations.index("CreateKey")
    second = operations.index("CreateKey", first + 1)
    assert "ListKeys" in operations[first:second]
    assert len(aws("kms").list_keys()["Keys"]) == 1


def test_plan_names_the_secrets_the_key_and_the_grant_and_changes_nothing(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"API_KEY": API_KEY, "DB_URL": DB_URL}

    plan = harness.target().plan()

    changes = {(c.action, c.resource): c.detail for c in plan.changes}
    assert changes[("update", "secrets of demo")] == "set API_KEY, DB_URL"
    assert ("create", f"KMS key {DEFAULT_ALIAS}") in changes
    assert ("create", "KMS grant pmcp-demo") in changes
    assert statuses(plan) == {"API_KEY": "set", "DB_URL": "set"}
    assert mutations(harness.proxy) == []
    assert aws("kms").list_keys()["Keys"] == []
    assert_never_shown(harness, API_KEY, DB_URL)


def test_destroy_revokes_the_grant_and_keeps_the_shared_key(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"API_KEY": API_KEY}
    harness.target().deploy()
    key = key_arn(aws)

    removed = harness.target().destroy()

    changes = {(c.action, c.resource): c.detail for c in removed.changes}
    assert changes[("delete", "secrets of demo")] == "API_KEY (the environment)"
    assert ("delete", "KMS grant pmcp-demo") in changes
    assert "never deleted" in changes[("keep", f"KMS key {key}")]
    assert aws("kms").list_grants(KeyId=key)["Grants"] == []
    assert aws("kms").describe_key(KeyId=DEFAULT_ALIAS)["KeyMetadata"]["KeyState"] == "Enabled"


def test_kept_values_over_lambdas_limit_stop_the_deploy_before_any_change(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.secrets = {"BIG": "b" * 3000}
    harness.target().deploy()
    harness.secrets = {"MORE": "m" * 1500}
    harness.proxy.reset()

    with pytest.raises(ValidationError) as raised:
        harness.target().deploy()

    message = raised.value.diagnostics()
    assert "the secrets kept 3010 bytes" in message and "4096" in message
    assert "b" * 100 not in harness.output + message
    assert mutations(harness.proxy) == []


def test_tags_of_someone_else_count_against_lambdas_fifty(
    harness: Harness, aws: AwsFactory
) -> None:
    harness.target().deploy()
    aws("lambda").tag_resource(Resource=FUNCTION_ARN, Tags={f"team:{i}": "x" for i in range(45)})
    harness.secrets = {f"SECRET_{i}": f"value-{i:04}" for i in range(3)}
    harness.proxy.reset()

    with pytest.raises(ValidationError, match="would carry 51 tags: 45 not set by pmcp-action"):
        harness.target().deploy()
    assert mutations(harness.proxy) == []


def test_secret_values_read_back_are_masked(harness: Harness) -> None:
    harness.secrets = {"API_KEY": API_KEY}
    harness.target().deploy()
    harness.secrets = {}

    context = harness.context()
    from pmcp_action.targets.aws_lambda.target import AwsLambdaTarget

    AwsLambdaTarget(context).outputs()

    context.console.info(f"echo {API_KEY}")
    assert API_KEY not in harness.last_output
    assert "echo ***" in harness.last_output
