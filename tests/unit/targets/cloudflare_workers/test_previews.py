"""Previews on Cloudflare Workers through the whole program: a version uploaded under the
preview alias <preview-id>, no deployment made (production's split sampled after every run),
verified at the alias's URL on workerd; two pushes give one comment and one URL;
destroy-preview deletes the alias's versions and marks the GitHub deployments inactive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmcp_action.previews.github import marker
from pmcp_action.targets.cloudflare_workers.previews import preview_problems
from tests.fakes.cloudflare_workers import SUBDOMAIN, FakeCloudflare
from tests.fakes.github import WRITE, FakeGitHub
from tests.fakes.server import serve
from tests.unit.targets.cloudflare_workers.helpers import NAME, write_project

from .test_pipeline import run

pytestmark = pytest.mark.timeout(300)

TOKEN = "ghs_workersPreview0123456789abcdefgh"


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub("octo/mcp", pulls=(3,))
    fake.tokens = {TOKEN: WRITE}
    with serve(fake) as url:
        yield fake, str(url)


def _pull_request(tmp_path: Path, github_url: str, sha: str) -> dict[str, str]:
    event = tmp_path / f"event-{sha[:4]}.json"
    pull = {
        "number": 3,
        "head": {"sha": sha, "repo": {"full_name": "octo/mcp"}},
        "base": {"repo": {"full_name": "octo/mcp"}},
    }
    event.write_text(json.dumps({"number": 3, "pull_request": pull}))
    return {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "PMCP_GITHUB_API_URL": github_url,
    }


def _split(fake: FakeCloudflare) -> list[tuple[str, int]]:
    script = fake.script(NAME)
    assert script is not None and script.live is not None
    return list(script.live.versions)


def _run(live_fake, gha_files, project, extra: dict[str, str], **inputs: str):
    """A run with the pull request's variables (GitHub's, not inputs) in the environment."""
    return run(live_fake, gha_files, project, extra, **inputs)


def test_two_pushes_one_alias_url_one_comment_production_untouched_then_destroy_preview(
    live_fake, github, gha_files, tmp_path
):
    fake, url = live_fake
    fake_github, github_url = github
    write_project(tmp_path)
    code, out, outputs, _, _ = run(live_fake, gha_files, tmp_path)
    assert code == 0, out
    production = _split(fake)

    pushes = []
    for sha, version in (("a" * 40, "2.0.0"), ("b" * 40, "3.0.0")):
        write_project(tmp_path, version=version)
        code, out, outputs, _, report = _run(
            live_fake,
            gha_files,
            tmp_path,
            _pull_request(tmp_path, github_url, sha),
            command="preview",
            github_token=TOKEN,
        )
        assert code == 0, out
        assert _split(fake) == production  # no deployment made
        pushes.append(outputs)
    one, two = pushes
    alias_url = f"{url}/pr-3-{NAME}.{SUBDOMAIN}.workers.dev/mcp"
    assert one["preview-url"] == two["preview-url"] == two["url"] == alias_url
    assert (two["preview-id"], two["verified"]) == ("pr-3", "true")
    assert one["version"] != two["version"]
    assert two["mcp-server-version"] == "3.0.0"  # the alias follows the newest version
    [comment] = fake_github.comments_on(3)
    assert comment.body.startswith(marker(NAME)) and two["version"] in comment.body
    assert [d.state for d in fake_github.deployments_of(f"{NAME}-pr-3")] == [
        "inactive",
        "success",
    ]

    code, out, outputs, _, _ = _run(
        live_fake,
        gha_files,
        tmp_path,
        _pull_request(tmp_path, github_url, "c" * 40),
        command="destroy-preview",
        github_token=TOKEN,
    )
    assert code == 0, out
    script = fake.script(NAME)
    assert script is not None
    assert not [v for v in script.versions if v.annotations.get("workers/alias")]
    assert _split(fake) == production
    assert {d.state for d in fake_github.deployments_of(f"{NAME}-pr-3")} == {"inactive"}
    assert "Preview destroyed" in fake_github.comments_on(3)[0].body

    code, out, _, _, _ = _run(
        live_fake,
        gha_files,
        tmp_path,
        _pull_request(tmp_path, github_url, "c" * 40),
        command="destroy-preview",
        github_token=TOKEN,
    )
    assert code == 0, out
    assert f"There is no preview pr-3 of the Worker {NAME}" in out


def test_destroy_removes_the_previews_with_the_worker_and_says_so(live_fake, gha_files, tmp_path):
    write_project(tmp_path)
    assert run(live_fake, gha_files, tmp_path)[0] == 0
    code, out, _, _, _ = run(live_fake, gha_files, tmp_path, command="preview", preview_id="demo")
    assert code == 0, out
    code, out, _, summary, _ = run(
        live_fake, gha_files, tmp_path, command="destroy", confirm_destroy="true"
    )
    assert code == 0, out
    assert "Its previews were removed with it: demo." in out + summary


@pytest.mark.parametrize(
    ("preview", "said"),
    [("x" * 40, "a workers.dev label takes at most 63"), ("Pr-1", "lowercase letters")],
)
def test_preview_problems(preview, said):
    problems = preview_problems(preview, "a" * 30, "input 'preview-id'")
    assert [p.where for p in problems if said in p.what] == ["input 'preview-id'"]
