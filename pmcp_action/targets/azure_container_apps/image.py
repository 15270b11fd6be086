"""Which image a deploy runs, and getting it into the registry the app pulls from.

In this order:

1. ``prebuilt`` — the ``image`` input, used as is; a tag is resolved to its digest (with
   the ACR login when the image is in an Azure Container Registry of the subscription, which
   the app then pulls from; anonymously otherwise).
2. ``cloud-build`` — no ``image``, no ``artifact`` and the project has a ``Dockerfile``: ACR
   Tasks builds it in the cloud into ``<login server>/<server name>:<commit>`` (no local
   Docker). With a commit tag already in the registry, that image is reused, not rebuilt.
3. ``assembled`` — otherwise the release Linux binary (``artifact``, else Cargo's release
   output) is laid onto ``base-image`` without Docker and pushed to
   ``<login server>/<server name>:<commit or content digest>``.

The registry (``azure-registry``) is read, and created when missing, only for 2 and 3 and
for an image already in ACR. Every offline check (the binary found, ELF for amd64) is made
by :meth:`ImageStep.check` before any cloud call.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ...artifact import ArtifactRequest, work_dir
from ...artifact.oci_image.kind import OciImage
from ...artifact.oci_image.model import RegistryLogin
from ...artifact.oci_image.reference import parse_reference
from ...artifact.oci_image.registry import RegistryClient
from ...context import RunContext
from ...errors import DeployError
from .acr import Registry, acr_login, ensure_registry, find_registry, read_registry
from .arm import Arm
from .config import AzureConfig
from .connection import Connection
from .declaration import NAME

__all__ = ["DeployImage", "ImageStep"]

_SHA = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass(frozen=True)
class DeployImage:
    """The image a revision runs, pinned by digest when it could be."""

    reference: str
    #: prebuilt, cloud-build or assembled.
    source: str
    #: The ACR the app pulls from (None: a registry outside the subscription, pulled as is).
    registry: Registry | None
    #: Something was built or uploaded (False: the registry already had it all).
    pushed: bool
    note: str


class ImageStep:
    """The image source of one target (decided from the inputs and the project, offline)."""

    def __init__(self, context: RunContext, config: AzureConfig) -> None:
        self.context = context
        self.config = config
        self.console = context.console

    @property
    def source(self) -> str:
        if self.config.image:
            return "prebuilt"
        if self.config.artifact is None and (self.context.project.root / "Dockerfile").is_file():
            return "cloud-build"
        return "assembled"

    def describe(self) -> str:
        """One line for plan and the summary, before anything is obtained."""
        c = self.config
        if self.source == "prebuilt":
            return f"prebuilt image {c.image}"
        if self.source == "cloud-build":
            return f"the project's Dockerfile, built by ACR Tasks in registry {c.registry}"
        base = c.base_image or "the base image"
        return f"the Linux binary laid onto {base}, pushed to registry {c.registry}"

    # --- offline ---------------------------------------------------------------------------
    def _request(self, work: Path) -> ArtifactRequest:
        c = self.config
        return ArtifactRequest(
            project_root=self.context.project.root,
            artifact_input=c.artifact,
            artifact_source=c.sources.get("artifact", "input 'artifact'"),
            config=self.context.project.config,
            work_dir=work,
            environ=self.context.environ,
            console=self.console,
            deadline=self.context.deadline,
            server_name=self.context.project.server_name,
        )

    def _kind(self, repository: str, login: RegistryLogin) -> OciImage:
        c = self.config
        return OciImage(
            repository=repository,
            login=login,
            image=c.image,
            base_image=c.base_image,
            platform=c.platform,
            http=self.context.http,
            # The Dockerfile is ACR Tasks' (cloud-build); this kind never builds locally here.
            docker_socket=Path("/nonexistent/docker.sock"),
        )

    def check(self) -> None:
        """What can be checked without the cloud: the references, the binary to assemble."""
        if self.source == "cloud-build":
            return
        repository = f"{self.config.registry_host}/{self.config.app_name}"
        with work_dir("pmcp-azure-check-") as work:
            self._kind(repository, RegistryLogin()).check(self._request(work))

    # --- with the cloud ----------------------------------------------------------------------
    def _registry(self, arm: Arm) -> Registry:
        c = self.config
        return ensure_registry(
            arm, c.resource_group, c.registry, c.location, self.console, derived=c.registry_derived
        )

    def _login(self, conn: Connection, login_server: str) -> RegistryLogin:
        return acr_login(
            conn.client,
            login_server,
            tenant=self.config.tenant_id,
            arm_token=conn.session.access_token,
            console=self.console,
        )

    def obtain(self, conn: Connection) -> DeployImage:
        """The image, in the registry the app pulls from (built or pushed when needed)."""
        if self.source == "prebuilt":
            return self._prebuilt(conn)
        registry = self._registry(conn.arm)
        if self.source == "cloud-build":
            return self._cloud_build(conn, registry)
        return self._assembled(conn, registry)

    def _prebuilt(self, conn: Connection) -> DeployImage:
        c = self.config
        reference = parse_reference(c.image, "")
        registry: Registry | None = None
        login = RegistryLogin()
        host = reference.registry.lower()
        arm = conn.arm
        if host.endswith(f".{c.registry_suffix}"):
            registry = read_registry(arm, c.resource_group, c.registry)
            if registry is None or registry.login_server.lower() != host:
                registry = find_registry(arm, host)
            if registry is None:
                raise DeployError(
                    f"The image {c.image} is in the registry {host}, which is not in "
                    f"subscription {c.subscription_id}: the app could not be given access to "
                    "pull it.",
                    target=NAME,
                    remediation="Push the image to a registry of this subscription (or set "
                    "azure-registry and leave image empty to build into it), or use a public "
                    "image.",
                )
            login = self._login(conn, registry.login_server)
        with work_dir("pmcp-azure-image-") as work:
            result = self._kind("", login).obtain(self._request(work))
        how = "pinned by digest" if reference.digest else f"the tag resolved to {result.digest}"
        if not result.pinned:
            how = "its tag could not be resolved, deployed as given"
        return DeployImage(
            reference=result.reference,
            source="prebuilt",
            registry=registry,
            pushed=False,
            note=f"Image: prebuilt {c.image} ({how}).",
        )

    def _tag(self) -> str:
        environ = self.context.environ
        revision = environ.get("GITHUB_SHA") or environ.get("CI_COMMIT_SHA") or ""
        return revision if _SHA.match(revision) else ""

    def _cloud_build(self, conn: Connection, registry: Registry) -> DeployImage:
        c = self.config
        root = self.context.project.root
        commit = self._tag()
        tag = commit
        if not tag:
            digest = hashlib.sha256((root / "Dockerfile").read_bytes())
            digest.update(repr(c.build_args).encode())
            tag = "sha256-" + digest.hexdigest()[:16]
        repository = c.app_name
        if commit:
            existing = self._existing(conn, registry, repository, tag)
            if existing:
                return DeployImage(
                    reference=existing,
                    source="cloud-build",
                    registry=registry,
                    pushed=False,
                    note=f"Image: {registry.login_server}/{repository}:{tag} is already in "
                    "the registry (built by an earlier run of this commit); not built again.",
                )
        from .cloud_build import build_in_registry  # only this path needs it

        reference = build_in_registry(
            conn.arm,
            registry_id=registry.id,
            login_server=registry.login_server,
            context_dir=root,
            repository=repository,
            tag=tag,
            dockerfile="Dockerfile",
            build_args=dict(c.build_args),
            platform=c.platform,
            deadline=self.context.deadline,
            console=self.console,
        )
        return DeployImage(
            reference=reference,
            source="cloud-build",
            registry=registry,
            pushed=True,
            note=f"Image: the project's Dockerfile built by ACR Tasks in {registry.name} → "
            f"{registry.login_server}/{repository}:{tag}.",
        )

    def _existing(self, conn: Connection, registry: Registry, repository: str, tag: str) -> str:
        login = self._login(conn, registry.login_server)
        target = parse_reference(f"{registry.login_server}/{repository}:{tag}", "")
        with RegistryClient(
            registry=target, login=login, http=self.context.http, console=self.console
        ) as client:
            digest = client.head_manifest(repository, tag)
        return str(target.pinned(digest)) if digest else ""

    def _assembled(self, conn: Connection, registry: Registry) -> DeployImage:
        c = self.config
        login = self._login(conn, registry.login_server)
        repository = f"{registry.login_server}/{c.app_name}"
        with work_dir("pmcp-azure-image-") as work:
            result = self._kind(repository, login).obtain(self._request(work))
        pushed = "pushed" if result.pushed else "already there, nothing uploaded"
        return DeployImage(
            reference=result.reference,
            source="assembled",
            registry=registry,
            pushed=result.pushed,
            note=f"Image: the Linux binary assembled onto the base image → {result.tagged} "
            f"({pushed}).",
        )
