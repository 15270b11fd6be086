"""Cloud Resource Manager's ``testIamPermissions`` on the project (``check``'s probe): which
of the permissions a deploy uses the caller holds there. It reads; it needs no role."""

from __future__ import annotations

import httpx

from ...rest import RestApi
from .endpoints import GoogleEndpoints
from .failures import GoogleEnvelope

__all__ = ["ResourceManagerApi"]


class ResourceManagerApi(RestApi):
    """One project's IAM questions, with a bearer token."""

    def __init__(
        self, client: httpx.Client, endpoints: GoogleEndpoints, *, token: str, project: str
    ) -> None:
        super().__init__(
            client,
            endpoints.base("cloudresourcemanager"),
            envelope=GoogleEnvelope(project),
            headers={"Authorization": f"Bearer {token}"},
            reach_hint=endpoints.reach_hint,
        )
        self.project = project

    def held(self, permissions: list[str]) -> list[str]:
        """The ones of ``permissions`` the caller holds on the project."""
        answer = self.call_json(
            "POST",
            f"/v1/projects/{self.project}:testIamPermissions",
            f"testing the permissions of the project {self.project}",
            json={"permissions": permissions},
        )
        return [str(p) for p in answer.get("permissions") or []]
