"""A preview's name and where it came from: ``preview-id``, else ``pr-<number>`` from a
GitHub ``pull_request`` / ``pull_request_target`` event, else ``mr-<iid>`` from a GitLab
merge request pipeline; an error anywhere else. Checked offline, before any call; each
platform checks its own narrower limits (tag length, alphabet) through its target."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Problem

__all__ = ["MAX_LENGTH", "PULL_REQUEST_EVENTS", "Preview", "derive_preview"]

#: The longest preview name any platform could take (each target narrows it).
MAX_LENGTH = 40
#: The GitHub events whose payload names a pull request.
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
_NAME = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
_WHERE = "input 'preview-id'"


@dataclass(frozen=True)
class Preview:
    """One preview: its name, where the name came from, and the change request it shows."""

    id: str
    #: Where the name came from, for messages ("input 'preview-id'", "the pull_request event").
    source: str
    #: The pull request's number (GitHub) or merge request's iid (GitLab); None when unknown.
    number: int | None = None
    #: The commit the preview runs ("" when the CI does not say).
    commit: str = ""
    #: ``owner/name`` of the GitHub repository whose pull request it is ("" elsewhere).
    repository: str = ""
    #: True when the pull request comes from a fork (its token may only read).
    fork: bool = False


@dataclass(frozen=True)
class _Event:
    name: str
    number: int | None
    commit: str
    fork: bool
    #: The repository whose pull request it is (the base's; "" when the payload lacks it).
    repository: str = ""


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _github_event(environ: Mapping[str, str]) -> _Event | None:
    """The pull request of the GitHub event, when the run is one's (None otherwise)."""
    name = environ.get("GITHUB_EVENT_NAME", "")
    path = environ.get("GITHUB_EVENT_PATH", "")
    if name not in PULL_REQUEST_EVENTS or not path:
        return None
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _Event(name, None, "", False)
    pull = payload.get("pull_request") if isinstance(payload, dict) else None
    if not isinstance(pull, dict):
        return _Event(name, None, "", False)
    number = pull.get("number", payload.get("number"))
    head = _object(pull.get("head"))
    head_repo = _object(head.get("repo")).get("full_name", "")
    base_repo = _object(_object(pull.get("base")).get("repo")).get("full_name", "")
    return _Event(
        name,
        number if isinstance(number, int) and number > 0 else None,
        str(head.get("sha", "")),
        bool(head_repo and base_repo and head_repo != base_repo),
        str(base_repo or _object(payload.get("repository")).get("full_name", "")),
    )


def _checked(name: str, source: str, problems: list[Problem]) -> bool:
    if len(name) > MAX_LENGTH:
        problems.append(
            Problem(
                source,
                f"the preview name is {len(name)} characters long; at most {MAX_LENGTH} are "
                "allowed",
                "give a shorter preview-id",
            )
        )
        return False
    if not _NAME.fullmatch(name):
        problems.append(
            Problem(
                source,
                "a preview name holds lowercase letters, digits and hyphens, starts with a "
                "letter and does not end with a hyphen",
                "give a preview-id such as pr-42 (in a GitLab merge request pipeline the "
                "default is mr-$CI_MERGE_REQUEST_IID)",
            )
        )
        return False
    return True


def derive_preview(
    given: str, given_source: str, environ: Mapping[str, str]
) -> tuple[Preview | None, list[Problem]]:
    """The run's preview (None with the problems when there is none)."""
    problems: list[Problem] = []
    event = _github_event(environ)
    repository = (event.repository or environ.get("GITHUB_REPOSITORY", "")) if event else ""
    number = event.number if event is not None else None
    commit = (event.commit if event is not None else "") or environ.get(
        "CI_COMMIT_SHA", environ.get("GITHUB_SHA", "")
    )
    fork = event.fork if event is not None else False
    iid_text = environ.get("CI_MERGE_REQUEST_IID", "").strip()
    iid = int(iid_text) if iid_text.isdigit() and int(iid_text) > 0 else None
    given = given.strip()
    if given:
        preview = Preview(given, given_source or _WHERE, number or iid, commit, repository, fork)
    elif event is not None and number is not None:
        preview = Preview(
            f"pr-{number}", f"the {event.name} event", number, commit, repository, fork
        )
    elif iid is not None:
        preview = Preview(f"mr-{iid}", "CI_MERGE_REQUEST_IID", iid, commit)
    else:
        why = (
            f"the {event.name} event names no pull request number"
            if event is not None
            else "this run is not a GitHub pull_request or pull_request_target event, nor a "
            "GitLab merge request pipeline"
        )
        problems.append(
            Problem(
                _WHERE,
                f"a preview needs a name, and {why}",
                "give preview-id (--preview-id NAME), or run in a pull request's workflow",
            )
        )
        return None, problems
    if not _checked(preview.id, preview.source, problems):
        return None, problems
    return preview, problems
