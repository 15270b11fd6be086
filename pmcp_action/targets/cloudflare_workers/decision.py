"""The "unchanged" decision: the deploy tag over what a version is made of, and whether the
live version already carries it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from ...artifact.workers_bundle import ModuleBundle
from .api import DeploymentInfo, VersionInfo
from .config import WorkersConfig
from .upload import TAG_ANNOTATION

__all__ = ["deploy_tag", "serves_tag"]


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


def serves_tag(live: VersionInfo | None, newest: DeploymentInfo | None, tag: str) -> bool:
    """Whether the live version carries ``tag`` and the newest deployment serves it whole."""
    return (
        live is not None
        and newest is not None
        and live.annotations.get(TAG_ANNOTATION) == tag
        and newest.whole_version == live.id
    )
