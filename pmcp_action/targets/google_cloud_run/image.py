"""The image a revision runs, pinned by digest, from the shared OCI image kind.

A prebuilt ``image`` is used as is (a tag pinned to its digest); otherwise the project's
Dockerfile or the Linux binary laid onto the base image is pushed to ``image-repository``,
or by default to this project's Artifact Registry repository (created when missing). The
login to Artifact Registry (``*-docker.pkg.dev``, and ``gcr.io`` which it serves) is
``oauth2accesstoken`` with the access token; any other registry takes
registry-username / registry-password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...context import RunContext
from .artifact_registry import ensure_repository
from .config import GoogleConfig
from .connection import Connection

if TYPE_CHECKING:
    from ...artifact.oci_image import OciImageResult, RegistryLogin

__all__ = ["AR_USERNAME", "obtain_image", "uses_default_repository"]

#: Artifact Registry's user name for a login with an OAuth access token.
AR_USERNAME = "oauth2accesstoken"


def uses_default_repository(config: GoogleConfig) -> bool:
    """The action pushes to the project's own Artifact Registry repository."""
    return not config.images.image and not config.images.repository


def _login(config: GoogleConfig, host: str, conn: Connection) -> RegistryLogin:
    from ...artifact.oci_image import RegistryLogin

    google = host.endswith(("-docker.pkg.dev", ".gcr.io")) or host == "gcr.io"
    if host == config.registry or google:
        return RegistryLogin(AR_USERNAME, conn.token.access_token, source="the Google access token")
    images = config.images
    if images.registry_username or images.registry_password:
        return RegistryLogin(
            images.registry_username,
            images.registry_password,
            source="registry-username / registry-password",
        )
    return RegistryLogin()


def obtain_image(context: RunContext, config: GoogleConfig, conn: Connection) -> OciImageResult:
    """The image to deploy, pinned by digest (pushed first when the action makes it)."""
    from ...artifact import ArtifactRequest, work_dir
    from ...artifact.oci_image import OciImage, parse_reference, parse_repository

    c = config
    images = c.images
    repository = "" if images.image else (images.repository or c.default_repository)
    # Both were checked offline (config.resolve): they parse.
    host = (
        parse_reference(images.image, "").registry
        if images.image
        else parse_repository(repository, "").registry
    )
    if uses_default_repository(c):
        created = ensure_repository(
            conn.registry,
            region=c.region,
            repository=c.repository,
            deadline=context.deadline,
            sleep=context.sleep,
        )
        if created:
            context.console.info(
                f"Created the Artifact Registry repository {c.repository} in {c.region}."
            )
    with work_dir("pmcp-cloud-run-") as work:
        return OciImage(
            repository=repository,
            login=_login(c, host, conn),
            image=images.image,
            base_image=images.base_image,
            platform=images.platform,
            build_args=images.build_args,
            http=context.http,
        ).obtain(
            ArtifactRequest(
                project_root=context.project.root,
                artifact_input=c.artifact,
                config=context.project.config,
                work_dir=work,
                environ=context.environ,
                console=context.console,
                deadline=context.deadline,
                artifact_source=c.artifact_source,
                server_name=c.service,
            )
        )
