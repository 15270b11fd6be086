"""What the ``aws-lambda`` target reads and writes (no botocore here)."""

from __future__ import annotations

from types import MappingProxyType

from ...settings.declaration import ArtifactBuild, CiInputs, Fallback, OutputSpec, TargetDeclaration
from ...settings.spec import InputKind, InputSpec
from ..lambda_inputs import ARCHITECTURE, LAMBDA_ARTIFACT_NOTE

__all__ = ["DECLARATION", "NAME"]

NAME = "aws-lambda"

_REGION_ENV = ("AWS_REGION", "AWS_DEFAULT_REGION")

DECLARATION = TargetDeclaration(
    id=NAME,
    title="AWS Lambda",
    summary="Direct Lambda APIs: a version per deploy, verified behind alias candidate at its "
    "own function URL before alias live moves to it; instant rollback.",
    factory="pmcp_action.targets.aws_lambda.target:create",
    order=20,
    logs=True,
    uses=("artifact", "region", "auth", "audience"),
    audience="sts.amazonaws.com",
    ci=CiInputs(
        oidc=("role-to-assume",),
        secrets=("aws-access-key-id", "aws-secret-access-key"),
        location=("region",),
    ),
    build=ArtifactBuild.LAMBDA_PACKAGE,
    inputs=(
        InputSpec(
            "role-to-assume",
            "AWS IAM role ARN to assume (with OIDC, or with keys via AssumeRole).",
            env=("AWS_ROLE_TO_ASSUME",),
        ),
        InputSpec(
            "role-session-name",
            "AWS role session name. Default: derived from the repository and run id.",
            env=("AWS_ROLE_SESSION_NAME",),
        ),
        InputSpec(
            "role-duration-seconds",
            "AWS role session duration in seconds.",
            kind=InputKind.INT,
            default="3600",
            env=("AWS_ROLE_DURATION_SECONDS",),
            minimum=900,
            maximum=43200,
        ),
        InputSpec(
            "allowed-account-ids",
            "Comma-separated AWS account ids this deploy may touch.",
            env=("AWS_ALLOWED_ACCOUNT_IDS",),
        ),
        InputSpec(
            "aws-access-key-id",
            "AWS access key id (prefer OIDC with role-to-assume).",
            secret=True,
            env=("AWS_ACCESS_KEY_ID",),
        ),
        InputSpec(
            "aws-secret-access-key",
            "AWS secret access key.",
            secret=True,
            env=("AWS_SECRET_ACCESS_KEY",),
        ),
        InputSpec(
            "aws-session-token",
            "AWS session token for temporary keys.",
            secret=True,
            env=("AWS_SESSION_TOKEN",),
        ),
        InputSpec(
            "lambda-role-arn",
            "Execution role for the Lambda function. Default: [aws].role_arn, else a role "
            "<name>-lambda-role created and managed by pmcp-action.",
            env=("PMCP_LAMBDA_ROLE_ARN",),
        ),
        ARCHITECTURE,
        InputSpec(
            "function-url-auth-type",
            "Lambda function URL auth type: NONE (public) or AWS_IAM.",
            kind=InputKind.CHOICE,
            choices=("NONE", "AWS_IAM"),
            default="NONE",
            env=("PMCP_FUNCTION_URL_AUTH_TYPE",),
        ),
        InputSpec(
            "kms-key-arn",
            "The KMS key (its ARN) that encrypts the function's environment, where the server's "
            "secrets are. Default: the key with alias alias/pmcp-deploy, created once per "
            "account and region when a deploy first has secrets.",
            env=("PMCP_KMS_KEY_ARN",),
        ),
        InputSpec(
            "delete-log-group",
            "With command: destroy, also delete the function's CloudWatch log group "
            "(kept by default).",
            kind=InputKind.BOOL,
            default="false",
            env=("PMCP_DELETE_LOG_GROUP",),
        ),
    ),
    fallbacks=MappingProxyType(
        {
            "region": Fallback(config=("aws.region",), env=_REGION_ENV),
            "lambda-role-arn": Fallback(config=("aws.role_arn",)),
            "architecture": Fallback(config=("aws.architecture",), default="arm64"),
            "kms-key-arn": Fallback(config=("aws.kms_key_arn",)),
        }
    ),
    notes=MappingProxyType(
        {
            "artifact": LAMBDA_ARTIFACT_NOTE,
            "region": "the AWS region of the function (required).",
            "audience": "default sts.amazonaws.com (sts.amazonaws.com.cn in cn- regions).",
            "auth": "auto uses OIDC when role-to-assume is set and the CI can hand out an ID "
            "token, else the access keys; ambient uses the runner's own credentials through "
            "botocore's default chain (AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE as EKS sets it, "
            "container or instance role), then role-to-assume if set.",
        }
    ),
    outputs=(
        OutputSpec("arn", "AWS ARN of what serves traffic (the Lambda alias).", "ARN"),
        OutputSpec("function-name", "AWS Lambda function name."),
        OutputSpec("log-group", "CloudWatch log group of the function.", "Log group"),
    ),
    terminal=(
        "sign in with your own AWS credentials (aws sso login --profile NAME, then "
        "AWS_PROFILE=NAME; or aws configure) and pass --auth ambient, which uses botocore's "
        "default chain and shows the identity it got"
    ),
    credentials=(
        "OIDC (recommended): set role-to-assume to a role whose trust policy allows "
        "sts:AssumeRoleWithWebIdentity from your CI's OIDC provider, and give the GitHub job "
        "`permissions: id-token: write` (GitLab: declare id_tokens with aud sts.amazonaws.com). "
        "Or pass aws-access-key-id and aws-secret-access-key from secrets, optionally with "
        "role-to-assume for AssumeRole. On a runner with its own AWS identity (EC2, EKS, ECS, "
        "AWS_PROFILE), auth: ambient uses it and shows which identity it got. "
        "allowed-account-ids refuses any other account."
    ),
    variables=MappingProxyType(
        {
            "AWS_ENDPOINT_URL": "One endpoint for every AWS API (an emulator such as moto or "
            "LocalStack); http only on loopback.",
            "AWS_ENDPOINT_URL_<SERVICE>": "The endpoint of one API (STS, IAM, LAMBDA, S3, LOGS, "
            "KMS).",
            "AWS_CA_BUNDLE": "A CA bundle for AWS's TLS certificates (a TLS-inspecting proxy).",
            "AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_SHARED_CREDENTIALS_FILE, "
            "AWS_CONFIG_FILE, AWS_EC2_METADATA_DISABLED": "With auth: ambient only: botocore's "
            "default credential chain.",
        }
    ),
    example=(
        "target: aws-lambda\n"
        "region: eu-west-1\n"
        "role-to-assume: arn:aws:iam::123456789012:role/gh-deployer\n"
        'allowed-account-ids: "123456789012"'
    ),
)
