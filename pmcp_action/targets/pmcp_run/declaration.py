"""What the ``pmcp-run`` target reads and writes (no HTTP client here)."""

from __future__ import annotations

from types import MappingProxyType

from ...settings.declaration import ArtifactBuild, CiInputs, Fallback, OutputSpec, TargetDeclaration
from ...settings.spec import InputKind, InputSpec
from ...settings.vocabulary import McpPathRule
from ..lambda_inputs import ARCHITECTURE, LAMBDA_ARTIFACT_NOTE

__all__ = ["DECLARATION", "NAME"]

NAME = "pmcp-run"

DECLARATION = TargetDeclaration(
    id=NAME,
    title="pmcp.run",
    summary="Managed hosting through pmcp.run's GraphQL API, with client credentials.",
    factory="pmcp_action.targets.pmcp_run.target:create",
    order=10,
    uses=("artifact", "region", "auth"),
    ci=CiInputs(secrets=("pmcp-client-id", "pmcp-client-secret")),
    build=ArtifactBuild.LAMBDA_PACKAGE,
    inputs=(
        InputSpec(
            "pmcp-api-url",
            "pmcp.run API base URL (service discovery at /.well-known/pmcp-config).",
            kind=InputKind.URL,
            default="https://api.pmcp.run",
            env=("PMCP_API_URL", "PMCP_RUN_API_URL"),
        ),
        InputSpec(
            "pmcp-client-id",
            "pmcp.run OAuth client id for the client-credentials grant.",
            env=("PMCP_CLIENT_ID",),
        ),
        InputSpec(
            "pmcp-client-secret",
            "pmcp.run OAuth client secret for the client-credentials grant.",
            secret=True,
            env=("PMCP_CLIENT_SECRET",),
        ),
        InputSpec(
            "pmcp-access-token",
            "A pmcp.run access token, used as is.",
            secret=True,
            env=("PMCP_ACCESS_TOKEN",),
        ),
        InputSpec(
            "pmcp-credentials",
            "Content of a ~/.pmcp/credentials.toml with a [pmcp-run] table (refreshed when "
            "expired).",
            kind=InputKind.MULTILINE,
            secret=True,
            env=("PMCP_CREDENTIALS",),
        ),
        ARCHITECTURE,
    ),
    fallbacks=MappingProxyType(
        {
            "region": Fallback(
                config=("aws.region",),
                env=("AWS_REGION", "AWS_DEFAULT_REGION"),
                default="us-east-1",
            ),
        }
    ),
    notes=MappingProxyType(
        {
            "artifact": LAMBDA_ARTIFACT_NOTE,
            "region": "the region written into the CloudFormation template pmcp.run deploys.",
            "auth": "auto or secrets: pmcp.run has no OIDC federation, so oidc is refused; "
            "ambient reads ~/.pmcp/credentials.toml (cargo pmcp deploy login writes it).",
        }
    ),
    outputs=(
        OutputSpec("oauth-enabled", "Whether OAuth protects the server.", "OAuth enabled"),
        OutputSpec(
            "oauth-discovery-url", "OAuth discovery URL when OAuth is on.", "OAuth discovery"
        ),
    ),
    terminal=(
        "run cargo pmcp deploy login --target pmcp-run and pass --auth ambient, which reads "
        "~/.pmcp/credentials.toml (refreshed when expired)"
    ),
    credentials=(
        "pmcp.run has no OIDC federation. Use a Cognito app client with the "
        "client_credentials grant (pmcp-client-id and pmcp-client-secret), or "
        "pmcp-access-token, or the content of ~/.pmcp/credentials.toml as pmcp-credentials "
        "(refreshed when expired). Exactly one kind may be given."
    ),
    variables=MappingProxyType(
        {
            "PMCP_RUN_GRAPHQL_URL": "Overrides the GraphQL endpoint that discovery returns.",
            "PMCP_RUN_COGNITO_DOMAIN": "Overrides the Cognito domain that discovery returns.",
            "PMCP_RUN_COGNITO_CLIENT_ID": "Overrides the public client id that discovery returns "
            "(used to refresh stored credentials).",
        }
    ),
    example=(
        "target: pmcp-run\n"
        "pmcp-client-id: ${{ secrets.PMCP_CLIENT_ID }}\n"
        "pmcp-client-secret: ${{ secrets.PMCP_CLIENT_SECRET }}"
    ),
    mcp_path=McpPathRule.NEVER,
)
