"""The GraphQL operations over the fake's state: upload URLs, deployments and their progress,
destroys and their operations, OAuth, the servers' secrets (:mod:`.secret_store`); and the
root value graphql-core calls."""

from __future__ import annotations

import json
import uuid
from typing import Any

from .secret_store import SecretStore
from .state import Deployment, Operation, Upload, iso_time
from .uploads import UPLOAD_EXPIRES, PresignedUploads

_STAGES = ("pending", "validating", "deploying")

_STATES_ARN = "arn:aws:states:us-east-1:000000000000:execution:destroy"


class ApiError(Exception):
    """A resolver failure, reported in ``errors[]`` with an AppSync ``errorType``."""

    def __init__(self, message: str, error_type: str = "BadRequestException") -> None:
        super().__init__(message)
        self.error_type = error_type


class Resolvers(PresignedUploads, SecretStore):
    """What each operation does to the state (graphql-core calls them through :class:`Root`)."""

    def get_upload_urls(
        self, base: str, project_name: str, template_size: int, bootstrap_size: int
    ) -> dict[str, Any]:
        if template_size <= 0 or bootstrap_size <= 0:
            raise ApiError("templateSize and bootstrapSize must be positive")
        prefix = f"deployments/{project_name}/{uuid.uuid4().hex[:12]}"
        now = self.clock()
        keys = {"template": f"{prefix}/template.json", "bootstrap": f"{prefix}/bootstrap"}
        for kind, key in keys.items():
            size = template_size if kind == "template" else bootstrap_size
            self.uploads[key] = Upload(key, kind, project_name, size, now)
        return {
            "templateUploadUrl": self.presign(base, keys["template"]),
            "templateS3Key": keys["template"],
            "bootstrapUploadUrl": self.presign(base, keys["bootstrap"]),
            "bootstrapS3Key": keys["bootstrap"],
            "expiresIn": UPLOAD_EXPIRES,
        }

    def create_deployment(self, base: str, variables: dict[str, Any]) -> dict[str, Any]:
        project = variables["projectName"]
        for kind, key in (
            ("template", variables["templateS3Key"]),
            ("bootstrap", variables["bootstrapS3Key"]),
        ):
            upload = self.uploads.get(key)
            if upload is None or upload.kind != kind or not upload.stored:
                raise ApiError(f"The {kind} was not uploaded: s3://pmcp-run-uploads/{key}")
            if upload.project_name != project:
                raise ApiError(f"{key} was issued for another project")
        runtime = variables.get("runtime")
        if runtime is not None and runtime != "provided.al2023":
            raise ApiError(f"Unsupported runtime: {runtime}")
        memory, timeout = variables.get("memorySize"), variables.get("timeout")
        if memory is not None and not 128 <= memory <= 10240:
            raise ApiError(f"memorySize must be 128-10240, got {memory}")
        if timeout is not None and not 1 <= timeout <= 900:
            raise ApiError(f"timeout must be 1-900, got {timeout}")
        if variables.get("tier") not in (None, "foundation", "domain"):
            raise ApiError(f"Unknown tier: {variables.get('tier')}")
        outcome = self.deployment_outcomes.pop(0) if self.deployment_outcomes else "success"
        deployment = Deployment(
            id="dep_" + uuid.uuid4().hex[:20],
            project_name=project,
            variables=dict(variables),
            base_url=base,
            created_at=self.clock(),
            outcome=outcome,
            environment=self.environment_of(project, self.uploads[variables["templateS3Key"]].data),
        )
        self.deployments[deployment.id] = deployment
        return {
            "deploymentId": deployment.id,
            "status": deployment.status,
            "projectName": project,
            "createdAt": iso_time(deployment.created_at),
        }

    def _template_problem(self, deployment: Deployment) -> str:
        upload = self.uploads[deployment.variables["templateS3Key"]]
        try:
            template = json.loads(upload.data)
        except ValueError:
            return "Template format error: not valid JSON"
        resources = template.get("Resources") if isinstance(template, dict) else None
        if not isinstance(resources, dict) or not any(
            isinstance(r, dict) and r.get("Type") == "AWS::Lambda::Function"
            for r in resources.values()
        ):
            return "Template has no AWS::Lambda::Function resource"
        return ""

    def advance(self, deployment: Deployment) -> None:
        """One poll's worth of progress: pending → validating → deploying → outcome."""
        if deployment.status not in _STAGES:
            return
        deployment.polls += 1
        if deployment.polls % self.polls_per_stage:
            return
        index = _STAGES.index(deployment.status)
        if deployment.status == "validating":
            problem = self._template_problem(deployment)
            if problem:
                self._finish(deployment, "failed", problem)
                return
        if index + 1 < len(_STAGES):
            deployment.status = _STAGES[index + 1]
            return
        outcome = deployment.outcome
        if outcome == "never":
            return
        if outcome == "failed":
            self._finish(deployment, "failed", self.failure_message)
        elif outcome.startswith("status:"):
            deployment.status = outcome.split(":", 1)[1]
        else:
            self._finish(deployment, "success", "")

    def _finish(self, deployment: Deployment, status: str, message: str) -> None:
        deployment.status = status
        deployment.completed_at = self.clock()
        if status == "failed":
            deployment.error_message = message
            return
        served = f"servers/{deployment.project_name}" if self.project_urls else deployment.id
        deployment.url = f"{deployment.base_url}/{served}/mcp"
        # A successful deployment replaces the project's previous one.
        for other in list(self.deployments.values()):
            if other.project_name == deployment.project_name and other.id != deployment.id:
                if other.status == "success":
                    del self.deployments[other.id]
        deployment.live = True

    @staticmethod
    def deployment_view(deployment: Deployment) -> dict[str, Any]:
        return {
            "id": deployment.id,
            "projectName": deployment.project_name,
            "status": deployment.status,
            "url": deployment.url,
            "errorMessage": deployment.error_message,
            "serverVersion": deployment.variables.get("serverVersion"),
            "createdAt": iso_time(deployment.created_at),
            "completedAt": iso_time(deployment.completed_at) if deployment.completed_at else None,
        }

    def destroy(self, deployment_id: str) -> dict[str, Any]:
        deployment = self.deployments.get(deployment_id)
        if deployment is None:
            raise ApiError(f"Deployment not found: {deployment_id}", "NotFoundException")
        outcome = self.destroy_outcomes.pop(0) if self.destroy_outcomes else "async"
        result = {
            "id": deployment_id,
            "stackName": f"{deployment.project_name}-stack",
            "executionArn": f"{_STATES_ARN}:{deployment_id}",
        }
        if outcome == "sync":
            self._remove(deployment_id)
            return {**result, "status": "deleted", "message": "Deployment destroyed"}
        if outcome == "failed-now":
            return {
                **result,
                "status": "delete_failed",
                "message": "Stack is in UPDATE_IN_PROGRESS",
            }
        steps = ["deleting", "deleted"] if outcome == "async" else ["deleting", "delete_failed"]
        self.operations[deployment_id] = Operation(
            deployment_id, outcome, steps=steps, updated_at=self.clock()
        )
        deployment.live = False
        deployment.status = "deleting"
        return {**result, "status": "initiated", "message": "Destroy initiated"}

    def operation_status(self, operation_id: str) -> dict[str, Any] | None:
        operation = self.operations.get(operation_id)
        if operation is None:
            return None
        view = {
            "id": operation.id,
            "status": operation.status,
            "message": operation.message or None,
            "executionArn": None,
            "updatedAt": iso_time(operation.updated_at),
        }
        if operation.steps:
            operation.status = operation.steps.pop(0)
            operation.updated_at = self.clock()
            if operation.status == "deleted":
                self._remove(operation_id)
            elif operation.status == "delete_failed":
                operation.message = "DELETE_FAILED: LogGroup could not be deleted"
        return view

    def _remove(self, deployment_id: str) -> None:
        deployment = self.deployments.pop(deployment_id, None)
        if deployment is not None:
            self.oauth.pop(deployment.project_name, None)
            self.oauth.pop(deployment_id, None)

    def oauth_view(self, base: str, server_id: str, args: dict[str, Any]) -> dict[str, Any]:
        state = {
            "serverId": server_id,
            "oauthEnabled": True,
            "provider": "cognito",
            "userPoolId": "us-east-1_FAKEPOOL",
            "userPoolRegion": "us-east-1",
            "scopes": args.get("scopes") or ["openid", "email", "mcp/read"],
            "dcrEnabled": args.get("dcrEnabled", True),
            "publicClientPatterns": args.get("publicClientPatterns"),
            "discoveryUrl": f"{base}/{server_id}/.well-known/oauth-authorization-server",
            "registrationEndpoint": f"{base}/{server_id}/oauth2/register",
            "authorizationEndpoint": f"{base}/oauth2/authorize",
            "tokenEndpoint": f"{base}/oauth2/token",
        }
        self.oauth[server_id] = state
        return state


