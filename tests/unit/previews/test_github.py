"""The GitHub client against the fake: the sticky comment found again through every page,
created once even when the answer is lost, deployments and their statuses, the token's
scope, faults retried; the token never written anywhere."""

from __future__ import annotations

import pytest

from pmcp_action.previews.github import GitHubAccessError, GitHubApi, marker
from pmcp_action.rest import TransportFailure

from .conftest import READ_TOKEN, REPOSITORY, WRITE_TOKEN

MARK = marker("weather")


def _api(context_for, token: str = WRITE_TOKEN) -> GitHubApi:
    context = context_for(token)
    return GitHubApi(context, REPOSITORY, context.settings.github_token)


def test_the_comment_is_found_again_on_a_later_page_and_updated_not_duplicated(github, context_for):
    for n in range(230):  # three pages of 100
        github.add_comment(7, f"comment {n}")
    github.add_comment(7, f"{MARK}\nold")
    api = _api(context_for)
    comment, new = api.upsert_comment(7, MARK, f"{MARK}\nnew")
    assert not new
    ours = [c for c in github.comments_on(7) if MARK in c.body]
    assert [c.body for c in ours] == [f"{MARK}\nnew"] and comment.id == ours[0].id
    pages = github.requests_to(f"/repos/{REPOSITORY}/issues/7/comments", "GET")
    assert len(pages) == 3  # followed the Link header to the last page, not beyond
    assert pages[0].params["per_page"] == "100"


def test_a_first_comment_is_made_once_and_the_second_push_edits_it(github, context_for):
    api = _api(context_for)
    _, first = api.upsert_comment(8, MARK, f"{MARK}\none")
    _, second = api.upsert_comment(8, MARK, f"{MARK}\ntwo")
    assert (first, second) == (True, False)
    assert [c.body for c in github.comments_on(8)] == [f"{MARK}\ntwo"]
    assert github.comments_on(7) == []  # another pull request's comments untouched


def test_a_comment_whose_answer_was_lost_is_not_made_twice(github, context_for):
    github.faults.drop(
        method="POST", path=f"/repos/{REPOSITORY}/issues/8/comments", after_handling=True
    )
    api = _api(context_for)
    _, new = api.upsert_comment(8, MARK, f"{MARK}\nbody")
    assert new
    assert len(github.comments_on(8)) == 1


def test_a_comment_lost_before_it_happened_is_sent_again(github, context_for):
    github.faults.drop(method="POST", path=f"/repos/{REPOSITORY}/issues/8/comments")
    _api(context_for).upsert_comment(8, MARK, f"{MARK}\nbody")
    assert len(github.comments_on(8)) == 1
    assert len(github.requests_to(f"/repos/{REPOSITORY}/issues/8/comments", "POST")) == 2


def test_busy_answers_are_retried(github, context_for):
    github.faults.status(503, times=2, method="GET")
    github.faults.status(429, retry_after=1, method="PATCH")
    github.add_comment(8, f"{MARK}\nold")
    _api(context_for).upsert_comment(8, MARK, f"{MARK}\nnew")
    assert [c.body for c in github.comments_on(8)] == [f"{MARK}\nnew"]


def test_a_dropped_connection_every_time_names_the_call(github, context_for):
    github.faults.drop(times=20, method="GET")
    with pytest.raises(TransportFailure, match="(?i)reading the comments of pull request #8"):
        _api(context_for).find_comment(8, MARK)


@pytest.mark.parametrize(
    ("token", "status", "said"),
    [
        ("ghs_unknown000000000000000000000000", 401, "Bad credentials"),
        (READ_TOKEN, 403, "Resource not accessible by integration"),
    ],
)
def test_a_token_that_may_not_write_is_an_access_error_naming_the_permissions(
    github, context_for, token, status, said
):
    api = _api(context_for, token)
    with pytest.raises(GitHubAccessError) as raised:
        api.upsert_comment(8, MARK, f"{MARK}\nbody")
    assert raised.value.status == status and said in raised.value.message
    assert "pull-requests: write, deployments: write" in raised.value.remediation
    assert github.comments_on(8) == []


def test_a_deployment_with_statuses_then_inactive(github, context_for):
    api = _api(context_for)
    sha = "a" * 40
    first = api.create_deployment("weather-pr-7", sha, "preview pr-7")
    api.set_status(first, "in_progress", "Deploying")
    api.set_status(first, "success", "Verified", "https://pr-7---weather.run.app/mcp")
    [made] = github.deployments_of("weather-pr-7")
    assert (made.ref, made.transient_environment, made.production_environment) == (
        sha,
        True,
        False,
    )
    assert [s["state"] for s in made.statuses] == ["in_progress", "success"]
    assert made.statuses[-1]["environment_url"] == "https://pr-7---weather.run.app/mcp"
    # The next push: a new deployment; its success leaves the first inactive (auto_inactive).
    second = api.create_deployment("weather-pr-7", "b" * 40, "preview pr-7")
    api.set_status(second, "success", "Verified", "https://pr-7---weather.run.app/mcp")
    assert github.deployments[first].state == "inactive"
    assert [d["id"] for d in api.deployments("weather-pr-7")] == [second, first]
    assert api.deployments("weather-pr-8") == []


def test_a_deployment_whose_answer_was_lost_is_found_not_made_again(github, context_for):
    github.faults.drop(method="POST", path=f"/repos/{REPOSITORY}/deployments", after_handling=True)
    made = _api(context_for).create_deployment("weather-pr-7", "c" * 40, "preview")
    assert [d.id for d in github.deployments_of("weather-pr-7")] == [made]


def test_the_token_is_never_written(github, context_for, log):
    github.faults.drop(times=20, method="GET")
    with pytest.raises(TransportFailure) as raised:
        _api(context_for).find_comment(8, MARK)
    said = log.getvalue() + str(raised.value) + raised.value.remediation
    assert WRITE_TOKEN not in said
    assert all(WRITE_TOKEN not in r.to_json().get("url", "") for r in github.requests)
