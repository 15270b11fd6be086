"""Artifact Registry: the Docker repository assembled images are pushed to.

:class:`ArtifactRegistryApi` reads a repository and creates one; ``ensure_repository``
creates it when missing (the create is a long-running operation, awaited within the
deadline) and treats ``ALREADY_EXISTS`` (another job created it in between, or a retried
create that had already happened) as success. It never deletes a repository: destroy
keeps images.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from ...deadline import Deadline, poll_until
from ...errors import DeployError
from ...http import transient_reason
from ...ownership import labels
from ...polling import OPERATION_POLL
from ...rest import RestApi
from .declaration import NAME
from .endpoints import GoogleEndpoints
from .failures import GoogleApiError, GoogleEnvelope

__all__ = [
    "REPOSITORY_ID",
    "ArtifactRegistryApi",
    "ensure_repository",
    "registry_host",
    "repository_path",
]

REPOSITORY_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
#: ``google.rpc.Code.ALREADY_EXISTS``, as a finished operation's error carries it.
_ALREADY_EXISTS = 6


def registry_host(region: str) -> str:
    return f"{region}-docker.pkg.dev"


def repository_path(region: str, project: str, repository: str, service: str) -> str:
    """Where an assembled image goes: ``<region>-docker.pkg.dev/<project>/<repo>/<service>``."""
    return f"{registry_host(region)}/{project}/{repository}/{service}"


class ArtifactRegistryApi(RestApi):
    """One project and region of Artifact Registry, with a bearer token."""

    def __init__(
        self, client: httpx.Client, endpoints: GoogleEndpoints, *, token: str, project: str
    ) -> None:
        super().__init__(
            client,
            endpoints.base("artifactregistry"),
            envelope=GoogleEnvelope(project),
            headers={"Authorization": f"Bearer {token}"},
            reach_hint=endpoints.reach_hint,
        )
        self.project = project

    def find_repository(self, region: str, repository: str) -> dict[str, Any] | None:
        """The repository, or None when there is none."""
        name = f"projects/{self.project}/locations/{region}/repositories/{repository}"
        return self.find_json(f"/v1/{name}", f"reading Artifact Registry repository {repository}")

    def create_repository(self, region: str, repository: str) -> dict[str, Any]:
        """The create operation of a Docker repository marked as this tool's."""
        return self.call_json(
            "POST",
            f"/v1/projects/{self.project}/locations/{region}/repositories",
            f"creating Artifact Registry repository {repository}",
            params={"repositoryId": repository},
            json={
                "format": "DOCKER",
                "description": "MCP server images deployed by pmcp-action",
                "labels": labels(),
            },
        )

    def operation(self, name: str, repository: str) -> dict[str, Any]:
        return self.call_json(
            "GET", f"/v1/{name}", f"waiting for Artifact Registry repository {repository}"
        )


def ensure_repository(
    api: ArtifactRegistryApi,
    *,
    region: str,
    repository: str,
    deadline: Deadline,
    sleep: Callable[[float], None],
) -> bool:
    """Make sure the DOCKER repository exists; True when this call created it."""
    found = api.find_repository(region, repository)
    if found is not None:
        if found.get("format") not in (None, "DOCKER"):
            raise DeployError(
                f"Artifact Registry repository {repository} in {region} holds "
                f"{found.get('format')} packages, not Docker images.",
                target=NAME,
                remediation="Choose another gcp-repository ([gcp].repository).",
            )
        return False
    try:
        operation = api.create_repository(region, repository)
    except GoogleApiError as exc:
        if exc.status == 409 and exc.google.status == "ALREADY_EXISTS":
            return False
        raise

    def probe() -> dict[str, Any] | None:
        current = api.operation(str(operation.get("name", "")), repository)
        return current if current.get("done") else None

    done = (
        operation
        if operation.get("done")
        else poll_until(
            probe,
            deadline=deadline,
            what=f"Artifact Registry repository {repository}",
            schedule=OPERATION_POLL,
            sleep=sleep,
            tolerate=transient_reason,
        )
    )
    error = done.get("error")
    if isinstance(error, dict):
        if error.get("code") == _ALREADY_EXISTS:
            return False
        raise DeployError(
            f"Creating Artifact Registry repository {repository} failed: "
            f"{str(error.get('message', ''))[:300]}",
            target=NAME,
        )
    return True
