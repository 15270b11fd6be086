"""What Demo Cloud runs: the project, named by a digest of what makes it (offline)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pmcp_action.plugin import RunContext

__all__ = ["Artifact", "artifact_of"]


@dataclass(frozen=True)
class Artifact:
    #: The same project, version and environment give the same digest ("unchanged").
    digest: str
    describe: str


def artifact_of(context: RunContext) -> Artifact:
    project = context.project
    made_of = {
        "server": project.server_name,
        "version": project.version,
        "environment": dict(sorted(project.environment.items())),
    }
    digest = hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()
    what = f"{project.server_name} {project.version}".strip()
    return Artifact(digest=f"sha256:{digest}", describe=f"{what}, digest sha256:{digest[:12]}")
