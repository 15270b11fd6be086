"""The Cloud Run Admin API v2 (services, revisions, operations, IAM) as a REST kit client.

String enum names and lowerCamelCase JSON, as the public REST surface documents them.
Every long-running operation is awaited within the run's deadline; an operation that
ends with an error raises :class:`~pmcp_action.errors.DeployError` with Cloud Run's
message (the revision's condition when it never became ready). A failed call raises
:class:`~.failures.GoogleApiError` through :class:`~.failures.GoogleEnvelope`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ...deadline import Deadline, poll_until
from ...errors import DeployError
from ...http import transient_reason
from ...polling import OPERATION_POLL
from ...rest import RestApi
from .declaration import NAME
from .endpoints import GoogleEndpoints
from .failures import GoogleEnvelope

__all__ = ["RunApi"]

JsonObject = dict[str, Any]


class RunApi(RestApi):
    """One project and region of Cloud Run, with a bearer token."""

    def __init__(
        self,
        client: httpx.Client,
        endpoints: GoogleEndpoints,
        *,
        token: str,
        project: str,
        region: str,
        deadline: Deadline,
        sleep: Callable[[float], None],
    ) -> None:
        super().__init__(
            client,
            endpoints.base("run"),
            envelope=GoogleEnvelope(project),
            headers={"Authorization": f"Bearer {token}"},
            reach_hint=endpoints.reach_hint,
        )
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

    def _path(self, name: str) -> str:
        return f"/v2/{name}"

    # --- services ---------------------------------------------------------------------
    def get_service(self, service: str) -> JsonObject | None:
        """The service, or None when there is none."""
        return self.find_json(self._path(self.service_name(service)), f"reading service {service}")

    def create_service(self, service: str, body: JsonObject) -> JsonObject:
        """The create operation; sent once (a lost answer is read back by the caller)."""
        return self.call_json(
            "POST",
            self._path(f"{self.parent}/services"),
            f"creating service {service}",
            params={"serviceId": service},
            json=body,
            once=True,
        )

    def update_service(self, service: str, body: JsonObject) -> JsonObject:
        """PATCH the whole updatable surface (send ``etag`` in the body for a conditional write)."""
        return self.call_json(
            "PATCH",
            self._path(self.service_name(service)),
            f"updating service {service}",
            json=body,
        )

    def delete_service(self, service: str) -> JsonObject:
        return self.call_json(
            "DELETE", self._path(self.service_name(service)), f"deleting service {service}"
        )

    def delete_revision(self, service: str, revision: str) -> JsonObject:
        """The delete operation of a revision that serves nothing."""
        return self.call_json(
            "DELETE",
            self._path(f"{self.service_name(service)}/revisions/{revision}"),
            f"deleting revision {revision} of {service}",
        )

    def list_revisions(self, service: str) -> list[JsonObject]:
        """Every revision of the service, newest first."""
        revisions: list[JsonObject] = []
        token = ""
        while True:
            params = {"pageSize": "100", **({"pageToken": token} if token else {})}
            body = self.call_json(
                "GET",
                self._path(f"{self.service_name(service)}/revisions"),
                f"listing the revisions of {service}",
                params=params,
            )
            revisions.extend(r for r in body.get("revisions", ()) if isinstance(r, dict))
            token = str(body.get("nextPageToken", ""))
            if not token:
                return revisions

    # --- IAM --------------------------------------------------------------------------
    def get_iam_policy(self, service: str) -> JsonObject:
        return self.call_json(
            "GET",
            self._path(f"{self.service_name(service)}:getIamPolicy"),
            f"reading the IAM policy of {service}",
        )

    def set_iam_policy(self, service: str, policy: JsonObject) -> JsonObject:
        """Write ``policy`` (its ``etag`` makes the write conditional)."""
        return self.call_json(
            "POST",
            self._path(f"{self.service_name(service)}:setIamPolicy"),
            f"setting the IAM policy of {service}",
            json={"policy": policy},
        )

    # --- operations -------------------------------------------------------------------
    def wait(self, operation: JsonObject, what: str) -> JsonObject:
        """The operation's ``response`` once done; its ``error`` raises DeployError."""
        name = str(operation.get("name", ""))

        def probe() -> JsonObject | None:
            current = operation
            if not current.get("done"):
                current = self.call_json("GET", self._path(name), f"waiting for {what}")
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
                schedule=OPERATION_POLL,
                sleep=self._sleep,
                tolerate=transient_reason,
            )
        )
        error = done.get("error")
        if isinstance(error, dict):
            raise DeployError(
                f"{what[:1].upper()}{what[1:]} failed: "
                f"{str(error.get('message', 'no message'))[:500]}",
                target=NAME,
            )
        response = done.get("response")
        if not isinstance(response, dict):
            return {}
        # An Any: the Service plus "@type", which a Service body sent back must not carry.
        return {k: v for k, v in response.items() if k != "@type"}
