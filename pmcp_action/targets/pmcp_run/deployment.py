"""The deployment itself: find it by ``projectName``, upload its two files, create it,
and check the URL pmcp.run answers with."""

from __future__ import annotations

from ...artifact.lambda_package import LambdaArtifact
from ...ci.base import Platform
from ...context import Project, RunContext
from ...errors import RemoteApiError
from ...urls import endpoint_problem
from .api import CreateDeploymentInput, DeploymentListItem, PmcpRunApi, UploadUrls
from .config import PmcpRunSettings
from .rendering import Rendered
from .service import RUNTIME
from .uploads import UploadJob, upload_all
from .waiting import Deployed

__all__ = ["checked_mcp_url", "create_deployment", "find_deployment", "upload_files"]


def find_deployment(api: PmcpRunApi, server_name: str) -> DeploymentListItem | None:
    """The live deployment of ``server_name`` (else any of its deployments), or ``None``."""
    matches = [item for item in api.list_deployments() if item.project_name == server_name]
    if not matches:
        return None
    live = [item for item in matches if item.status.lower() == "success"]
    return (live or matches)[0]


def upload_files(
    api: PmcpRunApi, context: RunContext, artifact: LambdaArtifact, rendered: Rendered
) -> UploadUrls:
    """``getUploadUrls``, then the template and the artifact through the presigned PUTs."""
    console = context.console
    urls = api.get_upload_urls(context.project.server_name, rendered.size, artifact.size)
    package = artifact.kind == "zip"
    console.info(
        f"Uploading the template ({rendered.size} bytes) and the "
        f"{'deployment package' if package else 'bootstrap'} ({artifact.size} bytes); the "
        f"URLs expire in {urls.expires_in} s."
    )
    jobs = [
        UploadJob(
            "Template",
            urls.template_upload_url,
            rendered.path,
            rendered.size,
            "application/json",
        ),
        UploadJob(
            "Package" if package else "Bootstrap",
            urls.bootstrap_upload_url,
            artifact.path,
            artifact.size,
            artifact.content_type,
        ),
    ]
    upload_all(
        jobs,
        http=context.http,
        deadline=context.deadline,
        sleep=context.sleep,
        console=console,
    )
    return urls


def create_deployment(
    api: PmcpRunApi, project: Project, urls: UploadUrls, console: Platform
) -> str:
    """``createDeploymentFromS3`` with the project's settings; the new deployment's id."""
    config = project.config
    variables: CreateDeploymentInput = {
        "templateS3Key": urls.template_s3_key,
        "bootstrapS3Key": urls.bootstrap_s3_key,
        "projectName": project.server_name,
        "runtime": RUNTIME,
        "memorySize": config.server.memory_mb,
        "timeout": config.server.timeout_seconds,
        "serverVersion": project.version or None,
        "tier": config.composition.tier,
        "allowComposition": config.composition.allow_composition,
        "internalOnly": config.composition.internal_only,
        "compositionDescription": config.composition.description or None,
    }
    created = api.create_deployment_from_s3(variables)
    console.info(f"Deployment {created.deployment_id} created; waiting for it.")
    return created.deployment_id


def checked_mcp_url(options: PmcpRunSettings, deployment_id: str, deployed: Deployed) -> str:
    """The MCP URL pmcp.run reported (or the API's default path), refused if not an endpoint."""
    api_url = options.pmcp_api_url.rstrip("/")
    mcp_url = deployed.url or f"{api_url}/{deployment_id}/mcp"
    problem = endpoint_problem(mcp_url, "the deployment URL pmcp.run returned")
    if problem is not None:
        raise RemoteApiError(
            f"{problem.where}: {problem.what}.",
            remediation=f"Report this to pmcp.run; the server was deployed as {deployment_id}.",
        )
    return mcp_url
