"""The two files a pmcp.run deployment is made from, prepared offline before any call: the
Lambda artifact (asked of :mod:`pmcp_action.artifact`: arm64, a bootstrap or a zip with
assets) and the CloudFormation template rendered into the same work dir."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ...artifact import ArtifactRequest, work_dir
from ...artifact.lambda_package import LambdaArtifact, LambdaPackage
from ...context import RunContext
from .config import PmcpRunSettings
from .rendering import Rendered, render

__all__ = ["DeploymentFiles", "prepare_files"]


@dataclass(frozen=True)
class DeploymentFiles:
    """The artifact and the template, on disk for as long as the command runs."""

    artifact: LambdaArtifact
    rendered: Rendered


@contextmanager
def prepare_files(context: RunContext, config: PmcpRunSettings) -> Iterator[DeploymentFiles]:
    """Obtain the artifact and render the template in a work dir removed afterwards."""
    project = context.project
    with work_dir("pmcp-run-") as work:
        with context.console.group("pmcp.run: artifact and template"):
            artifact = LambdaPackage(packaging="auto", architecture="arm64").obtain(
                ArtifactRequest(
                    project_root=project.root,
                    artifact_input=config.artifact,
                    config=project.config,
                    work_dir=work,
                    environ=context.environ,
                    console=context.console,
                    deadline=context.deadline,
                    server_name=project.server_name,
                )
            )
            rendered = render(context, config, work)
        yield DeploymentFiles(artifact, rendered)
