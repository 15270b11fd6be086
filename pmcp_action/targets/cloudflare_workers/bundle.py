"""The bundle a command uploads, asked of the Workers bundle kind and described once."""

from __future__ import annotations

from collections.abc import Sequence

from ...artifact.workers_bundle import ModuleBundle, WorkersBundle, resolve_workers_bundle
from ...context import RunContext
from ...errors import Problem, ValidationError
from .config import WorkersConfig
from .results import describe

__all__ = ["obtain_bundle"]


def obtain_bundle(
    context: RunContext,
    config: WorkersConfig,
    kind: WorkersBundle,
    problems: Sequence[Problem],
) -> ModuleBundle:
    """The checked bundle; refuses while the inputs have problems (before any file is read)."""
    if problems:
        raise ValidationError(problems)
    bundle = resolve_workers_bundle(
        kind,
        project_root=context.project.root,
        artifact_input=config.artifact,
        artifact_source=config.sources.get("artifact", "input 'artifact'"),
        environ=context.environ,
        console=context.console,
    )
    context.console.info(
        f"Workers bundle ({bundle.layout} layout, from {bundle.source}): {describe(bundle)}."
    )
    return bundle
