"""The deployment itself: its two files uploaded, the deployment created exactly once, and
the URL pmcp.run answers with checked."""

from __future__ import annotations

from ...context import Project, RunContext
from ...errors import DeployError, RemoteApiError
from ...http import transient_reason
from ...once import create_once
from ...urls import endpoint_problem
from .api import CreateDeploymentInput, PmcpRunApi, UploadUrls
from .config import PmcpRunSettings
from .declaration import NAME
from .files import DeploymentFiles
from .uploads import UploadJob, upload_all
from .waiting import Deployed

__all__ = ["RUNTIME", "checked_mcp_url", "create_deployment", "upload_files"]

#: The Lambda runtime pmcp.run runs the bootstrap on (sent with every deployment).
RUNTIME = "provided.al2023"


def upload_files(api: PmcpRunApi, context: RunContext, files: DeploymentFiles) -> UploadUrls:
    """``getUploadUrls``, then the template and the artifact through the presigned PUTs."""
    console = context.console
    artifact, rendered = files.artifact, files.rendered
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


def _variables(project: Project, urls: UploadUrls) -> CreateDeploymentInput:
    config = project.config
    return {
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


def create_deployment(
    api: PmcpRunApi, project: Project, urls: UploadUrls, context: RunContext
) -> str:
    """``createDeploymentFromS3`` with the project's settings; the new deployment's id.

    The mutation is not idempotent (pmcp.run has no idempotency key): it is sent once
    (no retry by the HTTP client), and after an answer that leaves it unknown whether
    pmcp.run acted (a 5xx, a 429, a connection lost after sending) the project's
    deployments are read again (:func:`pmcp_action.once.create_once`). A new one is the
    request's own; only when there is none is the request sent again.
    """
    console = context.console
    name = project.server_name
    variables = _variables(project, urls)
    before = _deployment_ids(api, name)
    #: Why each send failed, and what the read after it showed.
    checks: list[str] = []
    reasons: list[str] = []

    def transient(exc: Exception) -> str | None:
        reason = transient_reason(exc)
        if reason is not None:
            reasons.append(reason)
        return reason

    def find() -> str | None:
        reason = reasons[-1]
        new = sorted(_deployment_ids(api, name) - before)
        if len(new) > 1:
            raise DeployError(
                f"createDeploymentFromS3 failed ({reason}) and pmcp.run now lists "
                f"{len(new)} new deployments of {name} ({', '.join(new)}); another deploy of "
                "the same server is running.",
                target=NAME,
                remediation="Run one deploy per server at a time (a `concurrency:` group "
                "in the workflow), then deploy again.",
            )
        if new:
            console.warning(
                f"createDeploymentFromS3 failed ({reason}), but pmcp.run had created "
                f"deployment {new[0]} of {name}: using it, not creating another.",
                title="pmcp.run answer lost",
            )
            return new[0]
        checks.append(f"attempt {len(reasons)}: {reason}; no new deployment listed")
        return None

    try:
        deployment_id = create_once(
            context,
            lambda: api.create_deployment_from_s3(variables).deployment_id,
            find,
            f"createDeploymentFromS3 for {name}",
            transient=transient,
        )
    except RemoteApiError as exc:
        if not checks or transient_reason(exc) is None:
            raise
        raise RemoteApiError(
            f"Creating the pmcp.run deployment of {name} failed {len(checks)} times; it may or "
            "may not have been created — checked: listDeployments shows no new deployment "
            "after each failure.",
            status=exc.status,
            details="\n".join(checks),
            remediation="Check pmcp.run's status and the dashboard, then deploy again (it "
            "creates a new deployment).",
        ) from exc
    console.info(f"Deployment {deployment_id} created; waiting for it.")
    return deployment_id


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
