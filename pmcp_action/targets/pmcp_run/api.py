"""The pmcp.run GraphQL operations cargo-pmcp uses, with typed results.

Operation names, variables and selected fields are exactly the ones cargo-pmcp sends, so
the AppSync schema that accepts cargo-pmcp accepts them; each call is named for messages
("creating the pmcp.run deployment of weather (createDeploymentFromS3)").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from ...errors import DeployError, RemoteApiError
from .declaration import NAME
from .graphql import GraphQLClient

__all__ = [
    "CreateDeploymentInput",
    "DeploymentInfo",
    "DeploymentListItem",
    "DeploymentStatus",
    "DestroyResult",
    "OAuthInfo",
    "OperationStatus",
    "PmcpRunApi",
    "UploadUrls",
]

GET_UPLOAD_URLS = """
mutation GetUploadUrls($projectName: String!, $templateSize: Int!, $bootstrapSize: Int!) {
  getUploadUrls(projectName: $projectName, templateSize: $templateSize,
                bootstrapSize: $bootstrapSize) {
    templateUploadUrl
    templateS3Key
    bootstrapUploadUrl
    bootstrapS3Key
    expiresIn
  }
}
"""

CREATE_DEPLOYMENT_FROM_S3 = """
mutation CreateDeploymentFromS3(
  $templateS3Key: String!, $bootstrapS3Key: String!, $projectName: String!,
  $runtime: String, $memorySize: Int, $timeout: Int, $serverVersion: String,
  $tier: String, $allowComposition: Boolean, $internalOnly: Boolean,
  $compositionDescription: String
) {
  createDeploymentFromS3(
    templateS3Key: $templateS3Key, bootstrapS3Key: $bootstrapS3Key,
    projectName: $projectName, runtime: $runtime, memorySize: $memorySize,
    timeout: $timeout, serverVersion: $serverVersion, tier: $tier,
    allowComposition: $allowComposition, internalOnly: $internalOnly,
    compositionDescription: $compositionDescription
  ) {
    deploymentId
    status
    projectName
    createdAt
  }
}
"""

GET_DEPLOYMENT = """
query GetDeployment($id: ID!) {
  getDeployment(id: $id) {
    id
    status
    url
    projectName
    errorMessage
    createdAt
    completedAt
  }
}
"""

LIST_DEPLOYMENTS = """
query ListDeployments {
  listDeployments {
    items {
      id
      projectName
      status
      url
    }
  }
}
"""

#: ``listDeployments`` with each deployment's ``serverVersion``: where a preview's mark is
#: (:mod:`.previews`). Sent only by the preview commands and ``destroy``, so the deploy
#: path asks for exactly cargo-pmcp's fields.
LIST_DEPLOYMENT_MARKS = """
query ListDeploymentMarks {
  listDeployments {
    items {
      id
      projectName
      status
      url
      serverVersion
    }
  }
}
"""

DESTROY_DEPLOYMENT = """
mutation DestroyDeployment($id: ID!) {
  destroyDeployment(id: $id) {
    id
    stackName
    status
    message
    executionArn
  }
}
"""

GET_DEPLOYMENT_OPERATION_STATUS = """
query GetDeploymentOperationStatus($id: ID!) {
  getDeploymentOperationStatus(id: $id) {
    id
    status
    message
    executionArn
    updatedAt
  }
}
"""

CONFIGURE_SERVER_OAUTH = """
mutation ConfigureServerOAuth(
  $serverId: String!, $enabled: Boolean!, $scopes: [String], $dcrEnabled: Boolean,
  $publicClientPatterns: [String], $sharedPoolName: String
) {
  configureServerOAuth(
    serverId: $serverId, enabled: $enabled, scopes: $scopes, dcrEnabled: $dcrEnabled,
    publicClientPatterns: $publicClientPatterns, sharedPoolName: $sharedPoolName
  ) {
    serverId
    oauthEnabled
    userPoolId
    userPoolRegion
    discoveryUrl
    registrationEndpoint
    authorizationEndpoint
    tokenEndpoint
  }
}
"""

FETCH_SERVER_OAUTH_ENDPOINTS = """
query FetchServerOAuthEndpoints($serverId: String!) {
  fetchServerOAuthEndpoints(serverId: $serverId) {
    serverId
    oauthEnabled
    provider
    userPoolId
    userPoolRegion
    scopes
    dcrEnabled
    discoveryUrl
    registrationEndpoint
    authorizationEndpoint
    tokenEndpoint
  }
}
"""


class CreateDeploymentInput(TypedDict):
    """Variables of ``createDeploymentFromS3``."""

    templateS3Key: str
    bootstrapS3Key: str
    projectName: str
    runtime: str
    memorySize: int
    timeout: int
    serverVersion: str | None
    tier: str
    allowComposition: bool
    internalOnly: bool
    compositionDescription: str | None


@dataclass(frozen=True)
class UploadUrls:
    template_upload_url: str
    template_s3_key: str
    bootstrap_upload_url: str
    bootstrap_s3_key: str
    expires_in: int

    def __repr__(self) -> str:  # presigned URLs are credentials: keep them out of reprs
        return (
            f"UploadUrls(template_s3_key={self.template_s3_key!r}, "
            f"bootstrap_s3_key={self.bootstrap_s3_key!r}, expires_in={self.expires_in})"
        )


@dataclass(frozen=True)
class DeploymentInfo:
    deployment_id: str
    status: str
    project_name: str
    created_at: str


@dataclass(frozen=True)
class DeploymentStatus:
    id: str
    status: str
    url: str
    project_name: str
    error_message: str
    created_at: str
    completed_at: str


@dataclass(frozen=True)
class DeploymentListItem:
    id: str
    project_name: str
    status: str
    url: str
    #: ``serverVersion`` (read only by :meth:`PmcpRunApi.list_deployments` with ``marks``).
    server_version: str = ""


@dataclass(frozen=True)
class DestroyResult:
    id: str
    stack_name: str
    status: str
    message: str


@dataclass(frozen=True)
class OperationStatus:
    id: str
    status: str
    message: str
    updated_at: str


@dataclass(frozen=True)
class OAuthInfo:
    server_id: str
    oauth_enabled: bool
    user_pool_id: str
    discovery_url: str


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _object(data: dict[str, Any], field: str, operation: str) -> dict[str, Any] | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RemoteApiError(
            f"GraphQL {operation}: {field} is not an object.",
            remediation="This looks like a pmcp.run API change; upgrade pmcp-action.",
        )
    return value


def _required(data: dict[str, Any], keys: tuple[str, ...], operation: str) -> None:
    missing = [key for key in keys if not _text(data, key)]
    if missing:
        raise RemoteApiError(
            f"GraphQL {operation} returned no {', '.join(missing)}.",
            remediation="This looks like a pmcp.run service problem; retry later or contact "
            "pmcp.run support.",
        )


class PmcpRunApi:
    """Typed wrappers over :class:`GraphQLClient` for each operation."""

    def __init__(self, graphql: GraphQLClient) -> None:
        self.graphql = graphql

    def get_upload_urls(
        self, project_name: str, template_size: int, bootstrap_size: int
    ) -> UploadUrls:
        data = self.graphql.execute(
            "getUploadUrls",
            GET_UPLOAD_URLS,
            {
                "projectName": project_name,
                "templateSize": template_size,
                "bootstrapSize": bootstrap_size,
            },
            doing=f"asking pmcp.run for upload URLs for {project_name} (getUploadUrls)",
        )
        urls = _object(data, "getUploadUrls", "getUploadUrls")
        if urls is None:
            raise RemoteApiError(
                "GraphQL getUploadUrls returned null.",
                remediation="Retry later; if it persists contact pmcp.run support.",
            )
        _required(
            urls,
            ("templateUploadUrl", "templateS3Key", "bootstrapUploadUrl", "bootstrapS3Key"),
            "getUploadUrls",
        )
        expires = urls.get("expiresIn")
        return UploadUrls(
            template_upload_url=_text(urls, "templateUploadUrl"),
            template_s3_key=_text(urls, "templateS3Key"),
            bootstrap_upload_url=_text(urls, "bootstrapUploadUrl"),
            bootstrap_s3_key=_text(urls, "bootstrapS3Key"),
            expires_in=expires if isinstance(expires, int) else 0,
        )

    def create_deployment_from_s3(self, variables: CreateDeploymentInput) -> DeploymentInfo:
        # Not idempotent: sent once; create_deployment reads before sending it again.
        data = self.graphql.execute(
            "createDeploymentFromS3",
            CREATE_DEPLOYMENT_FROM_S3,
            dict(variables),
            doing=f"creating the pmcp.run deployment of {variables['projectName']} "
            "(createDeploymentFromS3)",
            once=True,
        )
        info = _object(data, "createDeploymentFromS3", "createDeploymentFromS3")
        if info is None:
            raise DeployError(
                "Deployment creation returned null - check pmcp.run service logs.",
                target=NAME,
                remediation="Retry the deploy; if it persists contact pmcp.run support with "
                "the request ids.",
            )
        _required(info, ("deploymentId",), "createDeploymentFromS3")
        return DeploymentInfo(
            deployment_id=_text(info, "deploymentId"),
            status=_text(info, "status"),
            project_name=_text(info, "projectName"),
            created_at=_text(info, "createdAt"),
        )

    def get_deployment(self, deployment_id: str) -> DeploymentStatus:
        data = self.graphql.execute(
            "getDeployment",
            GET_DEPLOYMENT,
            {"id": deployment_id},
            doing=f"reading pmcp.run deployment {deployment_id} (getDeployment)",
        )
        item = _object(data, "getDeployment", "getDeployment")
        if item is None:
            raise DeployError(
                f"Deployment not found: pmcp.run no longer knows deployment {deployment_id}.",
                target=NAME,
                remediation="Someone may have destroyed it meanwhile; run the deploy again.",
            )
        return DeploymentStatus(
            id=_text(item, "id"),
            status=_text(item, "status"),
            url=_text(item, "url"),
            project_name=_text(item, "projectName"),
            error_message=_text(item, "errorMessage"),
            created_at=_text(item, "createdAt"),
            completed_at=_text(item, "completedAt"),
        )

    def list_deployments(self, *, marks: bool = False) -> list[DeploymentListItem]:
        """Every deployment the credentials see; with ``marks``, their ``serverVersion`` too."""
        data = self.graphql.execute(
            "listDeployments",
            LIST_DEPLOYMENT_MARKS if marks else LIST_DEPLOYMENTS,
            doing="listing the pmcp.run deployments (listDeployments)",
        )
        listing = _object(data, "listDeployments", "listDeployments")
        items = listing.get("items") if listing is not None else None
        if not isinstance(items, list):
            return []
        return [
            DeploymentListItem(
                id=_text(item, "id"),
                project_name=_text(item, "projectName"),
                status=_text(item, "status"),
                url=_text(item, "url"),
                server_version=_text(item, "serverVersion"),
            )
            for item in items
            if isinstance(item, dict)
        ]

    def destroy_deployment(self, deployment_id: str) -> DestroyResult:
        data = self.graphql.execute(
            "destroyDeployment",
            DESTROY_DEPLOYMENT,
            {"id": deployment_id},
            doing=f"destroying pmcp.run deployment {deployment_id} (destroyDeployment)",
        )
        result = _object(data, "destroyDeployment", "destroyDeployment")
        if result is None:
            raise DeployError(
                "Failed to destroy deployment: no response returned.",
                target=NAME,
                remediation="Retry; if it persists contact pmcp.run support.",
            )
        return DestroyResult(
            id=_text(result, "id"),
            stack_name=_text(result, "stackName"),
            status=_text(result, "status"),
            message=_text(result, "message"),
        )

    def get_operation_status(self, operation_id: str) -> OperationStatus:
        data = self.graphql.execute(
            "getDeploymentOperationStatus",
            GET_DEPLOYMENT_OPERATION_STATUS,
            {"id": operation_id},
            doing=f"reading the destroy of {operation_id} (getDeploymentOperationStatus)",
        )
        result = _object(data, "getDeploymentOperationStatus", "getDeploymentOperationStatus")
        if result is None:
            raise DeployError(
                f"Operation not found: pmcp.run does not know operation {operation_id}.",
                target=NAME,
            )
        return OperationStatus(
            id=_text(result, "id"),
            status=_text(result, "status"),
            message=_text(result, "message"),
            updated_at=_text(result, "updatedAt"),
        )

    def configure_server_oauth(
        self,
        server_id: str,
        *,
        scopes: list[str] | None,
        dcr_enabled: bool,
        public_client_patterns: list[str] | None,
    ) -> OAuthInfo:
        data = self.graphql.execute(
            "configureServerOAuth",
            CONFIGURE_SERVER_OAUTH,
            {
                "serverId": server_id,
                "enabled": True,
                "scopes": scopes,
                "dcrEnabled": dcr_enabled,
                "publicClientPatterns": public_client_patterns,
                "sharedPoolName": None,
            },
            doing=f"configuring OAuth for {server_id} (configureServerOAuth)",
        )
        result = _object(data, "configureServerOAuth", "configureServerOAuth")
        if result is None:
            raise RemoteApiError("GraphQL configureServerOAuth returned null.")
        return _oauth_info(result)

    def fetch_server_oauth_endpoints(self, server_id: str) -> OAuthInfo | None:
        data = self.graphql.execute(
            "fetchServerOAuthEndpoints",
            FETCH_SERVER_OAUTH_ENDPOINTS,
            {"serverId": server_id},
            doing=f"reading the OAuth settings of {server_id} (fetchServerOAuthEndpoints)",
        )
        result = _object(data, "fetchServerOAuthEndpoints", "fetchServerOAuthEndpoints")
        return None if result is None else _oauth_info(result)


def _oauth_info(result: dict[str, Any]) -> OAuthInfo:
    return OAuthInfo(
        server_id=_text(result, "serverId"),
        oauth_enabled=result.get("oauthEnabled") is True,
        user_pool_id=_text(result, "userPoolId"),
        discovery_url=_text(result, "discoveryUrl"),
    )
