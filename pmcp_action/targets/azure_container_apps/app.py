"""The container app as this tool writes it, and how to read the one that is live.

The body: external ingress on the target port, ``activeRevisionsMode: Multiple`` (weights
and rollback need it), CORS as cargo-pmcp enables it, min replicas, the server's
environment, cargo-pmcp's resources (0.5 CPU / 1Gi). The revision suffix is derived from the
image reference and these settings, so the same image and settings name the same revision:
that is the "unchanged" test, and a changed setting can never reuse a suffix.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .config import AzureConfig

__all__ = ["MANAGED_TAG", "Live", "app_body", "read_live", "revision_suffix"]

MANAGED_TAG = ("managed-by", "pmcp")
_CORS = {
    "allowedOrigins": ["*"],
    "allowedMethods": ["GET", "POST", "DELETE", "OPTIONS"],
    "allowedHeaders": ["*"],
}


def _settings(config: AzureConfig) -> dict[str, Any]:
    return {
        "port": config.target_port,
        "min": config.min_replicas,
        "env": sorted(config.variables.items()),
    }


def revision_suffix(config: AzureConfig, image: str) -> str:
    """``p`` + 12 hex of the image and the settings (a suffix is at most 64 characters)."""
    digest = hashlib.sha256(
        json.dumps({"image": image, **_settings(config)}, sort_keys=True).encode()
    ).hexdigest()
    return f"p{digest[:12]}"


def app_body(
    config: AzureConfig, environment_id: str, image: str, traffic: list[dict[str, object]]
) -> dict[str, Any]:
    return {
        "location": config.location,
        "tags": {MANAGED_TAG[0]: MANAGED_TAG[1]},
        "properties": {
            "managedEnvironmentId": environment_id,
            "configuration": {
                "activeRevisionsMode": "Multiple",
                "ingress": {
                    "external": True,
                    "targetPort": config.target_port,
                    "transport": "auto",
                    "allowInsecure": False,
                    "traffic": traffic,
                    "corsPolicy": _CORS,
                },
            },
            "template": {
                "revisionSuffix": revision_suffix(config, image),
                "containers": [
                    {
                        "name": config.app_name,
                        "image": image,
                        "env": [
                            {"name": k, "value": v} for k, v in sorted(config.variables.items())
                        ],
                        "resources": {"cpu": 0.5, "memory": "1Gi"},
                    }
                ],
                "scale": {"minReplicas": config.min_replicas, "maxReplicas": 10},
            },
        },
    }


@dataclass(frozen=True)
class Live:
    """The app as ARM shows it: what serves, what came before, its address."""

    app: dict[str, Any]
    serving: str
    latest: str
    fqdn: str
    image: str
    revisions: tuple[str, ...]  # oldest first

    @property
    def previous(self) -> str:
        """The revision created before the serving one ("" when there is none)."""
        if self.serving not in self.revisions:
            return ""
        at = self.revisions.index(self.serving)
        return self.revisions[at - 1] if at > 0 else ""

    @property
    def managed(self) -> bool:
        return (self.app.get("tags") or {}).get(MANAGED_TAG[0]) == MANAGED_TAG[1]


def read_live(app: dict[str, Any], revisions: list[dict[str, Any]]) -> Live:
    props = app.get("properties") or {}
    config = props.get("configuration") or {}
    ingress = config.get("ingress") or {}
    latest = str(props.get("latestRevisionName") or "")
    serving = ""
    for entry in ingress.get("traffic") or []:
        if int(entry.get("weight", 0)) == 100:
            serving = str(
                entry.get("revisionName") or (latest if entry.get("latestRevision") else "")
            )
    containers = (props.get("template") or {}).get("containers") or [{}]
    names = tuple(
        str(r.get("name"))
        for r in sorted(
            revisions, key=lambda r: str((r.get("properties") or {}).get("createdTime"))
        )
    )
    return Live(
        app=app,
        serving=serving,
        latest=latest,
        fqdn=str(ingress.get("fqdn") or ""),
        image=str(containers[0].get("image") or ""),
        revisions=names,
    )
