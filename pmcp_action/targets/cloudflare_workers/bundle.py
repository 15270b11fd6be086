"""The bundle a command uploads, asked of the Workers bundle kind and described once."""

from __future__ import annotations

import os
import shutil

from ...artifact import ArtifactRequest, work_dir
from ...artifact.workers_bundle import ModuleBundle, WorkersBundle
from ...context import RunContext
from .config import WorkersConfig
from .results import describe

__all__ = ["obtain_bundle"]


def obtain_bundle(
    context: RunContext,
    config: WorkersConfig,
    kind: WorkersBundle,
) -> ModuleBundle:
    """The checked bundle (the flow has refused bad inputs before any file is read)."""
    environ = context.environ
    path = environ.get("PATH") or os.defpath
    with work_dir("pmcp-cloudflare-workers-") as work:
        bundle = kind.obtain(
            ArtifactRequest(
                project_root=context.project.root,
                artifact_input=config.artifact,
                artifact_source=config.sources.get("artifact", "input 'artifact'"),
                config=context.project.config,
                work_dir=work,
                environ=environ,
                console=context.console,
                deadline=context.deadline,
                server_name=context.project.server_name,
                # worker-build is looked up on the PATH the build runs with.
                which=lambda name: shutil.which(name, path=path),
            )
        )
    context.console.info(
        f"Workers bundle ({bundle.layout} layout, from {bundle.source}): {describe(bundle)}."
    )
    return bundle
