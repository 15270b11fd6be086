"""The rules the MCP Registry applies to a published server.json, written from its published
schema (2025-12-11) and its documented checks, independently of pmcp_action's own.

Two layers, answered as the registry answers them:

- the schema (422, "validation failed", one ``errors[]`` item per violation with the
  ``body.<field>`` location): required fields and types, string lengths and patterns,
  enums, and no property the schema does not declare;
- the registry's own checks (400, "Failed to publish server"): the ``$schema`` must be the
  current one; each part of the name starts and ends with a letter or digit; the version is
  one version (not ``latest``, not a range); the publisher's ``_meta`` is at most 4 KiB; and,
  for the official registry, a remote is https and not on localhost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CURRENT_SCHEMA", "Violation", "schema_violations", "semantic_violations"]

CURRENT_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
PUBLISHER_META = "io.modelcontextprotocol.registry/publisher-provided"

_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")
_NAMESPACE = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?$")
_SERVER = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?$")
_TRANSPORT_URL = re.compile(r"^(https?://[^\s]+|\{[a-zA-Z_][a-zA-Z0-9_]*\}[^\s]*)$")
_SERVER_KEYS = frozenset(
    {
        "$schema",
        "name",
        "description",
        "title",
        "repository",
        "version",
        "websiteUrl",
        "icons",
        "packages",
        "remotes",
        "_meta",
    }
)
_REMOTE_KEYS = frozenset({"type", "url", "headers", "variables"})
_HEADER_KEYS = frozenset(
    {
        "name",
        "description",
        "isRequired",
        "format",
        "value",
        "isSecret",
        "default",
        "placeholder",
        "choices",
        "variables",
    }
)


@dataclass(frozen=True)
class Violation:
    location: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"location": self.location, "message": self.message}


def _string(
    doc: Mapping[str, Any],
    key: str,
    found: list[Violation],
    *,
    required: bool = False,
    min_length: int = 0,
    max_length: int | None = None,
    pattern: re.Pattern[str] | None = None,
    where: str = "body",
) -> None:
    location = f"{where}.{key}"
    if key not in doc:
        if required:
            found.append(Violation(where, f"expected required property {key} to be present"))
        return
    value = doc[key]
    if not isinstance(value, str):
        found.append(Violation(location, "expected string"))
        return
    if len(value) < min_length:
        found.append(Violation(location, f"expected length >= {min_length}"))
    if max_length is not None and len(value) > max_length:
        found.append(Violation(location, f"expected length <= {max_length}"))
    if pattern is not None and not pattern.match(value):
        found.append(Violation(location, f"expected string to match pattern {pattern.pattern}"))


def _unexpected(doc: Mapping[str, Any], allowed: frozenset[str], where: str) -> list[Violation]:
    return [Violation(f"{where}.{key}", "unexpected property") for key in doc if key not in allowed]


def _remote(remote: object, where: str) -> list[Violation]:
    if not isinstance(remote, Mapping):
        return [Violation(where, "expected object")]
    found = _unexpected(remote, _REMOTE_KEYS, where)
    _string(remote, "type", found, required=True, where=where)
    if isinstance(remote.get("type"), str) and remote["type"] not in ("streamable-http", "sse"):
        found.append(Violation(f"{where}.type", "expected value to be one of streamable-http, sse"))
    _string(remote, "url", found, required=True, pattern=_TRANSPORT_URL, where=where)
    headers = remote.get("headers", [])
    if not isinstance(headers, list):
        found.append(Violation(f"{where}.headers", "expected array"))
        headers = []
    for number, header in enumerate(headers):
        at = f"{where}.headers[{number}]"
        if not isinstance(header, Mapping):
            found.append(Violation(at, "expected object"))
            continue
        found += _unexpected(header, _HEADER_KEYS, at)
        _string(header, "name", found, required=True, where=at)
    if "variables" in remote and not isinstance(remote["variables"], Mapping):
        found.append(Violation(f"{where}.variables", "expected object"))
    return found


def schema_violations(doc: object) -> list[Violation]:
    """What the schema refuses in ``doc`` (the 422 answer's ``errors``)."""
    if not isinstance(doc, Mapping):
        return [Violation("body", "expected object")]
    found = _unexpected(doc, _SERVER_KEYS, "body")
    _string(doc, "$schema", found)
    _string(doc, "name", found, required=True, min_length=3, max_length=200, pattern=_NAME_PATTERN)
    _string(doc, "description", found, required=True, min_length=1, max_length=100)
    _string(doc, "title", found, min_length=1, max_length=100)
    _string(doc, "version", found, required=True, max_length=255)
    _string(doc, "websiteUrl", found)
    for key in ("packages", "icons"):
        if key in doc and not isinstance(doc[key], list):
            found.append(Violation(f"body.{key}", "expected array"))
    remotes = doc.get("remotes", [])
    if not isinstance(remotes, list):
        found.append(Violation("body.remotes", "expected array"))
        remotes = []
    for number, remote in enumerate(remotes):
        found += _remote(remote, f"body.remotes[{number}]")
    repository = doc.get("repository")
    if repository is not None:
        if not isinstance(repository, Mapping):
            found.append(Violation("body.repository", "expected object"))
        else:
            _string(repository, "url", found, required=True, where="body.repository")
            _string(repository, "source", found, required=True, where="body.repository")
    if "_meta" in doc and not isinstance(doc["_meta"], Mapping):
        found.append(Violation("body._meta", "expected object"))
    return found


def _looks_like_range(version: str) -> bool:
    """A comparator (^1.2, ~1.2, >=1, <2, =1), alternatives (1 || 2), a hyphen range
    (1.0 - 2.0) or a wildcard component (1.x, 1.2.*)."""
    text = version.strip()
    if not text:
        return False
    if text[0] in "^~<>=" or "||" in text or re.search(r"\d\s+-\s+v?\d", text):
        return True
    components = text.split("-", 1)[0].split(".")
    return 2 <= len(components) <= 3 and any(part in ("x", "X", "*") for part in components)


def semantic_violations(doc: Mapping[str, Any], *, official: bool) -> list[str]:
    """What the registry's own checks refuse (the 400 answer's ``errors`` messages)."""
    found: list[str] = []
    schema = doc.get("$schema", "")
    if not schema:
        found.append("$schema field is required")
    elif schema != CURRENT_SCHEMA:
        found.append(f"unsupported $schema version {schema}: use {CURRENT_SCHEMA}")
    namespace, _, server = str(doc["name"]).partition("/")
    if not _NAMESPACE.match(namespace):
        found.append(f"invalid server name format: namespace '{namespace}' is invalid")
    elif not _SERVER.match(server):
        found.append(f"invalid server name format: name '{server}' is invalid")
    version = str(doc["version"])
    if version == "latest":
        found.append("version string 'latest' is reserved and cannot be used")
    elif _looks_like_range(version):
        found.append(f'version must be a specific version, not a range: "{version}"')
    meta = doc.get("_meta")
    if isinstance(meta, Mapping) and PUBLISHER_META in meta:
        size = len(json.dumps(meta[PUBLISHER_META], separators=(",", ":")))
        if size > 4096:
            found.append(f"_meta.{PUBLISHER_META} extension exceeds 4KB limit ({size} bytes)")
    for remote in doc.get("remotes", []):
        url = str(remote["url"])
        parts = urlsplit(url)
        host = parts.hostname or ""
        local = host in ("localhost", "127.0.0.1") or host.endswith(".localhost")
        if official and (parts.scheme != "https" or local):
            found.append(f"invalid remote URL: {url}")
    return found
