"""Render the CloudFormation template cargo-pmcp uploads to pmcp.run, natively.

The shape is cargo-pmcp's ``pmcp-cfn-renderer`` output for a ``pmcp-run``
descriptor (the plain-Lambda kernel: ``McpFunction``, ``LogGroup``,
``ExecutionRole``, ``ExecutionRoleDefaultPolicy`` and five Outputs), plus
what cargo-pmcp adds around it:

- the ``mcp:*`` template ``Metadata``;
- ``[environment]`` (merged with the ``environment`` input, keys of
  ``[secrets]`` excluded) over the function's variables;
- ``[iam]`` tables, buckets and statements appended to the execution
  policy, validated fail-closed first;
- ``[server].ephemeral_storage_mb`` as the function's ``EphemeralStorage``.

As in cargo-pmcp, the Lambda ``MemorySize`` in the template is the
scaffold's fixed 256; the memory pmcp.run applies is sent separately as
``createDeploymentFromS3.memorySize`` (from ``[server].memory_mb``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import Problem, ValidationError
from ...settings.deploy_toml import DeployConfig
from .metadata import McpMetadata

__all__ = [
    "ARTIFACT_PLACEHOLDER_BUCKET",
    "UNRESOLVED_ACCOUNT_ID",
    "RenderInputs",
    "function_environment",
    "iam_problems",
    "render_inputs_from_config",
    "render_template",
    "template_bytes",
]

#: cargo-pmcp's sentinel when the account is unknown at synth time (pmcp.run fills it in).
UNRESOLVED_ACCOUNT_ID = "000000000000"
#: cargo-pmcp's placeholder code location; pmcp.run deploys the uploaded bootstrap instead.
ARTIFACT_PLACEHOLDER_BUCKET = "pmcp-run-pending-upload"

FUNCTION_ID = "McpFunction"
LOG_GROUP_ID = "LogGroup"
ROLE_ID = "ExecutionRole"
POLICY_ID = "ExecutionRoleDefaultPolicy"

MCP_SERVERS_TABLE = "McpServer"
DEFAULT_ORGANIZATION_ID = "default-org"
FUNCTION_MEMORY_MB = 256
LOG_RETENTION_DAYS = 7
POLICY_NAME = "pmcp-declared"

_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")
_TABLE_ACTIONS = {
    "read": ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem"),
    "write": (
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ),
}
_BUCKET_ACTIONS = {"read": ("s3:GetObject",), "write": ("s3:PutObject", "s3:DeleteObject")}


@dataclass(frozen=True)
class RenderInputs:
    server_name: str
    region: str
    timeout_seconds: int
    #: [environment] merged with the environment input (the input wins).
    environment: Mapping[str, str]
    #: Keys of [secrets]: never written into the template.
    secret_keys: frozenset[str] = frozenset()
    account_id: str = UNRESOLVED_ACCOUNT_ID
    metadata: McpMetadata | None = None
    iam: Mapping[str, Any] | None = None
    #: [server].ephemeral_storage_mb (None: the template leaves Lambda's default).
    ephemeral_storage_mb: int | None = None


def _tags(server_name: str) -> list[dict[str, str]]:
    # Sorted by key, as cdk synth emits them.
    return [
        {"Key": "managed-by", "Value": "pmcp"},
        {"Key": "project", "Value": "hosting"},
        {"Key": "service", "Value": server_name},
        {"Key": "target", "Value": "pmcp-run"},
    ]


def _one_or_many(items: list[str]) -> str | list[str]:
    """CDK collapses a one-element Action/Resource list to a scalar."""
    return items[0] if len(items) == 1 else items


def function_environment(inputs: RenderInputs) -> dict[str, str]:
    """Composition defaults, overlaid by the user's environment (minus secret names)."""
    variables = {
        "MCP_SERVERS_TABLE": MCP_SERVERS_TABLE,
        "PMCP_ORGANIZATION_ID": DEFAULT_ORGANIZATION_ID,
        "PMCP_SERVER_ID": inputs.server_name,
    }
    for key, value in inputs.environment.items():
        if key not in inputs.secret_keys:
            variables[key] = value
    return dict(sorted(variables.items()))


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def iam_problems(iam: Mapping[str, Any] | None, where: str = "[iam]") -> list[Problem]:
    """cargo-pmcp's fail-closed ``[iam]`` rules, checked before any network call."""
    if not iam:
        return []
    problems: list[Problem] = []
    for index, table in enumerate(_entries(iam, "tables")):
        label = f"{where} tables[{index}]"
        actions = _str_list(table.get("actions"))
        if not isinstance(table.get("name"), str) or not table.get("name"):
            problems.append(Problem(label, "name is missing", 'write name = "TableName"'))
        if not actions or not set(actions) <= {"read", "write", "readwrite"}:
            problems.append(
                Problem(label, "actions must be a non-empty list of read, write, readwrite")
            )
    for index, bucket in enumerate(_entries(iam, "buckets")):
        label = f"{where} buckets[{index}]"
        actions = _str_list(bucket.get("actions"))
        if not isinstance(bucket.get("name"), str) or not bucket.get("name"):
            problems.append(Problem(label, "name is missing", 'write name = "bucket-name"'))
        if not actions or not set(actions) <= {"read", "write", "readwrite"}:
            problems.append(
                Problem(label, "actions must be a non-empty list of read, write, readwrite")
            )
    for index, statement in enumerate(_entries(iam, "statements")):
        label = f"{where} statements[{index}]"
        effect = statement.get("effect")
        actions = _str_list(statement.get("actions")) or []
        resources = _str_list(statement.get("resources")) or []
        if effect not in ("Allow", "Deny"):
            problems.append(Problem(label, f"effect must be 'Allow' or 'Deny', got {effect!r}"))
        if not actions:
            problems.append(Problem(label, "actions must be a non-empty list of strings"))
        if not resources:
            problems.append(Problem(label, "resources must be a non-empty list of strings"))
        if effect == "Allow" and actions == ["*"] and resources == ["*"]:
            problems.append(
                Problem(
                    label,
                    'Allow + actions=["*"] + resources=["*"] is a wildcard escalation',
                    "tighten actions and resources",
                )
            )
        for action in actions:
            if action != "*" and not _ACTION.match(action):
                problems.append(
                    Problem(
                        label,
                        f"action {action!r} does not match ^[a-z0-9-]+:[A-Za-z0-9*]+$",
                        'write service:Action, e.g. "s3:GetObject"',
                    )
                )
    return problems


