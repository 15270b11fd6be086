"""Artifact Registry: the Docker repository assembled images are pushed to.

``ensure_repository`` reads it, creates it when missing (the create is a long-running
operation, awaited within the deadline) and treats ``ALREADY_EXISTS`` (another job created
it in between) as success. It never deletes a repository: destroy keeps images.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from ...deadline import Deadline, poll_until
from ...errors import DeployError
from ...http import transient_reason
from .endpoints import GoogleEndpoints
from .failures import json_object, parse_error, raise_for_google

__all__ = ["REPOSITORY_ID", "ensure_repository", "registry_host", "repository_path"]

REPOSITORY_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")


def registry_host(region: str) -> str:
    return f"{region}-docker.pkg.dev"


def repository_path(region: str, project: str, repository: str, service: str) -> str:
    """Where an assembled image goes: ``<region>-docker.pkg.dev/<project>/<repo>/<service>``."""
    return f"{registry_host(region)}/{project}/{repository}/{service}"


def ensure_repository(
    http: httpx.Client,
    endpoints: GoogleEndpoints,
    *,
    token: str,
    project: str,
    region: str,
    repository: str,
    deadline: Deadline,
    sleep: Callable[[float], None],
) -> bool:
    """Make sure the DOCKER repository exists; True when this call created it."""
    headers = {"Authorization": f"Bearer {token}"}
    parent = f"projects/{project}/locations/{region}"
    name = f"{parent}/repositories/{repository}"
    found = http.get(endpoints.url("artifactregistry", f"/v1/{name}"), headers=headers)
    if found.status_code == 200:
        body = found.json()
        if isinstance(body, dict) and body.get("format") not in (None, "DOCKER"):
            raise DeployError(
                f"Artifact Registry repository {name} holds {body.get('format')} packages, "
                "not Docker images",
                target="google-cloud-run",
                remediation="choose another gcp-repository ([gcp].repository)",
            )
        return False
    if found.status_code != 404:
        raise_for_google(
            found, f"reading Artifact Registry repository {repository}", project=project
        )
    created = http.post(
        endpoints.url("artifactregistry", f"/v1/{parent}/repositories"),
        params={"repositoryId": repository},
        headers=headers,
        json={
            "format": "DOCKER",
            "description": "MCP server images deployed by pmcp-action",
            "labels": {"managed-by": "pmcp"},
        },
    )
    if created.status_code == 409 and parse_error(created).status == "ALREADY_EXISTS":
        return False
    operation = json_object(
        created, f"creating Artifact Registry repository {repository}", project=project
    )

    def probe() -> dict[str, Any] | None:
        answer = http.get(
            endpoints.url("artifactregistry", f"/v1/{operation['name']}"), headers=headers
        )
        current = json_object(answer, "waiting for the repository", project=project)
        return current if current.get("done") else None

    done = (
        operation
        if operation.get("done")
        else poll_until(
            probe,
            deadline=deadline,
            what=f"Artifact Registry repository {repository}",
            sleep=sleep,
            tolerate=transient_reason,
        )
    )
    error = done.get("error")
    if isinstance(error, dict):
        if error.get("code") == 6:  # ALREADY_EXISTS
            return False
        raise DeployError(
            f"creating Artifact Registry repository {repository} failed: "
            f"{str(error.get('message', ''))[:300]}",
            target="google-cloud-run",
        )
    return True
