"""A function URL on an alias (``live``'s, or ``candidate``'s while a new version is
verified), its CORS, and the permissions a public URL needs.

Lambda keeps a URL and a resource-based policy per alias: each alias's URL is its own
address, with its own permissions. Both aliases' URLs get the same auth type and CORS (the
run's), so the candidate is verified as ``live`` will serve it.

CORS follows cargo-pmcp's stack (any origin, any header) and adds what MCP
clients in a browser need: ``DELETE`` (ending a session), ``Authorization``
(which a ``*`` does not cover) and the ``Mcp-Session-Id`` /
``MCP-Protocol-Version`` / ``WWW-Authenticate`` response headers exposed.
Lambda answers the ``OPTIONS`` preflight itself, so ``OPTIONS`` is not listed
(Lambda also limits each method entry to six characters).

A public (``NONE``) URL needs two resource-based statements since October
2025: ``lambda:InvokeFunctionUrl`` with ``FunctionUrlAuthType=NONE`` and
``lambda:InvokeFunction`` with ``InvokedViaFunctionUrl``. Both are added once,
under fixed statement ids, and removed again when the URL switches to
``AWS_IAM``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ...result import PlanChange
from .failures import aws_step, has_code
from .function import ALIAS, FunctionManager

__all__ = ["CORS", "INVOKE_MODE", "PUBLIC_STATEMENTS", "UrlManager", "UrlState"]

CORS: Mapping[str, Any] = {
    "AllowOrigins": ["*"],
    "AllowMethods": ["GET", "POST", "DELETE"],
    "AllowHeaders": [
        "*",
        "authorization",
        "content-type",
        "last-event-id",
        "mcp-protocol-version",
        "mcp-session-id",
    ],
    "ExposeHeaders": ["mcp-protocol-version", "mcp-session-id", "www-authenticate"],
    "MaxAge": 86400,
    "AllowCredentials": False,
}

#: cargo-pmcp's Lambda wrapper answers through lambda_http, which buffers responses.
INVOKE_MODE = "BUFFERED"

#: Statement id -> add_permission arguments, for a public URL.
PUBLIC_STATEMENTS: Mapping[str, Mapping[str, Any]] = {
    "pmcp-function-url-public": {
        "Action": "lambda:InvokeFunctionUrl",
        "Principal": "*",
        "FunctionUrlAuthType": "NONE",
    },
    "pmcp-function-url-invoke": {
        "Action": "lambda:InvokeFunction",
        "Principal": "*",
        "InvokedViaFunctionUrl": True,
    },
}


def _normalised_cors(cors: Mapping[str, Any] | None) -> dict[str, Any]:
    cors = cors or {}
    out: dict[str, Any] = {}
    for key in ("AllowOrigins", "AllowMethods", "AllowHeaders", "ExposeHeaders"):
        out[key] = sorted(str(v).lower() for v in cors.get(key) or [])
    out["MaxAge"] = int(cors.get("MaxAge") or 0)
    out["AllowCredentials"] = bool(cors.get("AllowCredentials"))
    return out


@dataclass(frozen=True)
class UrlState:
    url: str = ""
    auth_type: str = ""
    #: What differs from the wanted configuration ([] when it matches or is missing).
    differences: tuple[str, ...] = ()
    #: Statement ids of the alias's resource policy.
    statement_ids: frozenset[str] = frozenset()

    @property
    def exists(self) -> bool:
        return bool(self.url)


class UrlManager:
    """The function URL of one alias (``qualifier``) and its public permissions."""

    def __init__(self, functions: FunctionManager, auth_type: str, qualifier: str = ALIAS) -> None:
        self.functions = functions
        self.lam = functions.lam
        self.name = functions.name
        self.auth_type = auth_type
        self.qualifier = qualifier

    def for_alias(self, qualifier: str) -> UrlManager:
        """The same settings, for the URL of another alias."""
        return UrlManager(self.functions, self.auth_type, qualifier)

    def read(self) -> UrlState:
        with aws_step(f"read the function URL of {self.name}:{self.qualifier}"):
            try:
                config = self.lam.get_function_url_config(
                    FunctionName=self.name, Qualifier=self.qualifier
                )
            except ClientError as exc:
                if not has_code(exc, "ResourceNotFoundException"):
                    raise
                config = None
            statement_ids: set[str] = set()
            try:
                policy = self.lam.get_policy(FunctionName=self.name, Qualifier=self.qualifier)
            except ClientError as exc:
                if not has_code(exc, "ResourceNotFoundException"):
                    raise
            else:
                document = json.loads(policy.get("Policy") or "{}")
                statement_ids = {str(s.get("Sid", "")) for s in document.get("Statement", [])}
        if config is None:
            return UrlState(statement_ids=frozenset(statement_ids))
        differences: list[str] = []
        if config.get("AuthType") != self.auth_type:
            differences.append(f"auth type {config.get('AuthType')} → {self.auth_type}")
        if _normalised_cors(config.get("Cors")) != _normalised_cors(CORS):
            differences.append("CORS")
        if str(config.get("InvokeMode", INVOKE_MODE)).upper() != INVOKE_MODE:
            differences.append(f"invoke mode {config.get('InvokeMode')} → {INVOKE_MODE}")
        return UrlState(
            url=str(config["FunctionUrl"]),
            auth_type=str(config.get("AuthType", "")),
            differences=tuple(differences),
            statement_ids=frozenset(statement_ids),
        )

    def _permission_changes(self, state: UrlState) -> tuple[list[str], list[str]]:
        """Statement ids to add and to remove."""
        wanted = set(PUBLIC_STATEMENTS) if self.auth_type == "NONE" else set()
        add = sorted(wanted - state.statement_ids)
        remove = sorted((set(PUBLIC_STATEMENTS) - wanted) & state.statement_ids)
        return add, remove

    def plan(self, state: UrlState) -> list[PlanChange]:
        resource = f"function URL {self.name}:{self.qualifier}"
        changes: list[PlanChange] = []
        if not state.exists:
            changes.append(PlanChange("create", resource, f"auth {self.auth_type}, CORS"))
        elif state.differences:
            changes.append(PlanChange("update", resource, ", ".join(state.differences)))
        add, remove = self._permission_changes(state)
        if add:
            changes.append(PlanChange("create", self._permissions, ", ".join(add)))
        if remove:
            changes.append(PlanChange("delete", self._permissions, ", ".join(remove)))
        return changes

    @property
    def _permissions(self) -> str:
        if self.qualifier == ALIAS:
            return "public invoke permissions"
        return f"public invoke permissions of {self.name}:{self.qualifier}"

    def ensure(self, state: UrlState) -> tuple[str, list[PlanChange]]:
        """Create or correct the URL and its permissions; return the URL and the changes."""
        changes = self.plan(state)
        url = state.url
        settings: dict[str, Any] = {
            "FunctionName": self.name,
            "Qualifier": self.qualifier,
            "AuthType": self.auth_type,
            "Cors": dict(CORS),
            "InvokeMode": INVOKE_MODE,
        }
        if not state.exists:
            url = str(
                self.functions.call(
                    f"create the function URL of {self.qualifier}",
                    "create_function_url_config",
                    **settings,
                )["FunctionUrl"]
            )
        elif state.differences:
            url = str(
                self.functions.call(
                    f"update the function URL of {self.qualifier}",
                    "update_function_url_config",
                    **settings,
                )["FunctionUrl"]
            )
        add, remove = self._permission_changes(state)
        for sid in add:
            self.functions.call(
                f"allow public invocation through the URL ({sid})",
                "add_permission",
                FunctionName=self.name,
                Qualifier=self.qualifier,
                StatementId=sid,
                **PUBLIC_STATEMENTS[sid],
            )
        for sid in remove:
            self.functions.call(
                f"remove the public permission {sid}",
                "remove_permission",
                FunctionName=self.name,
                Qualifier=self.qualifier,
                StatementId=sid,
            )
        return url, changes

    def delete(self) -> bool:
        """Delete the alias's URL config; False when there was none."""
        with aws_step(f"delete the function URL of {self.qualifier}"):
            try:
                self.lam.delete_function_url_config(
                    FunctionName=self.name, Qualifier=self.qualifier
                )
            except ClientError as exc:
                if has_code(exc, "ResourceNotFoundException"):
                    return False
                raise
        return True
