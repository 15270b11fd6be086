"""What one deploy uploads: the metadata, the bindings, and the digest that says "unchanged"."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ...artifact.workers_bundle import ModuleBundle
from .api import ScriptUpload
from .config import WorkersConfig

__all__ = ["KEPT_BINDING_TYPES", "MANAGED_TAG", "TAG_ANNOTATION", "deploy_tag", "make_upload"]

#: The script tag that marks a Worker this tool deploys (destroy deletes only those).
MANAGED_TAG = "pmcp-deploy-action"
#: The version annotation that carries :func:`deploy_tag` (at most 25 characters).
TAG_ANNOTATION = "workers/tag"
MESSAGE_ANNOTATION = "workers/message"
#: Binding types kept from the live version when keep-bindings is on (wrangler's
#: --keep-vars and secrets-kept sets together).
KEPT_BINDING_TYPES = ("plain_text", "json", "secret_text", "secret_key")


def bindings(config: WorkersConfig) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"type": "plain_text", "name": name, "text": value}
        for name, value in sorted(config.variables.items())
    ]
    found += [
        {"type": "secret_text", "name": name, "text": value}
        for name, value in sorted(config.secrets.items())
    ]
    return found


def _secrets_digest(secrets: Mapping[str, str], salt: str) -> str:
    """Secret values enter the digest only through scrypt, so the tag cannot be guessed back."""
    if not secrets:
        return ""
    material = json.dumps(sorted(secrets.items())).encode()
    return hashlib.scrypt(material, salt=salt.encode(), n=2**14, r=8, p=1, dklen=32).hex()


def deploy_tag(config: WorkersConfig, bundle: ModuleBundle, account_id: str) -> str:
    """``pmcp-`` + 20 hex digits over the bundle, bindings and compatibility settings."""
    digest = hashlib.sha256()
    for part in (
        bundle.sha256,
        bundle.main_module,
        config.compatibility_date,
        json.dumps(sorted(config.compatibility_flags)),
        json.dumps(sorted(config.variables.items())),
        _secrets_digest(config.secrets, f"{account_id}/{config.script_name}"),
        "keep" if config.keep_bindings else "replace",
    ):
        digest.update(part.encode() + b"\0")
    return "pmcp-" + digest.hexdigest()[:20]


def make_upload(
    config: WorkersConfig, bundle: ModuleBundle, *, tag: str, message: str, first: bool
) -> ScriptUpload:
    metadata: dict[str, Any] = {
        "main_module": bundle.main_module,
        "compatibility_date": config.compatibility_date,
        "bindings": bindings(config),
        "annotations": {TAG_ANNOTATION: tag, MESSAGE_ANNOTATION: message[:100]},
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
