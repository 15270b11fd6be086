"""A container app's secrets as Container Apps keeps them (used by :mod:`.container_apps`).

- ``configuration.secrets`` entries are ``{name, value}`` or a Key Vault reference
  ``{name, keyVaultUrl, identity}``; names are lower-case letters, digits and ``-``, a letter
  or digit at each end, at most 253 characters (``ContainerAppInvalidSecretName``); an entry
  with neither a value nor a reference is ``ContainerAppSecretInvalid`` (what a client that
  re-sends a GET's secrets meets); an unknown member is refused.
- A PUT writes the whole array (none sent: none kept); a PATCH without ``secrets`` keeps
  them, with ``secrets`` replaces the array (JSON merge patch replaces arrays).
- A GET, and the answer to a write, show names only (and a reference's URL and identity),
  never a value; ``POST …/listSecrets`` lists them with their values.
- A container's ``env[].secretRef`` (and a registry's ``passwordSecretRef``) names a secret
  the app holds, else ``ContainerAppSecretRefNotFound``; in ``Multiple`` mode a secret an
  active revision reads cannot be removed (refused, as Container Apps blocks it).
- A new revision reads the values when it starts: :meth:`AppSecrets.started_env` is the
  environment its replicas run with (kept here for tests; no route returns it).
- Tags: at most 50 on a resource, names up to 512 characters, values up to 256.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ..server import json_response

__all__ = ["AppSecrets", "secret_refs", "tag_refusal"]

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,251}[a-z0-9])?$")
_FIELDS = frozenset({"name", "value", "keyVaultUrl", "identity"})


def _failure(code: str, message: str) -> httpx.Response:
    return json_response(400, {"error": {"code": code, "message": message}})


def secret_refs(template: Mapping[str, Any] | None) -> set[str]:
    """The secrets a revision template's containers read as variables."""
    return {
        str(e["secretRef"])
        for c in (template or {}).get("containers") or []
        for e in c.get("env") or []
        if isinstance(e, dict) and e.get("secretRef")
    }


def tag_refusal(tags: Any) -> httpx.Response | None:
    """ARM's limits on a resource's tags."""
    if not isinstance(tags, dict):
        return None
    if len(tags) > 50:
        return _failure("InvalidTagCount", f"A resource may have at most 50 tags, not {len(tags)}.")
    for key, value in tags.items():
        if len(str(key)) > 512 or len(str(value)) > 256:
            return _failure(
                "InvalidTagNameOrValue",
                f"The tag name '{str(key)[:40]}' or its value is too long (512 and 256 at most).",
            )
    return None


