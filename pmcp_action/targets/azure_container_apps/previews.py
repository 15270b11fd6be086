"""A preview on Azure Container Apps: a revision at 0 % under the traffic label
``<preview-id>`` (its URL ``https://<app>---<preview-id>.<environment domain>`` is the same on
every push, the label moving to the newest revision), named ``<app>--pv-<preview-id>-<hex>``
so no rollback ever takes one for a production revision. What serves keeps 100 %, and every
traffic write keeps the other previews' labels.

The label's limits are checked offline (:func:`preview_problems`): ``<app>---<label>`` is one
DNS label of at most 63 characters.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from ...errors import Problem

__all__ = [
    "PREVIEW_PREFIX",
    "is_preview_revision",
    "kept_labels",
    "label_fqdn",
    "preview_labels",
    "preview_problems",
    "preview_suffix",
]

#: How a preview's revision suffix begins.
PREVIEW_PREFIX = "pv-"
_LABEL = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
MAX_LABEL = 63


def preview_problems(preview: str, app: str, source: str) -> list[Problem]:
    problems: list[Problem] = []
    if not _LABEL.fullmatch(preview) or "--" in preview:
        problems.append(
            Problem(
                source,
                "a Container Apps traffic label holds lowercase letters, digits and single "
                "hyphens and starts with a letter",
                "give a preview-id such as pr-42",
            )
        )
    host = len(app) + 3 + len(preview)
    if host > MAX_LABEL:
        problems.append(
            Problem(
                source,
                f"the label's host {app}---{preview} is {host} characters; a DNS label takes at "
                f"most {MAX_LABEL}",
                "give a shorter preview-id (or a shorter server-name)",
            )
        )
    return problems


def preview_suffix(preview: str) -> str:
    """A new revision suffix for ``preview`` (each push makes one)."""
    return f"{PREVIEW_PREFIX}{preview}-{secrets.token_hex(3)}"


def is_preview_revision(name: str) -> bool:
    return f"--{PREVIEW_PREFIX}" in name


def _traffic(app: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    ingress = ((app.get("properties") or {}).get("configuration") or {}).get("ingress") or {}
    return [t for t in ingress.get("traffic") or () if isinstance(t, Mapping)]


def preview_labels(app: Mapping[str, Any]) -> dict[str, str]:
    """The app's previews: label -> revision."""
    return {
        str(t["label"]): str(t.get("revisionName", ""))
        for t in _traffic(app)
        if t.get("label") and is_preview_revision(str(t.get("revisionName", "")))
    }


def kept_labels(app: Mapping[str, Any], *, dropped: str = "") -> list[dict[str, object]]:
    """The previews' traffic entries (0 %) to write back with a traffic change."""
    return [
        {"revisionName": revision, "weight": 0, "label": label}
        for label, revision in preview_labels(app).items()
        if label != dropped
    ]


def label_fqdn(app_fqdn: str, label: str) -> str:
    """``<app>.<domain>`` -> ``<app>---<label>.<domain>``."""
    name, _, domain = app_fqdn.partition(".")
    return f"{name}---{label}.{domain}" if name and domain else ""
