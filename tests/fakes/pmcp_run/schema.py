"""The GraphQL schemas the fake validates every query against."""

from __future__ import annotations

#: The operations cargo-pmcp sends (upload URLs, deployment from S3, its status and list,
#: destroy and its operation, OAuth), with the arguments and fields it uses. Statuses are
#: plain strings, not enums, as on the real API.
SCHEMA_SDL = """
schema {
  query: Query
  mutation: Mutation
}

type Query {
  getDeployment(id: ID!): Deployment
  listDeployments(limit: Int, nextToken: String): DeploymentConnection!
  getDeploymentOperationStatus(id: ID!): DeploymentOperationStatus
  fetchServerOAuthEndpoints(serverId: String!): ServerOAuthEndpoints
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
