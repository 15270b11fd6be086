"""The GitHub fake against PyGithub, GitHub's own Python client, as a test-only peer: what
PyGithub sends, the fake takes (comments, deployments, statuses, pagination); what the
action's client writes, PyGithub reads back as GitHub's; a read-only token is refused the
same way for both."""

from __future__ import annotations

import io

import pytest

from pmcp_action.ci.base import Platform
from pmcp_action.previews.github import GitHubAccessError, GitHubApi, marker
from tests.fakes.github import READ, WRITE, FakeGitHub
from tests.fakes.server import serve
from tests.support.context import make_context

github_module = pytest.importorskip("github")

WRITE_TOKEN = "ghs_peerWRITE0123456789abcdefghijkl"
READ_TOKEN = "ghs_peerREAD0123456789abcdefghijklm"


_OPEN: list[object] = []


@pytest.fixture
def served():
    fake = FakeGitHub("octo/mcp", pulls=(5,))
    fake.tokens = {WRITE_TOKEN: WRITE, READ_TOKEN: READ}
    with serve(fake) as url:
        yield fake, str(url)
        while _OPEN:  # every client's connections closed before the server stops
            opened = _OPEN.pop()
            opened.close()  # type: ignore[attr-defined]


def _pygithub(url: str, token: str):
    client = github_module.Github(
        auth=github_module.Auth.Token(token),
        base_url=url,
        per_page=100,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    _OPEN.append(client)
    return client


def _ours(tmp_path, url: str) -> GitHubApi:
    context = make_context(
        target="google-cloud-run",
        root=tmp_path,
        inputs={"github-token": WRITE_TOKEN},
        console=Platform(environ={}, log_stream=io.StringIO()),
    )
    api = GitHubApi(context, "octo/mcp", WRITE_TOKEN, url)
    _OPEN.append(api)
    return api


def test_pygithubs_comments_and_pages_are_the_fakes(served, tmp_path):
    fake, url = served
    issue = _pygithub(url, WRITE_TOKEN).get_repo("octo/mcp").get_issue(5)
    for n in range(105):
        issue.create_comment(f"chatter {n}")
    ours = _ours(tmp_path, url)
    ours.upsert_comment(5, marker("weather"), f"{marker('weather')}\nfirst")
    bodies = [c.body for c in issue.get_comments()]  # PyGithub follows the Link header
    assert len(bodies) == 106 and bodies[-1].endswith("first")
    mine = next(c for c in issue.get_comments() if marker("weather") in c.body)
    mine.edit(f"{marker('weather')}\nedited by PyGithub")
    found = ours.find_comment(5, marker("weather"))
    assert found is not None and found.body.endswith("edited by PyGithub")
    assert len(fake.comments_on(5)) == 106


def test_pygithubs_deployments_and_statuses_are_the_fakes(served, tmp_path):
    fake, url = served
    repo = _pygithub(url, WRITE_TOKEN).get_repo("octo/mcp")
    theirs = repo.create_deployment(
        ref="d" * 40,
        environment="weather-pr-5",
        transient_environment=True,
        production_environment=False,
        required_contexts=[],
        auto_merge=False,
        description="made by PyGithub",
    )
    theirs.create_status("success", environment_url="https://a.example/mcp", auto_inactive=True)
    ours = _ours(tmp_path, url)
    made = ours.create_deployment("weather-pr-5", "e" * 40, "made by pmcp-action")
    ours.set_status(made, "success", "verified", "https://b.example/mcp")
    listed = list(repo.get_deployments(environment="weather-pr-5"))
    assert [d.id for d in listed] == [made, theirs.id]
    assert listed[0].transient_environment is True
    [latest, *_] = list(listed[0].get_statuses())
    assert (latest.state, latest.environment_url) == ("success", "https://b.example/mcp")
    assert next(iter(theirs.get_statuses())).state == "inactive"  # auto_inactive
    assert fake.deployments[made].ref == "e" * 40


def test_a_read_only_token_is_refused_writing_for_both_clients(served, tmp_path):
    fake, url = served
    issue = _pygithub(url, READ_TOKEN).get_repo("octo/mcp").get_issue(5)
    with pytest.raises(github_module.GithubException) as raised:
        issue.create_comment("hello")
    assert raised.value.status == 403
    context = make_context(
        target="google-cloud-run",
        root=tmp_path,
        inputs={"github-token": READ_TOKEN},
        console=Platform(environ={}, log_stream=io.StringIO()),
    )
    api = GitHubApi(context, "octo/mcp", READ_TOKEN, url)
    _OPEN.append(api)
    with pytest.raises(GitHubAccessError):
        api.upsert_comment(5, "m", "m body")
    assert fake.comments_on(5) == []
