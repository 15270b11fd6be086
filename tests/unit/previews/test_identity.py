"""The preview's name: given, from a GitHub pull request event, from a GitLab merge request;
checked before any call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmcp_action.previews.identity import MAX_LENGTH, derive_preview


def _event(tmp_path: Path, payload: object) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return str(path)


def _pull(number: int, *, head: str = "o/r", base: str = "o/r") -> dict[str, object]:
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": "a" * 40, "repo": {"full_name": head}},
            "base": {"repo": {"full_name": base}},
        },
    }


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target"])
def test_a_pull_request_event_names_the_preview_pr_number(tmp_path, event):
    environ = {
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": _event(tmp_path, _pull(42)),
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_SHA": "b" * 40,  # the merge commit: the head's sha is what the PR shows
    }
    preview, problems = derive_preview("", "", environ)
    assert problems == []
    assert preview is not None
    assert (preview.id, preview.number, preview.commit, preview.repository, preview.fork) == (
        "pr-42",
        42,
        "a" * 40,
        "o/r",
        False,
    )
    assert preview.source == f"the {event} event"


def test_a_forks_pull_request_is_known_as_one(tmp_path):
    environ = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": _event(tmp_path, _pull(7, head="fork/r")),
        "GITHUB_REPOSITORY": "o/r",
    }
    preview, _ = derive_preview("", "", environ)
    assert preview is not None and preview.fork


def test_a_gitlab_merge_request_names_the_preview_mr_iid():
    preview, problems = derive_preview(
        "", "", {"CI_MERGE_REQUEST_IID": "9", "CI_COMMIT_SHA": "c" * 40}
    )
    assert problems == []
    assert preview is not None
    assert (preview.id, preview.number, preview.commit, preview.repository) == (
        "mr-9",
        9,
        "c" * 40,
        "",
    )


def test_a_given_preview_id_wins_and_keeps_the_pull_request(tmp_path):
    environ = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": _event(tmp_path, _pull(3)),
        "GITHUB_REPOSITORY": "o/r",
    }
    preview, problems = derive_preview("feature-x", "flag --preview-id", environ)
    assert problems == []
    assert preview is not None
    assert (preview.id, preview.number, preview.source) == ("feature-x", 3, "flag --preview-id")


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/nonexistent"},
        {"CI_MERGE_REQUEST_IID": ""},
    ],
)
def test_elsewhere_a_preview_id_is_required(environ):
    preview, problems = derive_preview("", "", environ)
    assert preview is None
    [problem] = problems
    assert problem.where == "input 'preview-id'"
    assert "preview-id" in problem.fix


def test_an_event_without_a_number_is_named(tmp_path):
    environ = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": _event(tmp_path, {"action": "opened"}),
    }
    preview, [problem] = derive_preview("", "", environ)
    assert preview is None
    assert "the pull_request event names no pull request number" in problem.what


@pytest.mark.parametrize(
    "bad", ["PR-1", "1pr", "pr_1", "pr-", "mr-", "pr 1", "p" * (MAX_LENGTH + 1), "-pr"]
)
def test_a_bad_name_is_refused_with_its_source(bad):
    preview, [problem] = derive_preview(bad, "input 'preview-id'", {})
    assert preview is None
    assert problem.where == "input 'preview-id'"
    assert problem.fix
