"""The deployment itself: find it by ``projectName``, upload its two files, create it,
and check the URL pmcp.run answers with."""

from __future__ import annotations

from ...artifact.lambda_package import LambdaArtifact
from ...context import Project, RunContext
from ...errors import DeployError, RemoteApiError
from ...http import transient_reason
from ...urls import endpoint_problem
from .api import CreateDeploymentInput, DeploymentListItem, PmcpRunApi, UploadUrls
from .config import PmcpRunSettings
from .rendering import Rendered
from .service import RUNTIME
from .uploads import UploadJob, upload_all
from .waiting import Deployed

__all__ = ["checked_mcp_url", "create_deployment", "find_deployment", "upload_files"]

#: Sends of createDeploymentFromS3, each after a read showed the previous one did nothing.
_CREATE_ATTEMPTS = 3


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
    api: PmcpRunApi, project: Project, urls: UploadUrls, context: RunContext
) -> str:
    """``createDeploymentFromS3`` with the project's settings; the new deployment's id.

    The mutation is not idempotent (pmcp.run has no idempotency key): it is sent
    once, and after an answer that leaves it unknown whether pmcp.run acted (a 5xx,
    a 429, a connection lost after sending) the project's deployments are read
    again. A new one is the request's own; only when there is none is the request
    sent again.
    """
    console = context.console
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
    before = _deployment_ids(api, project.server_name)
    checks: list[str] = []
    for attempt in range(1, _CREATE_ATTEMPTS + 1):
        try:
            created = api.create_deployment_from_s3(variables)
        except RemoteApiError as exc:
            reason = transient_reason(exc)
            if reason is None:
                raise
            new = sorted(_deployment_ids(api, project.server_name) - before)
            if len(new) == 1:
                console.warning(
                    f"createDeploymentFromS3 failed ({reason}), but pmcp.run had created "
                    f"deployment {new[0]} of {project.server_name}: using it, not creating "
                    "another.",
                    title="pmcp.run answer lost",
                )
                return new[0]
            if len(new) > 1:
                raise DeployError(
                    f"createDeploymentFromS3 failed ({reason}) and pmcp.run now lists "
                    f"{len(new)} new deployments of {project.server_name} "
                    f"({', '.join(new)}); another deploy of the same server is running.",
                    target="pmcp-run",
                    remediation="Run one deploy per server at a time (a `concurrency:` group "
                    "in the workflow), then deploy again.",
                ) from exc
            checks.append(f"attempt {attempt}: {reason}; no new deployment listed")
            if attempt == _CREATE_ATTEMPTS or context.deadline.remaining() < 5:
                raise RemoteApiError(
                    f"Creating the pmcp.run deployment of {project.server_name} failed "
                    f"{attempt} times; it may or may not have been created — checked: "
                    "listDeployments shows no new deployment after each failure.",
                    status=exc.status,
                    details="\n".join(checks),
                    remediation="Check pmcp.run's status and the dashboard, then deploy "
                    "again (it creates a new deployment).",
                ) from exc
            console.info(
                f"createDeploymentFromS3 failed ({reason}); pmcp.run lists no new deployment "
                f"of {project.server_name}, so it is sent again."
            )
            context.sleep(min(2.0 * attempt, context.deadline.remaining()))
            continue
        console.info(f"Deployment {created.deployment_id} created; waiting for it.")
        return created.deployment_id
    raise AssertionError("unreachable")  # pragma: no cover


def _deployment_ids(api: PmcpRunApi, server_name: str) -> set[str]:
    return {item.id for item in api.list_deployments() if item.project_name == server_name}


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
