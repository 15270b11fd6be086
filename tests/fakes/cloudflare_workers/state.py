"""The fake's state: tokens, accounts, Workers, versions and deployments, and the API's envelope."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from ..server import json_response

ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
TOKEN = "cf-fake-token-5d9a1c7e3b"
SUBDOMAIN = "pmcp-ci"
API_PREFIX = "/client/v4"
#: Permissions of a token, named as the dashboard names them.
WORKERS_EDIT = "Workers Scripts:Edit"
SETTINGS_READ = "Account Settings:Read"
ALL_PERMISSIONS = frozenset({WORKERS_EDIT, SETTINGS_READ})

_METADATA_FIELDS = frozenset(
    {
        "main_module",
        "body_part",
        "compatibility_date",
        "compatibility_flags",
        "bindings",
        "keep_bindings",
        "usage_model",
        "migrations",
        "placement",
        "limits",
        "logpush",
        "tail_consumers",
        "observability",
        "annotations",
        "assets",
        "keep_assets",
        "tags",
        "keep_vars",
        "no_minimal_subrequests",
    }
)
_MODULE_TYPES = frozenset(
    {
        "application/javascript+module",
        "application/javascript",
        "application/wasm",
        "text/plain",
        "application/octet-stream",
        "application/json",
        "application/source-map",
    }
)
_JS = frozenset({"application/javascript+module", "application/javascript"})
_SCRIPT_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def envelope(
    result: Any = None, *, status: int = 200, errors: list[dict[str, Any]] | None = None
) -> httpx.Response:
    return json_response(
        status,
        {"success": not errors, "errors": errors or [], "messages": [], "result": result},
    )


def failure(status: int, code: int, message: str) -> httpx.Response:
    return envelope(None, status=status, errors=[{"code": code, "message": message}])


# --- state ------------------------------------------------------------------------------


@dataclass
class Token:
    value: str
    status: str = "active"
    accounts: tuple[str, ...] = (ACCOUNT_ID,)
    permissions: frozenset[str] = ALL_PERMISSIONS
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: An OAuth token (wrangler login's), which the API token verify endpoints do not know.
    oauth: bool = False


@dataclass
class Version:
    id: str
    number: int
    main_module: str
    #: Module name -> (content type, bytes).
    modules: dict[str, tuple[str, bytes]]
    bindings: list[dict[str, Any]]
    compatibility_date: str
    compatibility_flags: list[str]
    annotations: dict[str, str]
    source: str
    created_on: str = field(default_factory=_now)

    def secrets(self) -> dict[str, str]:
        return {
            b["name"]: str(b.get("text", ""))
            for b in self.bindings
            if b.get("type") in ("secret_text", "secret_key")
        }

    def to_api(self, *, with_resources: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "number": self.number,
            "metadata": {
                "created_on": self.created_on,
                "modified_on": self.created_on,
                "source": self.source,
                "author_email": "ci@example.com",
                "has_preview": True,
            },
            "annotations": dict(self.annotations),
        }
        if with_resources:
            data["resources"] = {
                "script": {
                    "etag": self.id.replace("-", ""),
                    "handlers": ["fetch"],
                    "last_deployed_from": self.source,
                },
                "script_runtime": {
                    "compatibility_date": self.compatibility_date,
                    "compatibility_flags": list(self.compatibility_flags),
                    "usage_model": "standard",
                },
                "bindings": [
                    {k: v for k, v in b.items() if not (k == "text" and _is_secret(b))}
                    for b in self.bindings
                ],
            }
        return data


def _is_secret(binding: dict[str, Any]) -> bool:
    return binding.get("type") in ("secret_text", "secret_key")


@dataclass
class Deployment:
    id: str
    versions: list[tuple[str, int]]
    annotations: dict[str, str]
    source: str
    strategy: str = "percentage"
    created_on: str = field(default_factory=_now)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_on": self.created_on,
            "source": self.source,
            "strategy": self.strategy,
            "author_email": "ci@example.com",
            "annotations": dict(self.annotations),
            "versions": [{"version_id": v, "percentage": p} for v, p in self.versions],
        }


@dataclass
class Script:
    name: str
    versions: list[Version] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    subdomain_enabled: bool = False
    previews_enabled: bool = False
    tags: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    last_deployed_from: str = "api"
    created_on: str = field(default_factory=_now)

    def version(self, version_id: str) -> Version | None:
        return next((v for v in self.versions if v.id == version_id), None)

    @property
    def live(self) -> Deployment | None:
        return self.deployments[-1] if self.deployments else None

    def live_version(self) -> Version | None:
        live = self.live
        if live is None:
            return None
        # The most traffic answers; at a tie (50/50) the newer version.
        numbers = {v.id: v.number for v in self.versions}
        best = max(live.versions, key=lambda item: (item[1], numbers.get(item[0], -1)))
        return self.version(best[0])


@dataclass
class Account:
    id: str
    name: str = "CI account"
    subdomain: str | None = SUBDOMAIN
    scripts: dict[str, Script] = field(default_factory=dict)


# --- the runtime --------------------------------------------------------------------------
