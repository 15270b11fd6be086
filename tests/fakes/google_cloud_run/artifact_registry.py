"""Artifact Registry: the Docker repositories (``/v1/…/repositories``, created by a
long-running operation), its token service ``/v2/token`` for a real ``docker-registry``
(``auth: token``, this realm), and an in-process Docker registry that takes its login.
"""

from __future__ import annotations

import base64
import json
import re

import httpx

from ..oci_registry import FakeOciRegistry
from ..registry_token import FakeRegistryTokenServer
from ..server import json_response
from .envelope import error
from .state import GoogleState

__all__ = ["AR_ROUTE", "ArtifactRegistry", "FakeArtifactRegistryDocker"]

AR_ROUTE = re.compile(
    r"^/v1/projects/([^/]+)/locations/([^/]+)/(repositories|operations)(?:/([^/]+))?$"
)
_REPOSITORY_FIELDS = {"format", "description", "labels", "name", "mode", "kmsKeyName"}


class ArtifactRegistry(GoogleState):
    """Artifact Registry's routes over the shared state."""

    def _artifact_registry(
        self, request: httpx.Request, project: str, region: str, kind: str, item: str | None
    ) -> httpx.Response:
        parent = f"projects/{project}/locations/{region}"
        if kind == "operations":
            op = self.operations.get(f"{parent}/operations/{item}")
            return json_response(200, op) if op else error(404, "NOT_FOUND", "no operation")
        if item and request.method == "GET":
            repo = self.repositories.get(f"{parent}/repositories/{item}")
            if repo is None:
                return error(404, "NOT_FOUND", "Requested entity was not found.")
            return json_response(200, repo)
        if item is None and request.method == "POST":
            repo_id = request.url.params.get("repositoryId", "")
            body = json.loads(request.content or b"null")
            if not isinstance(body, dict) or set(body) - _REPOSITORY_FIELDS:
                return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            if body.get("format") != "DOCKER" or not re.match(
                r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", repo_id
            ):
                return error(400, "INVALID_ARGUMENT", "invalid repositoryId or format")
            name = f"{parent}/repositories/{repo_id}"
            if self.race_repository_create:
                self.repositories[name] = {"name": name, "format": "DOCKER"}
            if name in self.repositories:
                return error(409, "ALREADY_EXISTS", "the repository already exists")
            self.repositories[name] = {**body, "name": name}
            return self._operation(
                parent,
                self.repositories[name],
                type_url="type.googleapis.com/google.devtools.artifactregistry.v1.Repository",
                metadata_type="type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata",
            )
        return error(404, "NOT_FOUND", "no route")

    def _registry_token(
        self, request: httpx.Request, signer: FakeRegistryTokenServer
    ) -> httpx.Response:
        """Artifact Registry's token service: ``oauth2accesstoken`` + a minted access token."""
        header = request.headers.get("Authorization", "")
        user, _, password = (
            base64.b64decode(header[6:]).decode().partition(":")
            if header.startswith("Basic ")
            else ("", "", "")
        )
        if request.method != "GET" or user != "oauth2accesstoken" or password not in self.tokens:
            return json_response(
                401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication failed"}]}
            )
        service = request.url.params.get("service", "")
        token = signer.sign(user, request.url.params.get_list("scope"), audience=service)
        self.registry_tokens.append(token)
        self.registry_logins.append(self.tokens[password])
        return json_response(200, {"token": token, "access_token": token, "expires_in": 300})


class FakeArtifactRegistryDocker(FakeOciRegistry):
    """``<region>-docker.pkg.dev``: the login is ``oauth2accesstoken`` and an access token
    the Google fake minted (and has not forgotten)."""

    def __init__(self, google: GoogleState, *, host: str = "127.0.0.1:5000") -> None:
        super().__init__(host=host, auth="bearer", username="oauth2accesstoken", password="")
        self.google = google

    def _basic_ok(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == "oauth2accesstoken" and password in self.google.tokens
