"""The Workers API calls this target makes, over an injected client (reference cloud-apis §3).

Every answer is read from Cloudflare's envelope (``success``/``errors``/``result``); a
failure becomes a :class:`~.failures.CloudflareApiError`. Calls that create something
(a version, a deployment) are sent once per attempt without the client's own retries,
so the caller can prove by a read that a lost answer did not create it twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...http import RetryingClient
from ...rest import RestApi
from .failures import ERR_NOT_FOUND, ERR_SERVICE_NOT_FOUND, CloudflareApiError, CloudflareEnvelope

__all__ = ["DeploymentInfo", "ScriptUpload", "VersionInfo", "WorkersApi"]

#: wrangler sends this with the script subdomain calls.
_SCRIPT_API_DATE = {"Cloudflare-Workers-Script-Api-Date": "2025-08-01"}


@dataclass(frozen=True)
class ScriptUpload:
    """The multipart body of a script or version upload."""

    metadata: Mapping[str, Any]
    #: (part name, content type, bytes), the main module first.
    modules: Sequence[tuple[str, str, bytes]]

    def files(self) -> list[tuple[str, tuple[str | None, bytes, str]]]:
        parts: list[tuple[str, tuple[str | None, bytes, str]]] = [
            ("metadata", (None, json.dumps(self.metadata).encode(), "application/json"))
        ]
        parts += [(name, (name, data, kind)) for name, kind, data in self.modules]
        return parts


@dataclass(frozen=True)
class VersionInfo:
    id: str
    number: int = 0
    annotations: Mapping[str, str] = field(default_factory=dict)
    compatibility_date: str = ""
    has_preview: bool = False
    bindings: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class DeploymentInfo:
    id: str
    created_on: str
    #: (version id, percentage)
    versions: tuple[tuple[str, int], ...]
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def main_version(self) -> str:
        return max(self.versions, key=lambda item: item[1])[0] if self.versions else ""

    @property
    def whole_version(self) -> str:
        """The version serving 100 %, or ""."""
        return next((v for v, p in self.versions if p == 100), "")


def _annotations(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


class WorkersApi(RestApi):
    """One account's Workers API."""

    def __init__(self, client: RetryingClient, base: str, token: str) -> None:
        super().__init__(
            client,
            base,
            envelope=CloudflareEnvelope(self),
            headers={"Authorization": f"Bearer {token}"},
            reach_hint="cloudflare-api-base-url, CLOUDFLARE_API_BASE_URL",
        )
        self.account_id = ""

    def result(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json_body: object = None,
        files: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        once: bool = False,
    ) -> Any:
        """The ``result`` of a call Cloudflare answered with ``success: true``."""
        response = self.call(
            method,
            path,
            what,
            json=json_body,
            files=files,
            params=params,
            headers=headers,
            once=once,
        )
        assert response is not None
        if response.status_code in (204, 205) and not response.content:
            return None
        payload = self.body(response)
        return payload.get("result") if isinstance(payload, dict) else None

    def _account(self, path: str) -> str:
        return f"/accounts/{self.account_id}{path}"

    def _script(self, name: str, path: str = "") -> str:
        return self._account(f"/workers/scripts/{name}{path}")

    # --- token and account ------------------------------------------------------------
    def verify_token(self) -> Mapping[str, Any]:
        result = self.result("GET", "/user/tokens/verify", "verifying the API token")
        return result if isinstance(result, dict) else {}

    def verify_account_token(self, account_id: str) -> Mapping[str, Any]:
        result = self.result(
            "GET", f"/accounts/{account_id}/tokens/verify", "verifying the account API token"
        )
        return result if isinstance(result, dict) else {}

    def accounts(self) -> list[tuple[str, str]]:
        result = self.result("GET", "/accounts", "listing the accounts", params={"per_page": "50"})
        found = []
        for item in result if isinstance(result, list) else []:
            if isinstance(item, dict) and item.get("id"):
                found.append((str(item["id"]), str(item.get("name", ""))))
        return found

    def account_subdomain(self) -> str:
        result = self.result(
            "GET", self._account("/workers/subdomain"), "reading the workers.dev subdomain"
        )
        return str(result.get("subdomain", "")) if isinstance(result, dict) else ""

    # --- scripts ----------------------------------------------------------------------
    def service(self, name: str) -> Mapping[str, Any] | None:
        """The Worker, or None when it does not exist."""
        try:
            result = self.result(
                "GET", self._account(f"/workers/services/{name}"), f"reading the Worker {name}"
            )
        except CloudflareApiError as exc:
            if exc.has(ERR_NOT_FOUND) or exc.has(ERR_SERVICE_NOT_FOUND):
                return None
            raise
        return result if isinstance(result, dict) else {}

    def upload_script(self, name: str, upload: ScriptUpload) -> Mapping[str, Any]:
        """PUT: upload and deploy at 100 % (a new Worker's first version). Each PUT makes a
        version and a deployment, so it is sent once per attempt, like a POST."""
        result = self.result(
            "PUT",
            self._script(name),
            f"uploading the Worker {name}",
            files=upload.files(),
            params={"bindings_inherit": "strict", "excludeScript": "true"},
            once=True,
        )
        return result if isinstance(result, dict) else {}

    def upload_version(self, name: str, upload: ScriptUpload) -> VersionInfo:
        result = self.result(
            "POST",
            self._script(name, "/versions"),
            f"uploading a new version of {name}",
            files=upload.files(),
            params={"bindings_inherit": "strict"},
            once=True,
        )
        return self._version(result)

    def versions(self, name: str) -> list[VersionInfo]:
        result = self.result(
            "GET", self._script(name, "/versions"), f"listing the versions of {name}"
        )
        items = result.get("items", []) if isinstance(result, dict) else []
        return [self._version(item) for item in items if isinstance(item, dict)]

    def version(self, name: str, version_id: str) -> VersionInfo:
        result = self.result(
            "GET",
            self._script(name, f"/versions/{version_id}"),
            f"reading version {version_id} of {name}",
        )
        return self._version(result)

    @staticmethod
    def _version(result: Any) -> VersionInfo:
        data = result if isinstance(result, dict) else {}
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        resources = data.get("resources") if isinstance(data.get("resources"), dict) else {}
        runtime = resources.get("script_runtime") if isinstance(resources, dict) else {}
        bindings = resources.get("bindings") if isinstance(resources, dict) else []
        return VersionInfo(
            id=str(data.get("id", "")),
            number=int(data.get("number") or 0),
            annotations=_annotations(data.get("annotations")),
            compatibility_date=str((runtime or {}).get("compatibility_date", "")),
            has_preview=bool((metadata or {}).get("has_preview", False)),
            bindings=tuple(b for b in bindings or [] if isinstance(b, dict)),
        )

    def deployments(self, name: str) -> list[DeploymentInfo]:
        """Newest first."""
        result = self.result(
            "GET", self._script(name, "/deployments"), f"listing the deployments of {name}"
        )
        items = result.get("deployments", []) if isinstance(result, dict) else []
        found = [self._deployment(item) for item in items if isinstance(item, dict)]
        return sorted(found, key=lambda d: d.created_on, reverse=True)

    def create_deployment(
        self,
        name: str,
        versions: Sequence[tuple[str, int]],
        message: str,
        *,
        force: bool = False,
    ) -> DeploymentInfo:
        """A deployment of ``versions`` (version id, percentage): one at 100, or a split of
        two."""
        shares = ", ".join(f"{version} at {percent} %" for version, percent in versions)
        result = self.result(
            "POST",
            self._script(name, "/deployments"),
            f"deploying {shares} of {name}",
            json_body={
                "strategy": "percentage",
                "versions": [{"version_id": v, "percentage": p} for v, p in versions],
                "annotations": {"workers/message": message},
            },
            params={"force": "true"} if force else None,
            once=True,
        )
        return self._deployment(result)

    @staticmethod
    def _deployment(data: Any) -> DeploymentInfo:
        data = data if isinstance(data, dict) else {}
        versions = tuple(
            (str(v.get("version_id", "")), int(v.get("percentage") or 0))
            for v in data.get("versions") or []
            if isinstance(v, dict)
        )
        return DeploymentInfo(
            id=str(data.get("id", "")),
            created_on=str(data.get("created_on", "")),
            versions=versions,
            annotations=_annotations(data.get("annotations")),
        )

    def script_subdomain(self, name: str) -> tuple[bool, bool]:
        """(enabled, previews_enabled) of the Worker's workers.dev route."""
        result = self.result(
            "GET",
            self._script(name, "/subdomain"),
            f"reading the workers.dev settings of {name}",
            headers=_SCRIPT_API_DATE,
        )
        data = result if isinstance(result, dict) else {}
        return bool(data.get("enabled")), bool(data.get("previews_enabled"))

    def enable_script_subdomain(self, name: str, *, previews: bool) -> None:
        self.result(
            "POST",
            self._script(name, "/subdomain"),
            f"enabling workers.dev for {name}",
            json_body={"enabled": True, "previews_enabled": previews},
            headers=_SCRIPT_API_DATE,
        )

    def set_tags(self, name: str, tags: Sequence[str]) -> None:
        self.result(
            "PATCH",
            self._script(name, "/script-settings"),
            f"tagging the Worker {name}",
            json_body={"tags": list(tags)},
        )

    def delete_version(self, name: str, version_id: str) -> None:
        self.result(
            "DELETE",
            self._script(name, f"/versions/{version_id}"),
            f"deleting version {version_id} of {name}",
        )

    def delete_script(self, name: str) -> None:
        self.result("DELETE", self._script(name), f"deleting the Worker {name}")
