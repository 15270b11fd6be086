"""The Cloud Run Admin API v2 (services, revisions, operations, IAM) over an injected client.

String enum names and lowerCamelCase JSON, as the public REST surface documents them.
Every long-running operation is awaited within the run's deadline; an operation that
ends with an error raises :class:`~pmcp_action.errors.DeployError` with Cloud Run's
message (the revision's condition when it never became ready).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ...deadline import Deadline, poll_until
from ...errors import DeployError
from ...http import transient_reason
from .endpoints import GoogleEndpoints
from .failures import json_object

__all__ = ["RunApi"]

JsonObject = dict[str, Any]


class RunApi:
    """One project and region of Cloud Run, with a bearer token."""

    def __init__(
        self,
        http: httpx.Client,
        endpoints: GoogleEndpoints,
        *,
        token: str,
        project: str,
        region: str,
        deadline: Deadline,
        sleep: Callable[[float], None],
    ) -> None:
        self._http = http
        self._endpoints = endpoints
        self._headers = {"Authorization": f"Bearer {token}"}
        self.project = project
        self.region = region
        self._deadline = deadline
        self._sleep = sleep

    # --- names ------------------------------------------------------------------------
    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.region}"

    def service_name(self, service: str) -> str:
        return f"{self.parent}/services/{service}"

    def _url(self, path: str) -> str:
        return self._endpoints.url("run", f"/v2/{path}")

    def _json(self, response: httpx.Response, doing: str) -> JsonObject:
        return json_object(response, doing, project=self.project)

    # --- services ---------------------------------------------------------------------
    def get_service(self, service: str) -> JsonObject | None:
        response = self._http.get(self._url(self.service_name(service)), headers=self._headers)
        if response.status_code == 404:
            return None
        return self._json(response, f"reading service {service}")

    def create_service(self, service: str, body: JsonObject) -> JsonObject:
        response = self._http.post(
            self._url(f"{self.parent}/services"),
            params={"serviceId": service},
            headers=self._headers,
            json=body,
        )
        return self._json(response, f"creating service {service}")

    def update_service(self, service: str, body: JsonObject) -> JsonObject:
        """PATCH the whole updatable surface (send ``etag`` in the body for a conditional write)."""
        response = self._http.patch(
            self._url(self.service_name(service)), headers=self._headers, json=body
        )
        return self._json(response, f"updating service {service}")

    def delete_service(self, service: str) -> JsonObject:
        response = self._http.delete(self._url(self.service_name(service)), headers=self._headers)
        return self._json(response, f"deleting service {service}")

    def list_revisions(self, service: str) -> list[JsonObject]:
        revisions: list[JsonObject] = []
        token = ""
        while True:
            params = {"pageSize": "100", **({"pageToken": token} if token else {})}
            body = self._json(
                self._http.get(
                    self._url(f"{self.service_name(service)}/revisions"),
                    params=params,
                    headers=self._headers,
                ),
                f"listing the revisions of {service}",
            )
            revisions.extend(r for r in body.get("revisions", ()) if isinstance(r, dict))
            token = str(body.get("nextPageToken", ""))
            if not token:
                return revisions

    # --- IAM --------------------------------------------------------------------------
    def get_iam_policy(self, service: str) -> JsonObject:
        response = self._http.get(
            self._url(f"{self.service_name(service)}:getIamPolicy"), headers=self._headers
        )
        return self._json(response, f"reading the IAM policy of {service}")

    def set_iam_policy(self, service: str, policy: JsonObject) -> httpx.Response:
        """The raw answer: the caller tells an etag conflict and an org policy apart."""
        return self._http.post(
            self._url(f"{self.service_name(service)}:setIamPolicy"),
            headers=self._headers,
            json={"policy": policy},
        )

    # --- operations -------------------------------------------------------------------
    def wait(self, operation: JsonObject, what: str) -> JsonObject:
        """The operation's ``response`` once done; its ``error`` raises DeployError."""
        name = str(operation.get("name", ""))

        def probe() -> JsonObject | None:
            current = operation
            if not current.get("done"):
                current = self._json(
                    self._http.get(self._url(name), headers=self._headers), f"waiting for {what}"
                )
            if not current.get("done"):
                return None
            return current

        done = (
            operation
            if operation.get("done")
            else poll_until(
                probe,
                deadline=self._deadline,
                what=what,
                initial_delay=1.0,
                max_delay=5.0,
                sleep=self._sleep,
                tolerate=transient_reason,
            )
        )
        error = done.get("error")
        if isinstance(error, dict):
            raise DeployError(
                f"{what} failed: {str(error.get('message', 'no message'))[:500]}",
                target="google-cloud-run",
            )
        response = done.get("response")
        if not isinstance(response, dict):
            return {}
        # An Any: the Service plus "@type", which a Service body sent back must not carry.
        return {k: v for k, v in response.items() if k != "@type"}
