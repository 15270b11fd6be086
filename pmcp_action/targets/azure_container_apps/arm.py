"""Azure Resource Manager calls: providers, resource groups, managed environments, apps.

One client (a :class:`~pmcp_action.rest.RestApi` with ARM's envelope) over an injected HTTP
client (retries of 429/5xx are the client's). A long-running PUT/PATCH/DELETE is awaited
through ``Azure-AsyncOperation`` (status), else ``Location`` (202 until 200/204), else the
resource's ``provisioningState``, on the shared schedule of operation waits (a longer
``Retry-After`` from ARM is honoured); a long-poll that drops is followed by a re-read of the
resource, not a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ...deadline import Deadline, poll_until
from ...errors import DeployError
from ...polling import OPERATION_POLL, Pending
from ...rest import RestApi, TransportFailure, json_object, retry_after_seconds
from .config import ARM_URL_ENV
from .declaration import NAME
from .failures import ArmEnvelope, ArmError

__all__ = ["APP_API", "Arm", "RESOURCES_API"]

RESOURCES_API = "2021-04-01"
APP_API = "2024-03-01"
#: 409 codes that mean "refused, nothing done: another operation is running".
_BUSY = ("OperationInProgress", "AnotherOperationInProgress")
_TERMINAL = frozenset({"Succeeded", "Failed", "Canceled"})


def _tolerate(exc: Exception) -> str | None:
    if isinstance(exc, TransportFailure):
        return f"the long-poll dropped ({type(exc.__cause__).__name__})"
    if isinstance(exc, ArmError) and exc.status is not None and exc.status >= 500:
        return f"HTTP {exc.status}"
    return None


class Arm:
    """ARM under one subscription with one bearer token."""

    def __init__(
        self,
        client: httpx.Client,
        base: str,
        token: str,
        subscription: str,
        *,
        deadline: Deadline,
        sleep: Callable[[float], None],
        client_id: str = "",
        on_wait: Callable[[str], None] = lambda _m: None,
    ) -> None:
        self.client = client
        self.api = RestApi(
            client,
            base,
            envelope=ArmEnvelope(client_id),
            headers={"Authorization": f"Bearer {token}"},
            reach_hint=f"azure-cloud, or {ARM_URL_ENV}",
        )
        self.subscription = subscription
        self.deadline = deadline
        self.sleep = sleep
        self.client_id = client_id
        self.on_wait = on_wait

    # --- plumbing -----------------------------------------------------------------------
    def sub_path(self, rest: str) -> str:
        return f"/subscriptions/{self.subscription}{rest}"

    def call(
        self,
        method: str,
        path: str,
        api_version: str,
        what: str,
        *,
        body: dict[str, Any] | None = None,
        retry: bool = True,
        reads: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call; a write refused because another operation runs is sent again later.

        ``retry=False``: the client sends it once, whatever the answer (a call that is not
        idempotent, whose caller reads whether it happened before sending it again).
        ``reads``: a POST that only reads (``listSecrets``), sent again like a GET.
        """
        response = self._call(
            method, path, api_version, what, body=body, retry=retry, reads=reads, headers=headers
        )
        assert response is not None  # missing_ok was not asked for
        return response

    def call_or_none(
        self, method: str, path: str, api_version: str, what: str
    ) -> httpx.Response | None:
        """One call whose 404 means "there is none" (a read, or a delete of what is gone)."""
        return self._call(method, path, api_version, what, missing_ok=True)

    def _call(
        self,
        method: str,
        path: str,
        api_version: str,
        what: str,
        *,
        body: dict[str, Any] | None = None,
        missing_ok: bool = False,
        retry: bool = True,
        reads: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response | None:
        params = None if "api-version=" in path else {"api-version": api_version}

        def send() -> httpx.Response | None:
            return self.api.call(
                method,
                path,
                what,
                params=params,
                json=body,
                missing_ok=missing_ok,
                once=not retry,
                idempotent=reads,
                headers=headers,
            )

        if method == "GET":
            return send()
        answer: list[httpx.Response | None] = []

        def attempt() -> bool | None:
            try:
                answer.append(send())
            except ArmError as exc:
                if exc.status == 409 and exc.code.endswith(_BUSY):
                    self.on_wait(f"{what}: another operation is running on it; waiting")
                    return None
                raise
            return True

        poll_until(attempt, deadline=self.deadline, what=what, sleep=self.sleep, initial_delay=2.0)
        return answer[-1]

    def get(self, path: str, api_version: str, what: str) -> dict[str, Any] | None:
        """The resource at ``path``; None when there is none."""
        response = self.call_or_none("GET", path, api_version, what)
        return None if response is None else json_object(response, what)

    def wait(
        self, response: httpx.Response, path: str, api_version: str, what: str
    ) -> dict[str, Any] | None:
        """Await a long-running operation; the resource afterwards (None when deleted)."""
        operation = response.headers.get("Azure-AsyncOperation", "")
        location = response.headers.get("Location", "")
        asked = retry_after_seconds(response.headers)  # before the first read
        if operation:
            self._poll(lambda: self._operation_done(operation, api_version, what), what, asked)
        elif location:
            self._poll(lambda: self._location_done(location, api_version, what), what, asked)
        resource = self._poll(
            lambda: self._resource_done(path, api_version, what),
            what,
            None if operation or location else asked,
        )
        return resource or None

    def _poll(self, probe: Callable[[], Any], what: str, retry_after: float | None = None) -> Any:
        return poll_until(
            probe,
            deadline=self.deadline,
            what=what,
            sleep=self.sleep,
            tolerate=_tolerate,
            on_tolerated=lambda reason: self.on_wait(f"{what}: {reason}; checking again"),
            schedule=OPERATION_POLL,
            retry_after=retry_after,
        )

    def _operation_done(self, url: str, api_version: str, what: str) -> bool | Pending:
        response = self.call("GET", url, api_version, what)
        data = json_object(response, what)
        status = str(data.get("status", ""))
        if status == "Succeeded":
            return True
        if status in _TERMINAL:
            error = data.get("error") or {}
            raise DeployError(
                f"{what} ended {status}: {error.get('code', '')}: {error.get('message', '')}",
                target=NAME,
            )
        return Pending(retry_after_seconds(response.headers))

    def _location_done(self, url: str, api_version: str, what: str) -> bool | Pending:
        response = self.call("GET", url, api_version, what)
        return (
            Pending(retry_after_seconds(response.headers)) if response.status_code == 202 else True
        )

    def _resource_done(self, path: str, api_version: str, what: str) -> dict[str, Any] | None:
        resource = self.get(path, api_version, what)
        if resource is None:
            return {}
        state = str(resource.get("properties", {}).get("provisioningState", "Succeeded"))
        if state in ("Failed", "Canceled"):
            raise DeployError(
                f"{what} ended {state}.",
                target=NAME,
                remediation="See the resource's activity log in the Azure portal.",
            )
        return resource if state == "Succeeded" else None

    # --- providers ---------------------------------------------------------------------
    def provider_state(self, namespace: str) -> str:
        what = f"reading the state of resource provider {namespace}"
        data = self.get(self.sub_path(f"/providers/{namespace}"), RESOURCES_API, what)
        return str((data or {}).get("registrationState", "NotRegistered"))

    def register_provider(self, namespace: str) -> None:
        what = f"registering the resource provider {namespace}"
        self.call("POST", self.sub_path(f"/providers/{namespace}/register"), RESOURCES_API, what)

        def registered() -> bool | None:
            return True if self.provider_state(namespace) == "Registered" else None

        self._poll(registered, what)

    # --- resource groups ---------------------------------------------------------------
    def group_path(self, group: str) -> str:
        return self.sub_path(f"/resourcegroups/{group}")

    def resource_group(self, group: str) -> dict[str, Any] | None:
        return self.get(self.group_path(group), RESOURCES_API, f"reading resource group {group}")

    def create_resource_group(
        self, group: str, location: str, tags: dict[str, str]
    ) -> dict[str, Any]:
        response = self.call(
            "PUT",
            self.group_path(group),
            RESOURCES_API,
            f"creating resource group {group}",
            body={"location": location, "tags": tags},
        )
        return json_object(response, f"creating resource group {group}")

    def delete_resource_group(self, group: str) -> None:
        what = f"deleting resource group {group}"
        response = self.call("DELETE", self.group_path(group), RESOURCES_API, what)
        self.wait(response, self.group_path(group), RESOURCES_API, what)

    # --- Microsoft.App -------------------------------------------------------------------
    def app_resource(self, group: str, kind: str, name: str) -> str:
        return f"{self.group_path(group)}/providers/Microsoft.App/{kind}/{name}"

    def put(
        self, path: str, body: dict[str, Any], what: str, api_version: str = APP_API
    ) -> dict[str, Any]:
        response = self.call("PUT", path, api_version, what, body=body)
        return self.wait(response, path, api_version, what) or {}

    def patch(
        self,
        path: str,
        body: dict[str, Any],
        what: str,
        api_version: str = APP_API,
        *,
        if_match: str = "",
    ) -> dict[str, Any]:
        """A merge patch; with ``if_match`` (the etag read), refused (412) when the resource
        changed since."""
        headers = {"If-Match": if_match} if if_match else None
        response = self.call("PATCH", path, api_version, what, body=body, headers=headers)
        return self.wait(response, path, api_version, what) or {}

    def post(
        self,
        path: str,
        api_version: str,
        what: str,
        body: dict[str, Any] | None = None,
        *,
        reads: bool = False,
    ) -> dict[str, Any]:
        """A synchronous action (``listCredentials``): its JSON answer; ``reads``: it only
        reads, so a lost answer is asked for again."""
        return json_object(self.call("POST", path, api_version, what, body=body, reads=reads), what)

    def delete(self, path: str, what: str) -> None:
        response = self.call_or_none("DELETE", path, APP_API, what)
        if response is not None and response.status_code in (202, 200):
            self.wait(response, path, APP_API, what)

    def revisions(self, group: str, app: str) -> list[dict[str, Any]]:
        path = self.app_resource(group, "containerApps", app) + "/revisions"
        found: list[dict[str, Any]] = []
        url: str = path
        while url:
            what = f"listing revisions of {app}"
            data = json_object(self.call("GET", url, APP_API, what), what)
            found.extend(item for item in data.get("value", []) if isinstance(item, dict))
            url = str(data.get("nextLink") or "")
        return found

    def activate(self, group: str, app: str, revision: str, *, action: str = "activate") -> None:
        """``activate`` (or ``deactivate``) a revision."""
        path = self.app_resource(group, "containerApps", app) + f"/revisions/{revision}/{action}"
        self.call("POST", path, APP_API, f"{action[:-1]}ing revision {revision}")
