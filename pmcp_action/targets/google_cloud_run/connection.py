"""One command's connection: signed in once, the Run v2 client, the image obtained.

``Connector.open()`` refuses while the inputs have problems, signs in on first use (the
token is reused by ``stage`` then ``promote``) and yields a :class:`Session`. The image
is the shared OCI kind's: a prebuilt reference pinned by digest, or the project's
Dockerfile / Linux binary pushed to Artifact Registry with the access token as its login.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from ...context import RunContext
from ...errors import Problem, ValidationError
from .artifact_registry import ensure_repository
from .config import ADC_ENV, GoogleConfig
from .credentials import GoogleToken, from_credentials_json, from_oidc
from .failures import raise_for_google
from .run_api import RunApi

if TYPE_CHECKING:
    from ...artifact.oci_image import OciImageResult, RegistryLogin

__all__ = ["Connector", "Session"]

NAME = "google-cloud-run"
AR_USERNAME = "oauth2accesstoken"


def sign_in(context: RunContext, config: GoogleConfig, client: httpx.Client) -> GoogleToken:
    """A cloud-platform access token for the configured identity (masked)."""
    mask = context.console.mask
    if config.mode == "oidc":
        id_token = context.id_token(config.audience)
        token = from_oidc(
            client,
            config.endpoints,
            provider=config.provider,
            id_token=id_token,
            service_account=config.service_account,
            mask=mask,
        )
    else:
        if config.mode == "key" and config.credentials_type == "service_account":
            context.console.warning(
                "google-cloud-run signs in with a service-account key. Workload Identity "
                "Federation (gcp-workload-identity-provider) needs no stored key and cannot "
                "leak: set it up and drop gcp-credentials-json.",
                title="Long-lived key",
            )
        token = from_credentials_json(client, config.endpoints, config.credentials_json, mask=mask)
        if config.mode == "ambient":
            context.console.info(
                f"Application Default Credentials ({ADC_ENV}): {token.identity} ({token.mode})."
            )
    return token


@dataclass(frozen=True)
class Session:
    client: httpx.Client
    api: RunApi
    token: GoogleToken


class Connector:
    """Opens connections for one target; refuses while the inputs have problems."""

    def __init__(self, context: RunContext, config: GoogleConfig, problems: list[Problem]):
        self.context = context
        self.config = config
        self.problems = problems
        self._token: GoogleToken | None = None

    @property
    def identity(self) -> str:
        return self._token.identity if self._token else ""

    @contextmanager
    def open(self) -> Iterator[Session]:
        if self.problems:
            raise ValidationError(self.problems)
        with self.context.http() as client:
            if self._token is None:
                self._token = sign_in(self.context, self.config, client)
            api = RunApi(
                client,
                self.config.endpoints,
                token=self._token.access_token,
                project=self.config.project,
                region=self.config.region,
                deadline=self.context.deadline,
                sleep=self.context.sleep,
            )
            yield Session(client, api, self._token)

    # --- the image ---------------------------------------------------------------------
    def _login(self, host: str, token: GoogleToken) -> RegistryLogin:
        from ...artifact.oci_image import RegistryLogin

        c = self.config
        google = host.endswith(("-docker.pkg.dev", ".gcr.io")) or host == "gcr.io"
        if host == c.registry or google:  # Artifact Registry (gcr.io is served by it too)
            return RegistryLogin(AR_USERNAME, token.access_token, source="the Google access token")
        if c.registry_username or c.registry_password:
            return RegistryLogin(
                c.registry_username,
                c.registry_password,
                source="registry-username / registry-password",
            )
        return RegistryLogin()

    def uses_default_repository(self) -> bool:
        return not self.config.image and not self.config.image_repository

    def repository_exists(self, session: Session) -> bool:
        """Read only (for plan): whether the Artifact Registry repository is there."""
        c = self.config
        name = f"projects/{c.project}/locations/{c.region}/repositories/{c.repository}"
        answer = session.client.get(
            c.endpoints.url("artifactregistry", f"/v1/{name}"),
            headers={"Authorization": f"Bearer {session.token.access_token}"},
        )
        if answer.status_code == 404:
            return False
        raise_for_google(answer, f"reading repository {c.repository}", project=c.project)
        return True

    def image(self, session: Session) -> OciImageResult:
        """The image to deploy, pinned by digest (pushed first when the action makes it)."""
        from ...artifact import ArtifactRequest, work_dir
        from ...artifact.oci_image import OciImage, parse_reference, parse_repository

        c = self.config
        context = self.context
        if c.image:
            try:
                host = parse_reference(c.image, "").registry
            except ValueError as exc:
                where = c.sources.get("image", "image")
                raise ValidationError([Problem(where, str(exc))]) from None
        else:
            repository = c.image_repository or c.default_repository
            try:
                host = parse_repository(repository, "").registry
            except ValueError as exc:
                where = c.sources.get("image-repository", "image-repository")
                raise ValidationError([Problem(where, str(exc))]) from None
            if self.uses_default_repository():
                created = ensure_repository(
                    session.client,
                    c.endpoints,
                    token=session.token.access_token,
                    project=c.project,
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
                repository="" if c.image else (c.image_repository or c.default_repository),
                login=self._login(host, session.token),
                image=c.image,
                base_image=c.base_image,
                platform=c.platform,
                build_args=c.build_args,
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
