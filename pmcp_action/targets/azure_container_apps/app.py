"""The container app as this tool writes it, and how to read the one that is live.

The body: external ingress on the target port, ``activeRevisionsMode: Multiple`` (weights
and rollback need it), CORS as cargo-pmcp enables it, min replicas, the server's
environment, cargo-pmcp's resources (0.5 CPU / 1Gi). The revision suffix is derived from the
image reference and these settings, so the same image and settings name the same revision:
that is the "unchanged" test, and a changed setting can never reuse a suffix. The server's
secrets (:class:`Secrets`, made by :mod:`.secrets`) are app secrets the container reads as
``secretRef`` variables, their fingerprints app tags; the fingerprints are part of the
suffix too, so a changed value makes a new revision (a revision reads a secret when it
starts) that is verified before it gets traffic.

An image in ACR is pulled with the app's system-assigned identity (``registries`` entry
``identity: system``) or, when AcrPull could not be granted, with the registry's admin
user and a password secret (:class:`Pull`). A new app that pulls with its identity is first
created with a public bootstrap image (revision ``<app>--bootstrap``, no replicas), as
``az containerapp create --registry-identity system`` does: the identity exists only once
the app does, and AcrPull is granted to it before the real revision is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ... import ownership
from .arm import Arm
from .config import REGISTRY_PASSWORD_SECRET, AzureConfig

__all__ = [
    "BOOTSTRAP_IMAGE",
    "BOOTSTRAP_SUFFIX",
    "Live",
    "Pull",
    "Secrets",
    "app_body",
    "app_path",
    "bootstrap_body",
    "environment_path",
    "read_live",
    "revision_name",
    "revision_suffix",
]

#: The public image a new app is created with before its identity may pull from ACR.
BOOTSTRAP_IMAGE = "mcr.microsoft.com/k8se/quickstart:latest"
BOOTSTRAP_SUFFIX = "bootstrap"
#: The app secret holding the registry's admin password.
PASSWORD_SECRET = REGISTRY_PASSWORD_SECRET

_CORS = {
    "allowedOrigins": ["*"],
    "allowedMethods": ["GET", "POST", "DELETE", "OPTIONS"],
    "allowedHeaders": ["*"],
}


def app_path(arm: Arm, config: AzureConfig) -> str:
    """The container app's ARM path."""
    return arm.app_resource(config.resource_group, "containerApps", config.app_name)


def environment_path(arm: Arm, config: AzureConfig) -> str:
    """The managed environment's ARM path."""
    return arm.app_resource(config.resource_group, "managedEnvironments", config.environment)


def _settings(config: AzureConfig) -> dict[str, Any]:
    return {
        "port": config.target_port,
        "min": config.min_replicas,
        "env": sorted(config.variables.items()),
    }


def revision_suffix(
    config: AzureConfig, image: str, secrets: Mapping[str, str] | None = None
) -> str:
    """``p`` + 12 hex of the image, the settings and the fingerprints of the secrets the
    revision reads (variable → fingerprint; none: the suffix of an app without secrets)."""
    hashed: dict[str, Any] = {"image": image, **_settings(config)}
    if secrets:
        hashed["secrets"] = sorted(secrets.items())
    digest = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).hexdigest()
    return f"p{digest[:12]}"


def revision_name(config: AzureConfig, image: str, secrets: Mapping[str, str] | None = None) -> str:
    """The revision ``image`` with these settings and secrets is: the same, the same name."""
    return f"{config.app_name}--{revision_suffix(config, image, secrets)}"


@dataclass(frozen=True)
class Secrets:
    """The server's secrets in the app body (:func:`.secrets.app_secrets` makes it)."""

    #: ``configuration.secrets`` entries, values and all (never printed).
    entries: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)
    #: (variable, app secret name) the container reads as ``secretRef``.
    reads: tuple[tuple[str, str], ...] = ()
    #: The fingerprint tags of the secrets the action stored.
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Variable → fingerprint of the secrets the revision reads (its suffix).
    fingerprints: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Pull:
    """How the app pulls its image: anonymously (no server), or from ACR ``server`` with its
    identity (``managed-identity``) or the admin user and password (``admin-credentials``)."""

    server: str = ""
    mode: str = ""
    username: str = ""
    password: str = field(default="", repr=False)

    def configuration(self) -> dict[str, Any]:
        """The ``registries`` (and ``secrets``) of the app's configuration."""
        if not self.server:
            return {}
        if self.mode == "admin-credentials":
            return {
                "secrets": [{"name": PASSWORD_SECRET, "value": self.password}],
                "registries": [
                    {
                        "server": self.server,
                        "username": self.username,
                        "passwordSecretRef": PASSWORD_SECRET,
                    }
                ],
            }
        return {"registries": [{"server": self.server, "identity": "system"}]}


