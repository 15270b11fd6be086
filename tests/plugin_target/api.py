"""The Demo Cloud API calls, each named for what it does."""

from __future__ import annotations

from typing import Any

import httpx

from pmcp_action.plugin import RestApi

from .failures import DemoEnvelope

__all__ = ["DemoApi"]


class DemoApi(RestApi):
    """Calls to one Demo Cloud endpoint, signed in with a session token."""

    def __init__(self, client: httpx.Client, endpoint: str, token: str) -> None:
        super().__init__(
            client,
            endpoint,
            envelope=DemoEnvelope(),
            headers={"Authorization": f"Bearer {token}"},
            reach_hint="demo-endpoint",
        )

    def open_session(self) -> dict[str, Any]:
        return self.call_json("POST", "/v1/sessions", "opening a Demo Cloud session", once=True)

    def service(self, name: str) -> dict[str, Any] | None:
        return self.find_json(f"/v1/services/{name}", f"reading service {name}")

    def create_service(self, name: str, region: str, labels: dict[str, str], digest: str) -> None:
        body = {"name": name, "region": region, "labels": labels, "digest": digest}
        self.call("POST", "/v1/services", f"creating service {name}", json=body, once=True)

    def add_version(self, name: str, digest: str) -> str:
        doing = f"adding a version to service {name}"
        made = self.call_json(
            "POST", f"/v1/services/{name}/versions", doing, json={"digest": digest}, once=True
        )
        return str(made.get("id", ""))

    def serve(self, name: str, version: str, *, instead_of: str) -> None:
        body = {"serving": version, "if_serving": instead_of}
        doing = f"moving the traffic of service {name} to version {version}"
        self.call("PUT", f"/v1/services/{name}/traffic", doing, json=body)

    def drop_version(self, name: str, version: str) -> None:
        doing = f"deleting version {version} of service {name}"
        self.call("DELETE", f"/v1/services/{name}/versions/{version}", doing, missing_ok=True)

    def delete_service(self, name: str) -> None:
        self.call("DELETE", f"/v1/services/{name}", f"deleting service {name}")

    def logs(self, name: str, version: str, limit: int) -> list[str]:
        doing = f"reading the logs of version {version} of service {name}"
        found = self.call_json(
            "GET",
            f"/v1/services/{name}/versions/{version}/logs",
            doing,
            params={"limit": str(limit)},
        )
        lines = found.get("lines")
        return [str(line) for line in lines] if isinstance(lines, list) else []
