"""The CloudFormation template pmcp-run uploads: golden parity, cfn-lint, env, IAM."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.errors import ValidationError
from pmcp_action.targets.pmcp_run.metadata import McpMetadata
from pmcp_action.targets.pmcp_run.template import (
    UNRESOLVED_ACCOUNT_ID,
    RenderInputs,
    render_template,
    template_bytes,
)

from .helpers import (
    deployed_template,
    lint,
    make_harness,
)


def test_uploaded_template_equals_the_cargo_pmcp_golden(tmp_path: Path) -> None:
    golden = load_golden("plain-lambda")
    h = make_harness(tmp_path, deploy_toml=golden["descriptor_toml"])

    template = deployed_template(h)

    region = golden["params"]["region"]
    normalized = normalize_template(template, region=region, account=UNRESOLVED_ACCOUNT_ID)
    assert normalized == golden["normalized"]


def test_http_api_golden_is_a_different_shape(tmp_path: Path) -> None:
    """Guard against a normalizer so lax that any template would match."""
    golden = load_golden("http-api")
    h = make_harness(tmp_path, deploy_toml=load_golden("plain-lambda")["descriptor_toml"])

    template = deployed_template(h)

    normalized = normalize_template(template, region="us-east-1", account=UNRESOLVED_ACCOUNT_ID)
    assert normalized != golden["normalized"]
    assert set(normalized["Resources"]) < set(golden["normalized"]["Resources"]) | {"Policy-0"}


def test_uploaded_template_passes_cfn_lint(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    template = deployed_template(h)

    assert lint(template, "eu-west-1") == []
    assert template["Resources"]["McpFunction"]["Properties"]["Timeout"] == 60
    # As cargo-pmcp: the template keeps the scaffold's 256 MB; pmcp.run gets memorySize.
    assert template["Resources"]["McpFunction"]["Properties"]["MemorySize"] == 256
    assert template["Outputs"]["DashboardUrl"]["Value"].endswith("region=eu-west-1")


def test_environment_table_and_input_are_merged_without_secret_names(tmp_path: Path) -> None:
    h = make_harness(tmp_path, environment={"RUST_LOG": "trace", "FEATURE_X": "on"})

    template = deployed_template(h)

    variables = template["Resources"]["McpFunction"]["Properties"]["Environment"]["Variables"]
    assert variables == {
        "API_BASE": "https://weather.example",
        "FEATURE_X": "on",
        "MCP_SERVERS_TABLE": "McpServer",
        "PMCP_ORGANIZATION_ID": "default-org",
        "PMCP_SERVER_ID": "weather",
        "RUST_LOG": "trace",  # the environment input wins over [environment]
    }
    # [secrets] names API_KEY: the run left it out of the environment (pmcp_action.secrets).
    assert "from-environment-table" not in json.dumps(template)


def test_environment_overrides_construct_defaults(tmp_path: Path) -> None:
    h = make_harness(tmp_path, environment={"PMCP_ORGANIZATION_ID": "acme"})

    template = deployed_template(h)

    variables = template["Resources"]["McpFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["PMCP_ORGANIZATION_ID"] == "acme"


def test_iam_tables_buckets_and_statements_are_appended(tmp_path: Path) -> None:
    toml = (
        '[target]\ntype = "pmcp-run"\n[aws]\nregion = "us-west-2"\n[server]\nname = "weather"\n'
        "[environment]\n"
        '[[iam.tables]]\nname = "Cities"\nactions = ["readwrite"]\ninclude_indexes = true\n'
        '[[iam.buckets]]\nname = "weather-data"\nactions = ["read"]\n'
        '[[iam.statements]]\neffect = "Allow"\nactions = ["athena:StartQueryExecution"]\n'
        'resources = ["arn:aws:athena:us-west-2:123456789012:workgroup/wx"]\n'
    )
    h = make_harness(tmp_path, deploy_toml=toml)

    template = deployed_template(h)

    statements = template["Resources"]["ExecutionRoleDefaultPolicy"]["Properties"][
        "PolicyDocument"
    ]["Statement"]
    assert statements[3:] == [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:BatchGetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
            ],
            "Resource": [
                "arn:aws:dynamodb:us-west-2:000000000000:table/Cities",
                "arn:aws:dynamodb:us-west-2:000000000000:table/Cities/index/*",
            ],
        },
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::weather-data/*"},
        {
            "Effect": "Allow",
            "Action": "athena:StartQueryExecution",
            "Resource": "arn:aws:athena:us-west-2:123456789012:workgroup/wx",
        },
    ]
    assert lint(template, "us-west-2") == []


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ('effect = "Allow"\nactions = ["*"]\nresources = ["*"]', "wildcard escalation"),
        ('effect = "allow"\nactions = ["s3:GetObject"]\nresources = ["*"]', "effect must be"),
        ('effect = "Deny"\nactions = ["S3 Get"]\nresources = ["*"]', "does not match"),
        ('effect = "Allow"\nactions = []\nresources = ["*"]', "actions must be a non-empty"),
    ],
)
def test_invalid_iam_statements_fail_before_any_request(
    tmp_path: Path, block: str, expected: str
) -> None:
    toml = '[target]\ntype = "pmcp-run"\n[server]\nname = "weather"\n[environment]\n'
    toml += f"[[iam.statements]]\n{block}\n"
    h = make_harness(tmp_path, deploy_toml=toml)

    problems = h.target.validate()

    assert any(expected in p.what for p in problems)
    with pytest.raises(ValidationError):
        render_template(
            RenderInputs(
                server_name="weather",
                region="us-east-1",
                timeout_seconds=30,
                environment={},
                iam=h.context.project.config.table("iam"),
            )
        )


def test_ephemeral_storage_is_the_functions_when_set() -> None:
    inputs = RenderInputs(
        server_name="weather", region="us-east-1", timeout_seconds=30, environment={}
    )
    function = render_template(inputs)["Resources"]["McpFunction"]["Properties"]
    assert "EphemeralStorage" not in function
    sized = render_template(replace(inputs, ephemeral_storage_mb=2048))
    assert sized["Resources"]["McpFunction"]["Properties"]["EphemeralStorage"] == {"Size": 2048}


def test_rendering_is_deterministic() -> None:
    inputs = RenderInputs(
        server_name="weather",
        region="us-east-1",
        timeout_seconds=30,
        environment={"B": "2", "AA": "1"},
        metadata=McpMetadata(server_type="custom", server_id="weather"),
    )

    first = template_bytes(render_template(inputs))

    assert first == template_bytes(render_template(inputs))
    assert first.endswith(b"}\n")


#: cargo-pmcp's renderer goldens (CloudFormation templates), vendored as test data.
GOLDEN_DIR = Path(__file__).resolve().parents[3] / "data" / "cfn-goldens"


def load_golden(name: str = "plain-lambda") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN_DIR / f"{name}.golden.json").read_text())
    return data


def normalize_template(template: Mapping[str, Any], *, region: str, account: str) -> Any:
    """cargo-pmcp's semantic-golden normalizer, ported (the goldens were written with it).

    Drops template-level noise and per-resource Metadata, sentinelises the
    function code and policy name, canonicalises logical ids to
    ``<TypeSuffix>-<n>`` (two passes) and replaces the render's region and
    account inside ARNs by ``<region>``/``<account>`` as the goldens do.
    """
    root = json.loads(json.dumps(template))
    for key in ("AWSTemplateFormatVersion", "Metadata", "Rules"):
        root.pop(key, None)
    resources: dict[str, Any] = root.pop("Resources", {})
    resources.pop("CDKMetadata", None)
    for resource in resources.values():
        resource.pop("Metadata", None)
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            if resource.get(policy) == "Delete":
                resource.pop(policy)
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Lambda::Function" and "Code" in properties:
            properties["Code"] = {"S3Bucket": "<artifact>", "S3Key": "<artifact>"}
        if resource.get("Type") == "AWS::IAM::Policy" and "PolicyName" in properties:
            properties["PolicyName"] = "<policy-name>"
    for erase in (True, False):
        mapping = _canonical_ids(resources, erase)
        resources = {
            mapping.get(old, old): _rewrite(resource, mapping)
            for old, resource in resources.items()
        }
        for resource in resources.values():
            if "DependsOn" in resource:
                resource["DependsOn"] = sorted(resource["DependsOn"])
                if not resource["DependsOn"]:
                    del resource["DependsOn"]
        if "Outputs" in root:
            root["Outputs"] = _rewrite(root["Outputs"], mapping)
    root["Resources"] = resources
    for key in ("Outputs", "Parameters", "Conditions"):
        if key in root and not root[key]:
            del root[key]
    text = json.dumps(root, sort_keys=True)
    text = text.replace(f":{region}:{account}:", ":<region>:<account>:")
    return json.loads(text)


def _fingerprint(value: Any, erase: bool) -> Any:
    if isinstance(value, dict):
        if erase and len(value) == 1 and "Ref" in value:
            return "<ref>"
        if erase and len(value) == 1 and "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            attr = att[1] if isinstance(att, list) and len(att) == 2 else str(att).partition(".")[2]
            return f"<getatt:{attr}>"
        return {k: _fingerprint(v, erase) for k, v in value.items()}
    if isinstance(value, list):
        return [_fingerprint(v, erase) for v in value]
    return value


def _canonical_ids(resources: Mapping[str, Any], erase: bool) -> dict[str, str]:
    def key(old: str) -> tuple[str, str, str]:
        resource = resources[old]
        fingerprint = _fingerprint(resource.get("Properties"), erase)
        return (resource.get("Type", ""), json.dumps(fingerprint, sort_keys=True), old)

    counters: dict[str, int] = {}
    mapping: dict[str, str] = {}
    for old in sorted(resources, key=key):
        suffix = resources[old].get("Type", "Unknown").rsplit("::", 1)[-1]
        index = counters.get(suffix, 0)
        mapping[old] = f"{suffix}-{index}"
        counters[suffix] = index + 1
    return mapping


def _rewrite(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("Ref"), str):
            return {"Ref": mapping.get(value["Ref"], value["Ref"])}
        if len(value) == 1 and "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            if isinstance(att, list) and len(att) == 2:
                return {"Fn::GetAtt": [mapping.get(att[0], att[0]), att[1]]}
            return value
        return {
            k: (
                [mapping.get(d, d) for d in v]
                if k == "DependsOn" and isinstance(v, list)
                else _rewrite(v, mapping)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite(v, mapping) for v in value]
    return value
