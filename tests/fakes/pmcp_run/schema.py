"""The GraphQL schemas the fake validates every query against."""

from __future__ import annotations

#: The operations cargo-pmcp sends (upload URLs, deployment from S3, its status and list,
#: destroy and its operation, OAuth, the server's secrets), with the arguments and fields it
#: uses. Statuses are plain strings, not enums, as on the real API. The secret operations
#: take an optional ``audience`` whose enum type is generated per operation (the MCP
#: server's Lambda, ``mcp``, when not given; ``billing`` for a subscription Lambda), and
#: ``listServerSecrets`` answers its list as AWSJSON: a JSON string of ``name``/``hasValue``
#: objects, never a value.
SCHEMA_SDL = """
schema {
  query: Query
  mutation: Mutation
}

scalar AWSJSON

enum ListServerSecretsAudience {
  mcp
  billing
}

enum GetServerSecretAudience {
  mcp
  billing
}

enum SetServerSecretAudience {
  mcp
  billing
}

enum DeleteServerSecretAudience {
  mcp
  billing
}

type Query {
  getDeployment(id: ID!): Deployment
  listDeployments(limit: Int, nextToken: String): DeploymentConnection!
  getDeploymentOperationStatus(id: ID!): DeploymentOperationStatus
  fetchServerOAuthEndpoints(serverId: String!): ServerOAuthEndpoints
  listServerSecrets(serverId: String!, audience: ListServerSecretsAudience): ServerSecretList
  getServerSecret(
    serverId: String!
    secretName: String!
    audience: GetServerSecretAudience
  ): ServerSecret
}

type Mutation {
  getUploadUrls(projectName: String!, templateSize: Int!, bootstrapSize: Int!): UploadUrls
  createDeploymentFromS3(
    templateS3Key: String!
    bootstrapS3Key: String!
    projectName: String!
    runtime: String
    memorySize: Int
    timeout: Int
    serverVersion: String
    tier: String
    allowComposition: Boolean
    internalOnly: Boolean
    compositionDescription: String
  ): CreateDeploymentResult
  destroyDeployment(id: ID!): DestroyDeploymentResult
  configureServerOAuth(
    serverId: String!
    enabled: Boolean!
    scopes: [String]
    dcrEnabled: Boolean
    publicClientPatterns: [String]
    sharedPoolName: String
  ): ServerOAuthConfig
  disableServerOAuth(serverId: String!): DisableServerOAuthResult
  setServerSecret(
    serverId: String!
    secretName: String!
    secretValue: String!
    description: String
    audience: SetServerSecretAudience
  ): SetServerSecretResult
  deleteServerSecret(
    serverId: String!
    secretName: String!
    audience: DeleteServerSecretAudience
  ): DeleteServerSecretResult
}

type UploadUrls {
  templateUploadUrl: String!
  templateS3Key: String!
  bootstrapUploadUrl: String!
  bootstrapS3Key: String!
  expiresIn: Int!
}

type CreateDeploymentResult {
  deploymentId: String!
  status: String!
  projectName: String!
  createdAt: String!
}

type Deployment {
  id: ID!
  projectName: String!
  status: String!
  url: String
  errorMessage: String
  serverVersion: String
  createdAt: String!
  completedAt: String
}

type DeploymentConnection {
  items: [Deployment!]!
  nextToken: String
}

type DestroyDeploymentResult {
  id: ID!
  stackName: String
  status: String!
  message: String
  executionArn: String
}

type DeploymentOperationStatus {
  id: ID!
  status: String!
  message: String
  executionArn: String
  updatedAt: String
}

type ServerOAuthConfig {
  serverId: String!
  oauthEnabled: Boolean!
  userPoolId: String
  userPoolRegion: String
  discoveryUrl: String
  registrationEndpoint: String
  authorizationEndpoint: String
  tokenEndpoint: String
}

type ServerOAuthEndpoints {
  serverId: String!
  oauthEnabled: Boolean!
  provider: String
  userPoolId: String
  userPoolRegion: String
  scopes: [String]
  dcrEnabled: Boolean
  discoveryUrl: String
  registrationEndpoint: String
  authorizationEndpoint: String
  tokenEndpoint: String
}

type DisableServerOAuthResult {
  serverId: String!
  oauthEnabled: Boolean!
}

type ServerSecretList {
  serverId: String!
  secrets: AWSJSON!
}

type ServerSecret {
  serverId: String!
  secretName: String!
  secretValue: String
  exists: Boolean!
}

type SetServerSecretResult {
  success: Boolean!
  serverId: String
  secretName: String
  error: String
  warning: String
}

type DeleteServerSecretResult {
  success: Boolean!
  error: String
}
"""

#: A single "source API" of a federated deployment: it lacks the deploy operations.
STALE_SCHEMA_SDL = """
type Query {
  getDeployment(id: ID!): Deployment
}

type Mutation {
  getLandingStatus(landingId: String!): LandingStatus
}

type LandingStatus {
  id: ID!
  status: String!
  buildNumber: Int
  ready: Boolean
}

type Deployment {
  id: ID!
  projectName: String!
  status: String!
  url: String
  errorMessage: String
  createdAt: String!
  completedAt: String
}
"""