def app_body(
    config: AzureConfig,
    environment_id: str,
    image: str,
    traffic: list[dict[str, object]],
    pull: Pull | None = None,
    *,
    identity: bool = False,
    suffix: str = "",
    min_replicas: int | None = None,
    secrets: Secrets | None = None,
) -> dict[str, Any]:
    """The full app; ``identity`` keeps (or makes) its system-assigned identity."""
    pull = pull or Pull()
    secrets = secrets or Secrets()
    configuration = pull.configuration()
    entries = [*configuration.pop("secrets", []), *(dict(e) for e in secrets.entries)]
    if entries:
        configuration["secrets"] = entries
    env: list[dict[str, str]] = [
        {"name": k, "value": v} for k, v in sorted(config.variables.items())
    ]
    env += [{"name": k, "secretRef": ref} for k, ref in secrets.reads]
    body: dict[str, Any] = {
        "location": config.location,
        "tags": {**ownership.labels(), **secrets.tags},
        "properties": {
            "managedEnvironmentId": environment_id,
            "configuration": {
                **configuration,
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
                "revisionSuffix": suffix or revision_suffix(config, image, secrets.fingerprints),
                "containers": [
                    {
                        "name": config.app_name,
                        "image": image,
                        "env": sorted(env, key=lambda e: e["name"]),
                        "resources": {"cpu": 0.5, "memory": "1Gi"},
                    }
                ],
                "scale": {
                    "minReplicas": config.min_replicas if min_replicas is None else min_replicas,
                    "maxReplicas": 10,
                },
            },
        },
    }
    if identity or pull.server:
        body["identity"] = {"type": "SystemAssigned"}
    return body


def bootstrap_body(config: AzureConfig, environment_id: str) -> dict[str, Any]:
    """A new app with its identity and the public bootstrap image (no replicas)."""
    return app_body(
        config,
        environment_id,
        BOOTSTRAP_IMAGE,
        [{"latestRevision": True, "weight": 100}],
        identity=True,
        suffix=BOOTSTRAP_SUFFIX,
        min_replicas=0,
    )


@dataclass(frozen=True)
class Live:
    """The app as ARM shows it: what serves, what came before, its address."""

    app: dict[str, Any]
    serving: str
    latest: str
    fqdn: str
    image: str
    revisions: tuple[str, ...]  # oldest first
    #: Each active revision → the app secrets its containers read.
    reading: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def tags(self) -> Mapping[str, str]:
        return self.app.get("tags") or {}

    @property
    def secret_names(self) -> frozenset[str]:
        """The app secrets it holds (ARM shows their names, never their values)."""
        configuration = (self.app.get("properties") or {}).get("configuration") or {}
        return frozenset(
            str(s.get("name")) for s in configuration.get("secrets") or [] if isinstance(s, dict)
        )

    @property
    def previous(self) -> str:
        """The revision created before the serving one ("" when there is none)."""
        if self.serving not in self.revisions:
            return ""
        at = self.revisions.index(self.serving)
        return self.revisions[at - 1] if at > 0 else ""

    @property
    def managed(self) -> bool:
        return ownership.is_managed(self.app.get("tags"))

    @property
    def bootstrapping(self) -> bool:
        """Only the bootstrap revision serves: the first deploy did not finish."""
        return self.serving.endswith(f"--{BOOTSTRAP_SUFFIX}")

    @property
    def registry_access(self) -> str:
        """How the app pulls from a registry (``Pull.mode``), "" for none."""
        configuration = (self.app.get("properties") or {}).get("configuration") or {}
        for entry in configuration.get("registries") or []:
            if isinstance(entry, dict) and entry.get("identity"):
                return "managed-identity"
            if isinstance(entry, dict) and entry.get("passwordSecretRef"):
                return "admin-credentials"
        return ""

    @property
    def principal_id(self) -> str:
        """The system-assigned identity's object id ("" when the app has none)."""
        identity = self.app.get("identity") or {}
        if "SystemAssigned" not in str(identity.get("type", "")):
            return ""
        return str(identity.get("principalId") or "")


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
        if not str(r.get("name")).endswith(f"--{BOOTSTRAP_SUFFIX}")
        # A preview's revision never served: no rollback returns to it.
        and "--pv-" not in str(r.get("name"))  # previews.PREVIEW_PREFIX
    )
    return Live(
        app=app,
        serving=serving,
        latest=latest,
        fqdn=str(ingress.get("fqdn") or ""),
        image=str(containers[0].get("image") or ""),
        revisions=names,
        reading=MappingProxyType(
            {
                str(r.get("name")): _secret_refs(r)
                for r in revisions
                if (r.get("properties") or {}).get("active", True)
            }
        ),
    )


def _secret_refs(revision: Mapping[str, Any]) -> frozenset[str]:
    """The app secrets a revision's containers read as variables."""
    template = (revision.get("properties") or {}).get("template") or {}
    return frozenset(
        str(e["secretRef"])
        for c in template.get("containers") or []
        for e in c.get("env") or []
        if isinstance(e, dict) and e.get("secretRef")
    )
