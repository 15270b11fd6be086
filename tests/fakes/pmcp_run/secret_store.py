"""The servers' secrets: ``setServerSecret``, ``listServerSecrets``, ``getServerSecret`` and
``deleteServerSecret`` over the fake's state, as pmcp.run's secret provider sees them.

- A secret is ``{serverId}/{name}`` per audience (``mcp``, the server's Lambda, unless
  ``billing`` is given). The server need not be deployed yet: secrets are set before a
  first deploy (cargo-pmcp's hint for a missing secret is ``cargo pmcp secret set --server
  <id>``, then deploy).
- ``setServerSecret`` is a PUT: it creates or overwrites, and answers ``success``; a
  refusal (a name or server id outside pmcp.run's pattern, a value over 64 KiB, a name in
  ``secret_failures``) is ``success: false`` with ``error``, not a GraphQL error.
- ``deleteServerSecret`` of a name that is not there answers ``success: false``.
- ``listServerSecrets`` gives names and ``hasValue`` as a JSON string, never a value;
  ``getServerSecret`` gives one value.
- A deployment sees the secrets its server had when it was created (:func:`environment_of`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .state import PmcpRunState, StoredSecret

#: pmcp.run's naming pattern for the server id and the secret's name.
_SERVER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9_/-]+$")
#: The largest value pmcp.run stores, in bytes.
MAX_SECRET_BYTES = 64 * 1024


def _refused(error: str, **result: Any) -> dict[str, Any]:
    return {"success": False, "error": error, **result}


class SecretStore(PmcpRunState):
    """What the four secret operations do to the state."""

    def _name_problem(self, server_id: str, name: str) -> str:
        if not _SERVER_ID.match(server_id):
            return f"Invalid server id '{server_id}'"
        if not _SECRET_NAME.match(name):
            return f"Invalid secret name '{name}'"
        return ""

    def set_secret(
        self,
        server_id: str,
        name: str,
        value: str,
        description: str | None,
        audience: str,
    ) -> dict[str, Any]:
        problem = self._name_problem(server_id, name)
        if problem:
            return _refused(problem)
        if not value:
            return _refused("secretValue must not be empty")
        if len(value.encode("utf-8")) > MAX_SECRET_BYTES:
            return _refused(f"Secret value exceeds {MAX_SECRET_BYTES} bytes")
        if name in self.secret_failures:
            return _refused(self.secret_failures[name])
        stored = self.server_secrets.setdefault((server_id, audience), {})
        existing = stored.get(name)
        writes = existing.writes + 1 if existing is not None else 1
        stored[name] = StoredSecret(value, description, self.clock(), writes)
        return {"success": True, "serverId": server_id, "secretName": name, "error": None}

    def delete_secret(self, server_id: str, name: str, audience: str) -> dict[str, Any]:
        problem = self._name_problem(server_id, name)
        if problem:
            return _refused(problem)
        stored = self.server_secrets.get((server_id, audience), {})
        if stored.pop(name, None) is None:
            return _refused(f"Secret '{name}' not found for server '{server_id}'")
        return {"success": True, "error": None}

    def list_secrets(self, server_id: str, audience: str) -> dict[str, Any]:
        stored = self.server_secrets.get((server_id, audience), {})
        listing = [{"name": name, "hasValue": True} for name in sorted(stored)]
        return {"serverId": server_id, "secrets": json.dumps(listing)}

    def get_secret(self, server_id: str, name: str, audience: str) -> dict[str, Any]:
        secret = self.server_secrets.get((server_id, audience), {}).get(name)
        return {
            "serverId": server_id,
            "secretName": name,
            "secretValue": secret.value if secret is not None else None,
            "exists": secret is not None,
        }

    def environment_of(self, project_name: str, template: bytes) -> frozenset[str]:
        """The variable names a new deployment's server sees: its template's Lambda
        variables and the server's secrets (the ``mcp`` audience) now."""
        names = set(self.server_secrets.get((project_name, "mcp"), {}))
        try:
            document = json.loads(template)
        except ValueError:
            return frozenset(names)
        resources = document.get("Resources") if isinstance(document, dict) else None
        for resource in (resources or {}).values():
            if isinstance(resource, dict) and resource.get("Type") == "AWS::Lambda::Function":
                environment = (resource.get("Properties") or {}).get("Environment") or {}
                names.update((environment.get("Variables") or {}).keys())
        return frozenset(names)
