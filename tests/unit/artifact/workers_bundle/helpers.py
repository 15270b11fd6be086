"""Obtaining a Workers bundle in a test project, with worker-build looked up on its PATH."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from pmcp_action.artifact import ArtifactRequest
from pmcp_action.artifact.workers_bundle import ModuleBundle, WorkersBundle
from pmcp_action.ci.base import Platform
from pmcp_action.deadline import Deadline
from pmcp_action.settings.deploy_toml import DeployConfig


def obtain(
    kind: WorkersBundle,
    root: Path,
    *,
    artifact: Path | None = None,
    environ: Mapping[str, str] | None = None,
    work: Path | None = None,
) -> tuple[ModuleBundle, str]:
    """``kind.obtain`` in ``root`` (``environ`` defaults to an empty PATH); the bundle and
    what it logged."""
    environ = dict(environ) if environ is not None else {"PATH": ""}
    path = environ.get("PATH")
    log = io.StringIO()
    bundle = kind.obtain(
        ArtifactRequest(
            project_root=root,
            artifact_input=artifact,
            config=DeployConfig(),
            work_dir=work or root.parent / f"{root.name}-work",
            environ=environ,
            console=Platform(environ={}, log_stream=log),
            deadline=Deadline(600),
            which=lambda name: shutil.which(name, path=path or os.defpath),
        )
    )
    return bundle, log.getvalue()
