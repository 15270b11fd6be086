"""The CloudFormation template pmcp-run uploads: golden parity, cfn-lint, metadata, env, IAM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cfnlint.api
import pytest

from pmcp_action.errors import ValidationError
from pmcp_action.targets.pmcp_run.metadata import McpMetadata, extract_metadata
from pmcp_action.targets.pmcp_run.template import (
    UNRESOLVED_ACCOUNT_ID,
    RenderInputs,
    render_template,
    template_bytes,
)
from tests.unit.pmcp_run_helpers import Harness, load_golden, make_harness, normalize_template

#: cdk synth emits an explicit DependsOn on the role next to the GetAtt; the golden keeps it.
_ACCEPTED_LINT = {"W3005"}


def _deployed_template(h: Harness) -> dict[str, Any]:
    h.target.deploy()
    (upload,) = [u for u in h.fake.uploads.values() if u.kind == "template" and u.stored]
    template: dict[str, Any] = json.loads(upload.data)
    return template


def _lint(template: dict[str, Any], region: str) -> list[str]:
    matches = cfnlint.api.lint(template_bytes(template).decode(), regions=[region])
    return [str(m) for m in matches if m.rule.id not in _ACCEPTED_LINT]


def test_uploaded_template_equals_the_cargo_pmcp_golden(tmp_path: Path) -> None:
    golden = load_golden("plain-lambda")
    h = make_harness(tmp_path, deploy_toml=golden["descriptor_toml"])

    template = _deployed_template(h)

    region = golden["params"]["region"]
    normalized = normalize_template(template, region=region, account=UNRESOLVED_ACCOUNT_ID)
    assert normalized == golden["normalized"]


def test_http_api_golden_is_a_different_shape(tmp_path: Path) -> None:
    """Guard against a normalizer so lax that any template would match."""
    golden = load_golden("http-api")
    h = make_harness(tmp_path, deploy_toml=load_golden("plain-lambda")["descriptor_toml"])

    template = _deployed_template(h)

    normalized = normalize_template(template, region="us-east-1", account=UNRESOLVED_ACCOUNT_ID)
    assert normalized != golden["normalized"]
    assert set(normalized["Resources"]) < set(golden["normalized"]["Resources"]) | {"Policy-0"}


def test_uploaded_template_passes_cfn_lint(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    template = _deployed_template(h)

    assert _lint(template, "eu-west-1") == []
    assert template["Resources"]["McpFunction"]["Properties"]["Timeout"] == 60
    # As cargo-pmcp: the template keeps the scaffold's 256 MB; pmcp.run gets memorySize.
    assert template["Resources"]["McpFunction"]["Properties"]["MemorySize"] == 256
    assert template["Outputs"]["DashboardUrl"]["Value"].endswith("region=eu-west-1")


def test_environment_table_and_input_are_merged_without_secret_names(tmp_path: Path) -> None:
    h = make_harness(tmp_path, environment={"RUST_LOG": "trace", "FEATURE_X": "on"})

    template = _deployed_template(h)

    variables = template["Resources"]["McpFunction"]["Properties"]["Environment"]["Variables"]
    assert variables == {
        "API_BASE": "https://weather.example",
        "FEATURE_X": "on",
        "MCP_SERVERS_TABLE": "McpServer",
        "PMCP_ORGANIZATION_ID": "default-org",
        "PMCP_SERVER_ID": "weather",
        "RUST_LOG": "trace",  # the environment input wins over [environment]
    }
    assert "from-environment-table" not in json.dumps(template)
    assert "Not writing API_KEY into the template" in h.output


def test_environment_overrides_construct_defaults(tmp_path: Path) -> None:
    h = make_harness(tmp_path, environment={"PMCP_ORGANIZATION_ID": "acme"})

    template = _deployed_template(h)

    variables = template["Resources"]["McpFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["PMCP_ORGANIZATION_ID"] == "acme"


def test_metadata_from_cargo_toml_fallback(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    template = _deployed_template(h)

    assert template["Metadata"] == {
        "mcp:version": "1.0",
        "mcp:serverType": "custom",
        "mcp:serverId": "weather",
        "mcp:resources": {},
        "mcp:capabilities": {"resources": False, "composition": False},
    }


def test_metadata_from_pmcp_toml_and_deploy_toml_overrides(tmp_path: Path) -> None:
    pmcp_toml = (
        '[server]\nname = "weather-srv"\n'
        '[[secrets.definitions]]\nname = "API_KEY"\ndescription = "Weather API key"\n'
        'env_var = "WEATHER_API_KEY"\nobtain_url = "https://weather.example/keys"\n'
        '[[secrets.definitions]]\nname = "OPTIONAL"\nrequired = false\n'
        '[[tools]]\nname = "forecast"\n[[tools]]\nname = "alerts"\n'
    )
    toml = (
        '[target]\ntype = "pmcp-run"\n[server]\nname = "weather"\n[environment]\n'
        '[metadata]\nserver_type = "graph-rag"\nsnapshot_baked = true\n'
    )
    h = make_harness(tmp_path, deploy_toml=toml, extra_files={"pmcp.toml": pmcp_toml})

    template = _deployed_template(h)

    assert template["Metadata"] == {
        "mcp:version": "1.0",
        "mcp:serverType": "graph-rag",
        "mcp:serverId": "weather-srv",
        "mcp:resources": {
            "secrets": [
                {
                    "name": "API_KEY",
                    "description": "Weather API key",
                    "required": True,
                    "env_var": "WEATHER_API_KEY",
                    "obtain_url": "https://weather.example/keys",
                },
                {"name": "OPTIONAL", "required": False},
            ]
        },
        "mcp:capabilities": {
            "tools": ["forecast", "alerts"],
            "resources": False,
            "composition": False,
        },
        "mcp:snapshotBaked": True,
    }
    assert _lint(template, "us-east-1") == []


def test_metadata_from_a_builtin_manifest(tmp_path: Path) -> None:
    (tmp_path / "instances").mkdir()
    (tmp_path / "builtin-manifest.toml").write_text(
        '[server]\ntype = "graphql-api"\nconfig = "instances/prod.toml"\n'
        '[server.template]\nid = "types/graphql"\nversion = "2.1.0"\n'
        "[features]\nsecrets_from_config = true\ncomposition_enabled = true\n"
        '[[resources.parameters]]\nname = "ENDPOINT"\nvalue = "https://api.example"\n'
        '[[resources.permissions]]\nid = "net"\ntype = "outbound_https"\n'
        'targets = ["api.example"]\n'
    )
    (tmp_path / "instances" / "prod.toml").write_text(
        '[server]\nid = "states-api"\nname = "States API"\n'
        '[[secrets.definitions]]\nname = "TOKEN"\n[[tools]]\nname = "query"\n'
    )

    metadata = extract_metadata(tmp_path).to_cloudformation_metadata()

    assert metadata == {
        "mcp:version": "1.0",
        "mcp:serverType": "graphql-api",
        "mcp:serverId": "states-api",
        "mcp:templateId": "types/graphql",
        "mcp:templateVersion": "2.1.0",
        "mcp:resources": {
            "secrets": [{"name": "TOKEN", "required": True}],
            "parameters": [{"name": "ENDPOINT", "value": "https://api.example"}],
            "permissions": [{"id": "net", "type": "outbound_https", "targets": ["api.example"]}],
        },
        "mcp:capabilities": {"tools": ["query"], "resources": False, "composition": True},
    }


def test_config_toml_that_is_not_an_instance_config_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "config.toml").write_text('target = "pmcp"\n')

    assert extract_metadata(tmp_path).server_id == ".pmcp"  # cargo-pmcp's quirk, kept


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

    template = _deployed_template(h)

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
    assert _lint(template, "us-west-2") == []


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


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"A": "1"}, "not a valid Lambda environment variable name"),
        ({"1ABC": "1"}, "not a valid Lambda environment variable name"),
        ({"AWS_REGION": "eu-west-1"}, "Lambda reserves AWS_REGION"),
        ({"BIG": "x" * 5000}, "Lambda allows 4096 in total"),
    ],
)
def test_invalid_environment_is_refused_offline(
    tmp_path: Path, environment: dict[str, str], expected: str
) -> None:
    h = make_harness(tmp_path, environment=environment)

    assert any(expected in p.what for p in h.target.validate())


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