class AppSecrets:
    """The secrets of every app (by its lower-case id): entries with their values."""

    def __init__(self) -> None:
        self.reset_state()

    def reset_state(self) -> None:
        self.entries: dict[str, dict[str, dict[str, Any]]] = {}
        #: Revision id (lower case) → the environment its replicas started with.
        self.started: dict[str, dict[str, str]] = {}
        #: How many times each app's secrets were listed with their values.
        self.listings: dict[str, int] = {}

    # --- a write ---------------------------------------------------------------------------
    def refusal(self, given: Any) -> httpx.Response | None:
        """Why ARM refuses ``configuration.secrets`` (None: it takes them)."""
        if given is None:
            return None
        if not isinstance(given, list):
            return _failure("InvalidRequestContent", "configuration.secrets must be an array.")
        seen: set[str] = set()
        empty: list[str] = []
        for entry in given:
            if not isinstance(entry, dict):
                return _failure("InvalidRequestContent", "A secret must be an object.")
            unknown = sorted(set(entry) - _FIELDS)
            if unknown:
                return _failure(
                    "InvalidRequestContent", f"Could not find member '{unknown[0]}' on Secret."
                )
            name = str(entry.get("name") or "")
            if not _NAME.match(name):
                return _failure(
                    "ContainerAppInvalidSecretName",
                    f"Secret name has an invalid value '{name[:300]}'. A value must consist of "
                    "lower case alphanumeric characters, '-', and must start and end with an "
                    "alphanumeric character. The length must not be more than 253 characters.",
                )
            if name in seen:
                return _failure(
                    "ContainerAppSecretInvalid",
                    f"Invalid Request: Container app secret name '{name}' is duplicated.",
                )
            seen.add(name)
            reference = entry.get("keyVaultUrl") and entry.get("identity")
            if not entry.get("value") and not reference:
                empty.append(name)
        if empty:
            return _failure(
                "ContainerAppSecretInvalid",
                f"Invalid Request: Container app secret(s) with name(s) '{', '.join(empty)}' "
                "are invalid: value or keyVaultUrl and identity should be provided.",
            )
        return None

    def names_after(self, app: str, given: list[dict[str, Any]] | None) -> set[str]:
        """The names the app holds after a write of ``given`` (None: kept as they are)."""
        if given is None:
            return set(self.entries.get(app, {}))
        return {str(e["name"]) for e in given}

    def ref_refusal(
        self,
        names: set[str],
        configuration: Mapping[str, Any],
        template: Mapping[str, Any],
        read_by_active: Mapping[str, set[str]],
        removed: set[str],
    ) -> httpx.Response | None:
        """A variable or registry naming a secret the app will not hold, or a removed secret
        an active revision reads."""
        for container in template.get("containers") or []:
            for entry in container.get("env") or []:
                ref = entry.get("secretRef") if isinstance(entry, dict) else None
                if ref and ref not in names:
                    return _failure(
                        "ContainerAppSecretRefNotFound",
                        f"SecretRef '{ref}' defined for container '{container.get('name')}' "
                        "not found.",
                    )
        for registry in configuration.get("registries") or []:
            ref = registry.get("passwordSecretRef") if isinstance(registry, dict) else None
            if ref and ref not in names:
                return _failure(
                    "ContainerAppSecretRefNotFound",
                    f"SecretRef '{ref}' defined for registry '{registry.get('server')}' not found.",
                )
        for revision, reads in sorted(read_by_active.items()):
            blocked = sorted(reads & removed)
            if blocked:
                return _failure(
                    "ContainerAppSecretInvalid",
                    f"Invalid Request: Container app secret(s) with name(s) "
                    f"'{', '.join(blocked)}' are referenced by the active revision '{revision}'; "
                    f"add secrets: {', '.join(blocked)}, or deactivate the revision first.",
                )
        return None

    def write(self, app: str, given: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        """Keep ``given`` (None: as they are); the secrets as ARM shows them."""
        if given is not None:
            self.entries[app] = {str(e["name"]): dict(e) for e in given}
        return self.shown(app)

    def drop(self, app: str) -> None:
        self.entries.pop(app, None)

    # --- reading ---------------------------------------------------------------------------
    def shown(self, app: str) -> list[dict[str, Any]]:
        """What a GET shows: each name (a reference's URL and identity), no value."""
        return [
            {k: v for k, v in entry.items() if k != "value"}
            for _, entry in sorted(self.entries.get(app, {}).items())
        ]

    def listed(self, app: str) -> httpx.Response:
        """``listSecrets``: every secret with its value."""
        self.listings[app] = self.listings.get(app, 0) + 1
        return json_response(
            200, {"value": [dict(e) for _, e in sorted(self.entries.get(app, {}).items())]}
        )

    def value(self, app: str, name: str) -> str | None:
        entry = self.entries.get(app, {}).get(name)
        return None if entry is None else entry.get("value")

    def environment(self, app: str, containers: Iterable[Mapping[str, Any]]) -> dict[str, str]:
        """The variables a replica of these containers starts with (secrets resolved now)."""
        found: dict[str, str] = {}
        for container in containers:
            for entry in container.get("env") or []:
                ref = entry.get("secretRef")
                value = self.value(app, str(ref)) if ref else entry.get("value")
                found[str(entry.get("name"))] = str(value or "")
        return found

    def started_env(self, revision_id: str) -> Mapping[str, str]:
        """The environment a revision's replicas started with (tests only)."""
        return self.started.get(revision_id.lower(), {})
