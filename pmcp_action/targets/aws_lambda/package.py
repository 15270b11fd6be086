"""The Lambda package a deploy sends, asked of :mod:`pmcp_action.artifact.lambda_package`.

Located and checked offline (the bootstrap's header, size and links) before any cloud is
touched; zipped only when the survey finds that the serving version does not hold it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ...artifact import Architecture, ArtifactRequest, work_dir
from ...artifact.lambda_package import LambdaPackage, PreparedPackage
from ...context import RunContext
from .config import LambdaConfig

__all__ = ["prepared_package"]


@contextmanager
def prepared_package(context: RunContext, config: LambdaConfig) -> Iterator[PreparedPackage]:
    """The package, located and checked; its zip (when written) lives as long as the block."""
    architecture: Architecture = "x86_64" if config.architecture == "x86_64" else "arm64"
    kind = LambdaPackage(packaging="zip", architecture=architecture)
    with work_dir("pmcp-aws-lambda-") as work:
        yield kind.prepare(
            ArtifactRequest(
                project_root=context.project.root,
                artifact_input=config.artifact,
                config=context.project.config,
                work_dir=work,
                environ=context.environ,
                console=context.console,
                deadline=context.deadline,
                server_name=config.function_name,
            )
        )