def _entries(iam: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = iam.get(key, [])
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, Mapping)]


def _expand(actions: list[str], table: Mapping[str, tuple[str, ...]]) -> list[str]:
    out: list[str] = []
    for action in actions:
        for part in ("read", "write") if action == "readwrite" else (action,):
            for expanded in table[part]:
                if expanded not in out:
                    out.append(expanded)
    return out


def _iam_statements(inputs: RenderInputs) -> list[dict[str, Any]]:
    iam = inputs.iam or {}
    region, account = inputs.region, inputs.account_id
    statements: list[dict[str, Any]] = []
    for table in _entries(iam, "tables"):
        name = str(table["name"])
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        resources = [arn, f"{arn}/index/*"] if table.get("include_indexes") is True else [arn]
        statements.append(
            {
                "Effect": "Allow",
                "Action": _one_or_many(_expand(_str_list(table["actions"]) or [], _TABLE_ACTIONS)),
                "Resource": _one_or_many(resources),
            }
        )
    for bucket in _entries(iam, "buckets"):
        statements.append(
            {
                "Effect": "Allow",
                "Action": _one_or_many(
                    _expand(_str_list(bucket["actions"]) or [], _BUCKET_ACTIONS)
                ),
                "Resource": f"arn:aws:s3:::{bucket['name']}/*",
            }
        )
    for statement in _entries(iam, "statements"):
        statements.append(
            {
                "Effect": statement["effect"],
                "Action": _one_or_many(_str_list(statement["actions"]) or []),
                "Resource": _one_or_many(_str_list(statement["resources"]) or []),
            }
        )
    return statements