class Root:
    """GraphQL root value: graphql-core calls ``root.<field>(info, **args)``."""

    def __init__(self, fake: Resolvers, base: str, claims: dict[str, Any]) -> None:
        self.fake = fake
        self.base = base
        self.claims = claims

    # Mutation
    def getUploadUrls(
        self, info: Any, projectName: str, templateSize: int, bootstrapSize: int
    ) -> dict[str, Any]:
        return self.fake.get_upload_urls(self.base, projectName, templateSize, bootstrapSize)

    def createDeploymentFromS3(self, info: Any, **variables: Any) -> dict[str, Any]:
        return self.fake.create_deployment(self.base, variables)

    def destroyDeployment(self, info: Any, id: str) -> dict[str, Any]:
        return self.fake.destroy(id)

    def configureServerOAuth(self, info: Any, serverId: str, **args: Any) -> dict[str, Any]:
        if not args.get("enabled"):
            raise ApiError("enabled must be true; use disableServerOAuth")
        return self.fake.oauth_view(self.base, serverId, args)

    def disableServerOAuth(self, info: Any, serverId: str) -> dict[str, Any]:
        self.fake.oauth.pop(serverId, None)
        return {"serverId": serverId, "oauthEnabled": False}

    # Query
    def getDeployment(self, info: Any, id: str) -> dict[str, Any] | None:
        deployment = self.fake.deployments.get(id)
        if deployment is None:
            return None
        view = self.fake.deployment_view(deployment)
        self.fake.advance(deployment)
        return view

    def listDeployments(self, info: Any, **_: Any) -> dict[str, Any]:
        items = sorted(self.fake.deployments.values(), key=lambda d: d.created_at, reverse=True)
        return {"items": [self.fake.deployment_view(d) for d in items], "nextToken": None}

    def getDeploymentOperationStatus(self, info: Any, id: str) -> dict[str, Any] | None:
        return self.fake.operation_status(id)

    def fetchServerOAuthEndpoints(self, info: Any, serverId: str) -> dict[str, Any]:
        state = self.fake.oauth.get(serverId)
        if state is not None:
            return state
        return {"serverId": serverId, "oauthEnabled": False, "provider": None}

    def listServerSecrets(
        self, info: Any, serverId: str, audience: str | None = None
    ) -> dict[str, Any]:
        return self.fake.list_secrets(serverId, audience or "mcp")

    def getServerSecret(
        self, info: Any, serverId: str, secretName: str, audience: str | None = None
    ) -> dict[str, Any]:
        return self.fake.get_secret(serverId, secretName, audience or "mcp")

    # Mutation (secrets)
    def setServerSecret(
        self,
        info: Any,
        serverId: str,
        secretName: str,
        secretValue: str,
        description: str | None = None,
        audience: str | None = None,
    ) -> dict[str, Any]:
        return self.fake.set_secret(
            serverId, secretName, secretValue, description, audience or "mcp"
        )

    def deleteServerSecret(
        self, info: Any, serverId: str, secretName: str, audience: str | None = None
    ) -> dict[str, Any]:
        return self.fake.delete_secret(serverId, secretName, audience or "mcp")
