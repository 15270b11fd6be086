"""A preview on Cloud Run: a revision of the service with no traffic under the tag
``<preview-id>`` (its URL ``https://<preview-id>---<service>-….run.app`` is the same on
every push), the revision labelled ``pmcp-preview=<preview-id>``. The traffic that serves
is written back as it is read (pinned to its revisions), and every other tag is kept, so a
preview never moves production and a production deploy never drops a preview.

The tag's limits are checked offline (:func:`preview_problems`): a tag is a DNS label
prefix, ``<tag>---<service>-<hash>-<region>`` in at most 63 characters, so the tag and the
service name together take at most 46.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...errors import Problem
from .service import CANDIDATE_TAG, REVISION_TYPE, short_name

__all__ = [
    "MAX_TAG_AND_SERVICE",
    "MIN_TAG",
    "PREVIEW_LABEL",
    "kept_tags",
    "preview_problems",
    "preview_tags",
    "without_tag",
]

#: The label of a preview's revision: its preview's name.
PREVIEW_LABEL = "pmcp-preview"
#: A tag's URL is one DNS label: tag + "---" + service + "-" + 10-character hash + "-" +
#: region code in 63 characters.
MAX_TAG_AND_SERVICE = 46
#: Cloud Run refuses a tag shorter than this.
MIN_TAG = 3
_TAG = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")


def preview_problems(preview: str, service: str, source: str) -> list[Problem]:
    """What Cloud Run refuses in a preview's tag, before any call."""
    problems: list[Problem] = []
    if preview == CANDIDATE_TAG:
        problems.append(
            Problem(
                source,
                f"the tag {CANDIDATE_TAG!r} is the one a deploy verifies its new revision under",
                "give another preview-id",
            )
        )
    if not _TAG.fullmatch(preview):
        problems.append(
            Problem(
                source,
                "a Cloud Run tag holds lowercase letters, digits and hyphens and starts with "
                "a letter",
                "give a preview-id such as pr-42",
            )
        )
    if len(preview) < MIN_TAG:
        problems.append(
            Problem(
                source,
                f"a Cloud Run tag has at least {MIN_TAG} characters; {preview!r} has "
                f"{len(preview)}",
                "give a longer preview-id (pr-<number> has four or more)",
            )
        )
    if len(preview) + len(service) > MAX_TAG_AND_SERVICE:
        problems.append(
            Problem(
                source,
                f"the tag {preview!r} ({len(preview)} characters) and the service "
                f"{service!r} ({len(service)}) take {len(preview) + len(service)} characters "
                f"of a tag URL's {MAX_TAG_AND_SERVICE}",
                "give a shorter preview-id (or a shorter server-name)",
            )
        )
    return problems


def _statuses(service: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in service.get("trafficStatuses") or () if isinstance(s, Mapping)]


def kept_tags(
    service: Mapping[str, Any], traffic: list[dict[str, Any]], *, dropped: str = ""
) -> list[dict[str, Any]]:
    """The tags of ``service`` at 0 % that ``traffic`` lacks (previews: never the candidate
    tag, nor ``dropped``), to write back with it."""
    taken = {str(entry.get("tag", "")) for entry in traffic}
    kept: list[dict[str, Any]] = []
    for status in _statuses(service):
        tag = str(status.get("tag") or "")
        if not tag or tag in taken or tag in (CANDIDATE_TAG, dropped):
            continue
        if int(status.get("percent", 0) or 0) or not status.get("revision"):
            continue
        revision = short_name(str(status["revision"]))
        kept.append({"type": REVISION_TYPE, "revision": revision, "tag": tag})
    return kept


def preview_tags(
    service: Mapping[str, Any], revisions: tuple[Mapping[str, Any], ...]
) -> dict[str, str]:
    """The service's previews: tag -> revision, for each tag whose revision carries the
    preview label of that name."""
    labelled = {
        short_name(str(r.get("name", ""))): str((r.get("labels") or {}).get(PREVIEW_LABEL, ""))
        for r in revisions
    }
    found: dict[str, str] = {}
    for status in _statuses(service):
        tag = str(status.get("tag") or "")
        revision = short_name(str(status.get("revision") or ""))
        if tag and labelled.get(revision) == tag:
            found[tag] = revision
    return found


def without_tag(service: Mapping[str, Any], tag: str) -> list[dict[str, Any]]:
    """The service's traffic as it is, without ``tag``."""
    return [
        dict(entry)
        for entry in service.get("traffic") or ()
        if isinstance(entry, Mapping) and entry.get("tag") != tag
    ]