def render_template(inputs: RenderInputs) -> dict[str, Any]:
    """The template as a JSON-ready dict; raises ValidationError on a bad ``[iam]``."""
    problems = iam_problems(inputs.iam)
    if problems:
        raise ValidationError(problems)
    name, region, account = inputs.server_name, inputs.region, inputs.account_id
    tags = _tags(name)
    policy_statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": [
                f"arn:aws:dynamodb:{region}:{account}:table/{MCP_SERVERS_TABLE}",
                f"arn:aws:dynamodb:{region}:{account}:table/{MCP_SERVERS_TABLE}/*",
            ],
        },
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": f"arn:aws:lambda:{region}:{account}:function:*",
        },
        *_iam_statements(inputs),
    ]
    resources: dict[str, Any] = {
        ROLE_ID: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                            ],
                        ]
                    }
                ],
                "Tags": tags,
            },
        },
        POLICY_ID: {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": POLICY_NAME,
                "PolicyDocument": {"Version": "2012-10-17", "Statement": policy_statements},
                "Roles": [{"Ref": ROLE_ID}],
            },
        },
        FUNCTION_ID: {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": name,
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Architectures": ["arm64"],
                "MemorySize": FUNCTION_MEMORY_MB,
                "Timeout": inputs.timeout_seconds,
                "Code": {
                    "S3Bucket": ARTIFACT_PLACEHOLDER_BUCKET,
                    "S3Key": f"{name}/bootstrap.zip",
                },
                "Role": {"Fn::GetAtt": [ROLE_ID, "Arn"]},
                "Environment": {"Variables": function_environment(inputs)},
                "LoggingConfig": {"LogFormat": "JSON"},
                "Tags": tags,
                "TracingConfig": {"Mode": "Active"},
                **(
                    {"EphemeralStorage": {"Size": inputs.ephemeral_storage_mb}}
                    if inputs.ephemeral_storage_mb is not None
                    else {}
                ),
            },
            "DependsOn": [POLICY_ID, ROLE_ID],
        },
        LOG_GROUP_ID: {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": {"Fn::Join": ["", ["/aws/lambda/", {"Ref": FUNCTION_ID}]]},
                "RetentionInDays": LOG_RETENTION_DAYS,
                "Tags": tags,
            },
        },
    }
    outputs = {
        "ApiUrl": {
            "Description": "MCP endpoint (construct from deployment ID)",
            "Value": "https://api.pmcp.run/{use-deployment-id}/mcp",
        },
        "DashboardUrl": {
            "Description": "CloudWatch Console",
            "Value": f"https://console.aws.amazon.com/cloudwatch/home?region={region}",
        },
        "LambdaArn": {
            "Description": "MCP Server Lambda ARN",
            "Value": {"Fn::GetAtt": [FUNCTION_ID, "Arn"]},
        },
        "LambdaName": {"Description": "MCP Server Lambda Name", "Value": {"Ref": FUNCTION_ID}},
        "McpRoleArn": {
            "Description": "MCP Server Lambda execution role ARN (stable export for "
            "downstream stacks)",
            "Value": {"Fn::GetAtt": [ROLE_ID, "Arn"]},
            "Export": {"Name": f"pmcp-{name}-McpRoleArn"},
        },
    }
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"MCP Server: {name}",
        "Resources": resources,
        "Outputs": outputs,
    }
    if inputs.metadata is not None:
        template["Metadata"] = inputs.metadata.to_cloudformation_metadata()
    return template


def template_bytes(template: Mapping[str, Any]) -> bytes:
    """Pretty, key-sorted, deterministic JSON (cargo-pmcp re-serialises pretty-printed)."""
    return (json.dumps(template, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )


def render_inputs_from_config(
    config: DeployConfig,
    *,
    server_name: str,
    region: str,
    environment: Mapping[str, str],
    metadata: McpMetadata | None,
) -> RenderInputs:
    """Collect the render inputs from deploy.toml and the run's settings."""
    aws = config.table("aws")
    account = aws.get("account_id")
    iam = config.table("iam")
    return RenderInputs(
        server_name=server_name,
        region=region,
        timeout_seconds=config.server.timeout_seconds,
        environment=environment,
        secret_keys=frozenset(str(k) for k in config.secrets),
        account_id=account if isinstance(account, str) and account else UNRESOLVED_ACCOUNT_ID,
        metadata=metadata,
        iam=iam or None,
        ephemeral_storage_mb=config.server.ephemeral_storage_mb,
    )
