"""What one upload sends: the metadata (bindings, annotations, tags) and the modules, and
the messages that tell this run's versions and deployments apart."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ...artifact.workers_bundle import ModuleBundle
from ...ownership import LIST_TAG
from .api import ScriptUpload
from .bindings import KEPT_BINDING_TYPES, bindings
from .config import WorkersConfig
from .previews import ALIAS_ANNOTATION

__all__ = ["MANAGED_TAG", "MESSAGE_ANNOTATION", "TAG_ANNOTATION", "Messages", "make_upload"]

#: The script tag that marks a Worker this tool deploys (destroy deletes only those).
MANAGED_TAG = LIST_TAG
#: The version annotation that carries the deploy tag (at most 25 characters).
TAG_ANNOTATION = "workers/tag"
MESSAGE_ANNOTATION = "workers/message"


class Messages:
    """The ``workers/message`` of each create call: unique per call, so a lost answer can
    be looked up by it; it names the repository and commit where CI says."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self._nonce = uuid.uuid4().hex[:10]
        self._count = 0

    def next(self) -> str:
        environ = self.environ
        self._count += 1
        parts = [f"pmcp-deploy-action {self._nonce}.{self._count}"]
        repository = environ.get("GITHUB_REPOSITORY") or environ.get("CI_PROJECT_PATH") or ""
        sha = environ.get("GITHUB_SHA") or environ.get("CI_COMMIT_SHA") or ""
        if repository or sha:
            parts.append(f"{repository}@{sha[:12]}".strip("@"))
        return " ".join(parts)[:100]


def make_upload(
    config: WorkersConfig,
    bundle: ModuleBundle,
    *,
    tag: str,
    message: str,
    first: bool,
    alias: str = "",
) -> ScriptUpload:
    """The upload; ``alias``: a preview's (the version's preview alias)."""
    annotations = {TAG_ANNOTATION: tag, MESSAGE_ANNOTATION: message[:100]}
    if alias:
        annotations[ALIAS_ANNOTATION] = alias
    metadata: dict[str, Any] = {
        "main_module": bundle.main_module,
        "compatibility_date": config.compatibility_date,
        "bindings": bindings(config),
        "annotations": annotations,
    }
    if config.compatibility_flags:
        metadata["compatibility_flags"] = list(config.compatibility_flags)
    if config.keep_bindings:
        metadata["keep_bindings"] = list(KEPT_BINDING_TYPES)
    if first:
        metadata["tags"] = [MANAGED_TAG]
    return ScriptUpload(
        metadata=metadata,
        modules=[(m.name, m.content_type, m.data) for m in bundle.modules],
    )
