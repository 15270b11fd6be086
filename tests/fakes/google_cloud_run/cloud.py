"""The fake Google Cloud one origin serves: each API's routes, by path."""

from __future__ import annotations

import json

import httpx

from ..server import json_response
from .artifact_registry import AR_ROUTE, ArtifactRegistry
from .iam_admin import IAM_ROUTE, PROJECT_ROUTE, IamAdmin
from .iamcredentials import IamCredentials
from .oauth2 import OAuth2
from .resource_manager import CRM_ROUTE, ResourceManager
from .run_schema import as_numbers
from .run_services import CloudRunServices
from .secret_manager import SM_ROUTE, as_state_numbers
from .sts import Sts

__all__ = ["FakeCloudRun"]


class FakeCloudRun(
    Sts, IamCredentials, IamAdmin, OAuth2, ArtifactRegistry, ResourceManager, CloudRunServices
):
    """STS, iamcredentials, oauth2, Artifact Registry, Secret Manager, Resource Manager and
    Cloud Run Admin API v2 for one or more projects (any project and region accepted)."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Routes; ``$alt=json;enum-encoding=int`` (Google's clients) is answered in numbers."""
        answer = self._route(request)
        if "enum-encoding=int" not in request.url.params.get("$alt", ""):
            return answer
        numbers = as_state_numbers if SM_ROUTE.match(request.url.path) else as_numbers
        return json_response(answer.status_code, numbers(json.loads(answer.content)))

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/token":
            return self._sts(request)
        if path == "/token":
            return self._token(request)
        if path.startswith("/v1/projects/-/serviceAccounts/") and path.endswith(
            ":generateAccessToken"
        ):
            return self._generate(request, path)
        secrets = SM_ROUTE.match(path)
        if secrets is not None:
            return self._secret_manager(request, secrets)
        iam = IAM_ROUTE.match(path)
        if iam is not None:
            return self._iam(request, iam["project"], iam["rest"])
        project = PROJECT_ROUTE.match(path)
        if project is not None and request.method == "GET":
            return self._project(request, project["project"])
        crm = CRM_ROUTE.match(path)
        if crm is not None:
            return self._resource_manager(request, *crm.groups())
        ar = AR_ROUTE.match(request.url.path)
        if ar is not None:
            return self._artifact_registry(request, *ar.groups())
        return self._run(request)
