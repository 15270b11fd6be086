"""The ``pmcp-run`` target: cargo-pmcp's pmcp.run deploy, headless and bounded.

deploy: credentials → discovery → token → artifact → template →
``getUploadUrls`` → two presigned PUTs → ``createDeploymentFromS3`` → poll
``getDeployment`` within the deadline → OAuth → ``.pmcp/deployment.toml``.
plan reads only; outputs and destroy find the deployment by ``projectName``
through ``listDeployments``; rollback is refused because pmcp.run has none.

This module holds the protocol methods only; each step lives in its own module
(see the package docstring).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ...artifact import ArtifactRequest, work_dir
from ...artifact.lambda_package import LambdaArtifact, LambdaPackage
from ...context import RunContext
from ...errors import DeployError, NotSupportedError, Problem
from ...result import TargetResult
from ..lambda_rules import lambda_problems
from .config import PmcpRunSettings, resolve
from .connection import connect
from .credentials import credential_problems
from .deployment import checked_mcp_url, create_deployment, find_deployment, upload_files
from .deployment_file import save_deployment_file
from .oauth import settle_oauth
from .rendering import render
from .results import deployed_result, destroyed_result, found_result, planned_result
from .service import DASHBOARD_URL, NAME
from .template import iam_problems
from .waiting import finish_destroy, wait_for_deployment

__all__ = ["PmcpRunTarget", "create"]

#: pmcp.run uses projectName in a DNS name and as the Lambda function name.
_PROJECT_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")

_NO_ROLLBACK = (
    "pmcp.run has no rollback operation: it keeps no earlier version this action could "
    "switch back to, and cargo-pmcp's `rollback` is only a link to the dashboard."
)


class PmcpRunTarget:
    """Deploys to pmcp.run through its GraphQL API (see the module docstring)."""

    name = NAME

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.project = context.project
        self.console = context.console
        self.options: PmcpRunSettings
        self.options, self._problems = resolve(context)

    def validate(self) -> Sequence[Problem]:
        config = self.project.config
        problems = list(self._problems)
        problems.extend(credential_problems(self.options))
        name = self.project.server_name
        if not _PROJECT_NAME.match(name):
            problems.append(
                Problem(
                    "server name",
                    f"{name[:70]!r} cannot be a pmcp.run projectName",
                    "use 1 to 63 letters, digits, - or _, starting and ending with a letter or "
                    "digit (set server-name or [server].name)",
                )
            )
        elif name.lower() != name or "_" in name:
            self.console.warning(
                f"The server name {name!r} has upper-case letters or underscores; pmcp.run uses "
                "it in a host name, where lower-case letters, digits and '-' are safest.",
                title="pmcp.run project name",
            )
        problems.extend(lambda_problems(config, self.project.environment))
        problems.extend(iam_problems(config.table("iam"), config.where("iam")))
        return problems

    def plan(self) -> TargetResult:
        with connect(self.context, self.options) as conn, work_dir("pmcp-run-") as work:
            artifact = self._artifact(work)
            rendered = render(self.context, self.options, work)
            existing = find_deployment(conn.api, self.project.server_name)
        return planned_result(conn, self.project, existing, artifact, rendered)

    def deploy(self) -> TargetResult:
        with connect(self.context, self.options) as conn, work_dir("pmcp-run-") as work:
            with self.console.group("pmcp.run: artifact and template"):
                artifact = self._artifact(work)
                rendered = render(self.context, self.options, work)
            with self.console.group("pmcp.run: upload"):
                urls = upload_files(conn.api, self.context, artifact, rendered)
            with self.console.group("pmcp.run: deployment"):
                deployment_id = create_deployment(conn.api, self.project, urls, self.context)
                deployed = wait_for_deployment(conn.api, deployment_id, self.context)
                oauth = settle_oauth(conn.api, self.project, deployment_id, self.console)
            mcp_url = checked_mcp_url(self.options, deployment_id, deployed)
            server_id = deployed.project_name or self.project.server_name
            save_deployment_file(
                self.project.root, server_id=server_id, endpoint=mcp_url, console=self.console
            )
            return deployed_result(
                conn,
                self.project,
                deployment_id=deployment_id,
                server_id=server_id,
                mcp_url=mcp_url,
                oauth=oauth,
                artifact=artifact,
            )

    def outputs(self) -> TargetResult:
        name = self.project.server_name
        with connect(self.context, self.options) as conn:
            item = find_deployment(conn.api, name)
            if item is None:
                raise DeployError(
                    f"No deployment found for project: {name} on {self.options.pmcp_api_url}.",
                    target=NAME,
                    remediation="Deploy it first, or check server-name ([server].name) and "
                    "that the credentials belong to the organisation that owns it.",
                )
            return found_result(conn, item, name)

    def rollback(self, to_version: str) -> TargetResult:
        wanted = f" to {to_version}" if to_version else ""
        raise NotSupportedError(
            f"Cannot roll back the pmcp.run deployment of {self.project.server_name}{wanted}. "
            + _NO_ROLLBACK,
            remediation="Deploy the earlier version again (re-run the workflow on that commit or "
            f"tag), or manage versions in the pmcp.run dashboard ({DASHBOARD_URL}). Set "
            "rollback-on-failure: false for this target.",
        )

    def destroy(self) -> TargetResult:
        name = self.project.server_name
        with connect(self.context, self.options) as conn:
            item = find_deployment(conn.api, name)
            if item is None:
                raise DeployError(
                    f"No deployment found for project: {name} on {self.options.pmcp_api_url}; "
                    "nothing was destroyed.",
                    target=NAME,
                    remediation="Check server-name ([server].name), pmcp-api-url and that the "
                    "credentials belong to the organisation that owns the deployment.",
                )
            self.console.info(f"Destroying pmcp.run deployment {item.id} of {name}.")
            finish_destroy(conn.api, item.id, conn.api.destroy_deployment(item.id), self.context)
            return destroyed_result(conn, item, name)

    def _artifact(self, work: Path) -> LambdaArtifact:
        kind = LambdaPackage(packaging="auto", architecture="arm64")
        return kind.obtain(
            ArtifactRequest(
                project_root=self.project.root,
                artifact_input=self.options.artifact,
                config=self.project.config,
                work_dir=work,
                environ=self.context.environ,
                console=self.console,
                deadline=self.context.deadline,
                server_name=self.project.server_name,
            )
        )


def create(context: RunContext) -> PmcpRunTarget:
    """The factory the declaration names."""
    return PmcpRunTarget(context)
