"""The server.json a deploy publishes, and the rules the registry's schema sets for it.

A deployed server is published as a remote only: ``name``, ``description``, ``version`` and
one ``streamable-http`` remote with the verified endpoint, under the 2025-12-11 schema. The
rules checked here are the schema's (and the registry's own checks of the same fields), so a
document the registry would refuse is refused before anything is sent:

- ``name``: ``<namespace>/<name>``, exactly one ``/``, 3 to 200 characters; the namespace of
  letters, digits, ``.`` and ``-``, the name also ``_``; each part starts and ends with a
  letter or digit;
- ``description``: 1 to 100 characters;
- ``version``: at most 255 characters, a single version: not ``latest``, not a range
  (``^1.2``, ``~1.2``, ``>=1.0``, ``1.x``, ``1.2.*``, ``1 - 2``, ``1 || 2``);
- a remote's ``url``: ``http://`` or ``https://`` and no white space (the official registry
  also refuses plain http and localhost; it says so itself when it does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "REMOTE_TYPE",
    "SCHEMA",
    "description_problem",
    "document_problems",
    "name_problem",
    "remote_urls",
    "server_json",
    "version_problem",
]

SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
#: The transport a deployed pmcp server speaks.
REMOTE_TYPE = "streamable-http"
MIN_NAME = 3
MAX_NAME = 200
MAX_DESCRIPTION = 100
MAX_VERSION = 255

_NAMESPACE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_NAME_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_REMOTE_URL = re.compile(r"^https?://\S+$")
_WILDCARD = frozenset({"x", "X", "*"})


def name_problem(name: str) -> str | None:
    """Why ``name`` is no valid server name, or None."""
    if not MIN_NAME <= len(name) <= MAX_NAME:
        return f"is {len(name)} characters; a server name has {MIN_NAME} to {MAX_NAME}"
    namespace, slash, part = name.partition("/")
    if not slash or "/" in part:
        return "must be <namespace>/<name> with exactly one /, e.g. io.github.octo-org/weather"
    if not _NAMESPACE.match(namespace):
        return (
            f"has the namespace {namespace!r}: letters, digits, . and -, starting and ending "
            "with a letter or digit"
        )
    if not _NAME_PART.match(part):
        return (
            f"has the name {part!r}: letters, digits, ., _ and -, starting and ending with a "
            "letter or digit"
        )
    return None


def description_problem(description: str) -> str | None:
    if not description:
        return "is empty"
    if len(description) > MAX_DESCRIPTION:
        return f"is {len(description)} characters; the registry takes at most {MAX_DESCRIPTION}"
    return None


def version_problem(version: str) -> str | None:
    """Why ``version`` cannot be a published version, or None."""
    text = version.strip()
    if not text:
        return "is empty"
    if len(text) > MAX_VERSION:
        return f"is {len(text)} characters; the registry takes at most {MAX_VERSION}"
    if text != version:
        return "has white space around it"
    if text == "latest":
        return "is 'latest', which the registry reserves"
    core = re.split(r"[-+]", text, maxsplit=1)[0]
    if (
        text[0] in "^~<>="
        or "||" in text
        or re.search(r"\s-\s", text)
        or any(part in _WILDCARD for part in core.split("."))
    ):
        return "is a version range; the registry takes one specific version (e.g. 1.2.3)"
    return None


def server_json(name: str, description: str, version: str, url: str) -> dict[str, Any]:
    """The document published for a deployed server: one streamable-http remote."""
    return {
        "$schema": SCHEMA,
        "name": name,
        "description": description,
        "version": version,
        "remotes": [{"type": REMOTE_TYPE, "url": url}],
    }


def document_problems(document: Mapping[str, Any]) -> list[str]:
    """Every rule of the schema a document breaks, each as "<field> <what is wrong>"."""
    problems: list[str] = []
    for key, check in (
        ("name", name_problem),
        ("description", description_problem),
        ("version", version_problem),
    ):
        value = document.get(key)
        problem = check(value) if isinstance(value, str) else "is missing"
        if problem:
            problems.append(f"{key} {problem}")
    for number, remote in enumerate(document.get("remotes") or []):
        url = remote.get("url") if isinstance(remote, Mapping) else None
        if not isinstance(url, str) or not _REMOTE_URL.match(url):
            problems.append(f"remotes[{number}].url must be an http(s) URL without white space")
    return problems


def remote_urls(server: Mapping[str, Any]) -> set[str]:
    """The streamable-http remote URLs a published server.json lists."""
    remotes = server.get("remotes")
    return {
        str(remote["url"])
        for remote in (remotes if isinstance(remotes, list) else [])
        if isinstance(remote, Mapping) and remote.get("type") == REMOTE_TYPE and "url" in remote
    }
