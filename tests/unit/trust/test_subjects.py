"""The subjects of each CI scope, and the refusals of what names none."""

from __future__ import annotations

import pytest

from pmcp_action.settings.vocabulary import CiSystem
from pmcp_action.trust.subjects import Scope, token_source

GITHUB, GITLAB = CiSystem.GITHUB, CiSystem.GITLAB


def _source(
    ci: CiSystem, repository: str, ref: str = "", environment: str = "production", environ=None
):
    return token_source(
        ci=ci,
        repository=repository,
        ref=ref,
        environment=environment,
        environ=environ or {},
        sources={},
    )


@pytest.mark.parametrize(
    ("ci", "repository", "ref", "subject", "scope"),
    [
        (GITHUB, "octo/app", "main", "repo:octo/app:ref:refs/heads/main", Scope.BRANCH),
        (
            GITHUB,
            "octo/app",
            "refs/heads/rel/1",
            "repo:octo/app:ref:refs/heads/rel/1",
            Scope.BRANCH,
        ),
        (GITHUB, "octo/app", "refs/tags/v1.2", "repo:octo/app:ref:refs/tags/v1.2", Scope.TAG),
        (GITHUB, "octo/app", "pull_request", "repo:octo/app:pull_request", Scope.PULL_REQUEST),
        (GITHUB, "octo/app", "", "repo:octo/app:environment:production", Scope.ENVIRONMENT),
        (
            GITLAB,
            "grp/sub/app",
            "main",
            "project_path:grp/sub/app:ref_type:branch:ref:main",
            Scope.BRANCH,
        ),
        (GITLAB, "grp/app", "refs/tags/v1", "project_path:grp/app:ref_type:tag:ref:v1", Scope.TAG),
        (GITLAB, "grp/app", "", "project_path:grp/app:ref_type:branch:ref:*", Scope.ENVIRONMENT),
    ],
)
def test_each_scope_has_its_ci_s_subject(ci, repository, ref, subject, scope) -> None:
    source, problems = _source(ci, repository, ref)

    assert problems == []
    assert source is not None
    assert (source.subject, source.scope) == (subject, scope)
    assert source.exact == (subject.count("*") == 0)


def test_a_gitlab_environment_is_matched_by_its_claim() -> None:
    source, _ = _source(GITLAB, "grp/app", environment="prod")

    assert source is not None and dict(source.claims) == {
        "project_path": "grp/app",
        "environment": "prod",
    }
    assert "the environment prod of grp/app on GitLab" == source.describe()


def test_issuers_follow_the_ci_and_a_self_managed_gitlab() -> None:
    github, _ = _source(GITHUB, "o/r")
    gitlab, _ = _source(GITLAB, "g/p", environ={"CI_SERVER_URL": "https://git.example.org/"})

    assert github is not None and github.issuer_host == "token.actions.githubusercontent.com"
    assert gitlab is not None and gitlab.issuer == "https://git.example.org"


@pytest.mark.parametrize(
    ("ci", "repository", "ref", "said"),
    [
        (GITHUB, "", "main", "no repository is given"),
        (GITHUB, "a/b/c", "main", "no github repository path"),
        (GITLAB, "single", "main", "no gitlab repository path"),
        (GITLAB, "g/p", "pull_request", "name no pull (merge) request"),
        (GITHUB, "o/r", "has space", "no branch or tag name"),
        (GITHUB, "o/r", "a:b", "no branch or tag name"),
    ],
)
def test_what_names_no_scope_is_refused(ci, repository, ref, said) -> None:
    source, problems = _source(ci, repository, ref)

    assert source is None
    assert any(said in problem.what for problem in problems), problems
