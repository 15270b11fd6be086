"""The preview commands in the pipeline, before any call: a target without previews refuses
the command, and a run with no preview name says how to give one; both alongside every other
problem, nothing touched."""

from __future__ import annotations

import io

import httpx

from pmcp_action.__main__ import main
from pmcp_action.ci.base import Platform
from pmcp_action.previews.comment import DESTROYED
from pmcp_action.previews.github import marker
from pmcp_action.previews.run import announce_destroyed
from tests.fakes.github.fake import Deployment
from tests.support.context import make_context

from .conftest import REPOSITORY, WRITE_TOKEN


def _run(tmp_path, **inputs: str) -> tuple[int, str]:
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n')
    environ = {"INPUT_WORKING-DIRECTORY": str(tmp_path)}
    environ |= {f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}
    out, err = io.StringIO(), io.StringIO()
    code = main([], environ=environ, stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_outside_a_pull_request_the_preview_needs_a_name(tmp_path):
    code, said = _run(tmp_path, target="google-cloud-run", command="destroy-preview")
    assert code == 1
    assert "input 'preview-id': a preview needs a name" in said
    assert "give preview-id (--preview-id NAME)" in said


def test_a_github_token_from_the_environment_is_masked_the_moment_it_is_read(tmp_path):
    token = "ghs_fromTheEnvironment0123456789abcd"
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "deploy.toml").write_text('[server]\nname = "calc"\n')
    report = tmp_path / "report.json"
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": token,
        "INPUT_WORKING-DIRECTORY": str(tmp_path),
        "INPUT_TARGET": "google-cloud-run",
        "INPUT_COMMAND": "preview",
        "INPUT_PREVIEW-ID": "PR 1",  # refused: the run stops before any call
        "INPUT_REPORT-PATH": str(report),
    }
    out, err = io.StringIO(), io.StringIO()
    code = main([], environ=environ, stdout=out, stderr=err)
    said = out.getvalue() + err.getvalue()
    assert code == 1
    assert f"::add-mask::{token}" in said
    rest = said.replace(f"::add-mask::{token}", "") + report.read_text()
    assert token not in rest
    assert '"github-token": "***"' in report.read_text()


# --- destroy: the pull requests of the previews removed with the server ---------------------
def _destroy_context(github, tmp_path, log, token: str = WRITE_TOKEN, repository: str = REPOSITORY):
    return make_context(
        target="google-cloud-run",
        root=tmp_path,
        server_name="calc",
        inputs={"github-token": token} if token else {},
        environ={"GITHUB_REPOSITORY": repository} if repository else {},
        console=Platform(environ={}, log_stream=log),
        transport=httpx.MockTransport(github),
    )


def _deployed(github, environment: str) -> Deployment:
    """A GitHub deployment of ``environment`` a preview run left (state success)."""
    deployment = Deployment(
        len(github.deployments) + 1,
        "a" * 40,
        "a" * 40,
        environment,
        "pmcp-action preview",
        True,
        False,
        "deploy",
        {},
        "2026-01-01T00:00:00Z",
        statuses=[{"state": "in_progress"}, {"state": "success"}],
    )
    github.deployments[deployment.id] = deployment
    return deployment


def test_destroy_tells_each_pr_previews_pull_request_and_notes_the_others(github, tmp_path, log):
    seven, eight = _deployed(github, "calc-pr-7"), _deployed(github, "calc-pr-8")
    other = _deployed(github, "calc-feature-x")
    github.add_comment(7, f"{marker('calc')}\n### 🔍 Preview of `calc`\n", user="github-actions")
    notes = announce_destroyed(
        _destroy_context(github, tmp_path, log), ("feature-x", "pr-7", "pr-8")
    )
    assert seven.state == eight.state == "inactive"
    assert other.state == "success"  # its pull request is unknown: left
    [comment] = github.comments_on(7)
    assert f"{DESTROYED}: `pr-7` was removed; its URL no longer answers." in comment.body
    assert github.comments_on(8) == []  # no comment to update: none is made
    [note] = notes
    assert "The preview feature-x is not named pr-<number>" in note
    assert WRITE_TOKEN not in log.getvalue()


def test_destroy_without_a_token_or_outside_github_leaves_github_alone(github, tmp_path, log):
    seven = _deployed(github, "calc-pr-7")
    [note] = announce_destroyed(_destroy_context(github, tmp_path, log, token=""), ("pr-7",))
    assert "give github-token to mark them destroyed" in note
    assert (
        announce_destroyed(_destroy_context(github, tmp_path, log, repository=""), ("pr-7",)) == ()
    )
    assert seven.state == "success" and github.requests == []
