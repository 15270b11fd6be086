"""A credentials suggestion has a CI form and a terminal form, and the run's platform picks:
at a terminal no target shows a workflow expression and each names its own sign-in (with
--auth ambient where it offers it); in GitHub Actions the CI form stays."""

from __future__ import annotations

import importlib
import io
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.ci import GitHubActions, Platform
from pmcp_action.ci.gitlab import GitLabCi
from pmcp_action.credential_hint import CredentialHint, github_secret
from pmcp_action.settings.catalogue import catalogue
from tests.support.context import make_context

#: What each target needs besides credentials to reach its credentials check.
_OTHER_INPUTS: dict[str, dict[str, str]] = {
    "pmcp-run": {},
    "aws-lambda": {"region": "us-east-1"},
    "google-cloud-run": {"gcp-project": "my-project-1", "region": "us-central1"},
    "azure-container-apps": {
        "azure-subscription-id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "region": "eastus",
    },
    "cloudflare-workers": {},
}
#: The CI form's mark in each target's message.
_CI_FORM = {
    "pmcp-run": "For CI, set the secrets pmcp-client-id",
    "aws-lambda": "`permissions: id-token: write`",
    "google-cloud-run": "give the job id-token: write",
    "azure-container-apps": "of the app registration's Overview page",
    "cloudflare-workers": "cloudflare-api-token: ${{ secrets.CLOUDFLARE_API_TOKEN }}",
}
#: GitLab's form where it differs: no workflow expression, id_tokens: and CI/CD variables.
_GITLAB_FORM = {
    **_CI_FORM,
    "aws-lambda": "id_tokens: with aud sts.amazonaws.com",
    "google-cloud-run": "ID token with id_tokens:",
    "cloudflare-workers": "masked CI/CD variable CLOUDFLARE_API_TOKEN",
}
TARGETS = [d for d in catalogue().targets if d.available]


def _problems(target: str, tmp_path: Path, console: Platform) -> str:
    declaration = next(d for d in TARGETS if d.id == target)
    module = importlib.import_module(declaration.factory.split(":")[0].rsplit(".", 1)[0])
    config = importlib.import_module(f"{module.__name__}.config")
    context = make_context(
        target=target,
        root=tmp_path,
        inputs=_OTHER_INPUTS[target],
        environ={"HOME": str(tmp_path)},
        server_name="calc",
        console=console,
    )
    _, problems = config.resolve(context)
    return "\n".join(p.render() for p in problems)


def _offers_ambient(target: str) -> bool:
    declaration = next(d for d in TARGETS if d.id == target)
    return "auth" in declaration.uses and "ambient" in declaration.notes.get("auth", "")


def test_every_available_target_is_covered():
    assert sorted(d.id for d in TARGETS) == sorted(_OTHER_INPUTS)


@pytest.mark.parametrize("target", sorted(_OTHER_INPUTS))
def test_at_a_terminal_the_suggestion_is_the_persons_own_sign_in(target: str, tmp_path: Path):
    text = _problems(target, tmp_path, Platform(environ={}, log_stream=io.StringIO()))
    declaration = next(d for d in TARGETS if d.id == target)
    assert declaration.terminal and declaration.terminal in text
    assert "${{" not in text and "id-token" not in text and "from a secret" not in text
    assert _CI_FORM[target] not in text
    assert ("--auth ambient" in text) is _offers_ambient(target)


@pytest.mark.parametrize("target", sorted(_OTHER_INPUTS))
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_in_ci_the_suggestion_keeps_the_ci_form(target: str, ci: str, tmp_path: Path):
    platform: Any = GitHubActions if ci == "github" else GitLabCi
    console = platform(environ={}, log_stream=io.StringIO(), result_stream=io.StringIO())
    text = _problems(target, tmp_path, console)
    assert (_CI_FORM if ci == "github" else _GITLAB_FORM)[target] in text
    assert "--auth ambient" not in text
    if ci == "gitlab":
        assert "${{" not in text and "permissions: id-token" not in text


def test_the_platform_picks_the_form():
    hint = CredentialHint(ci=f"pass {github_secret('TOKEN')}", terminal="export TOKEN")
    assert hint.text(Platform(environ={})) == "export TOKEN"
    assert hint.text(GitHubActions(environ={})) == "pass ${{ secrets.TOKEN }}"
    assert hint.text(GitLabCi(environ={})) == "pass ${{ secrets.TOKEN }}"  # none of its own
    gitlab = CredentialHint(ci="github's", terminal="mine", gitlab="gitlab's")
    assert [gitlab.form(p.name) for p in (Platform, GitHubActions, GitLabCi)] == [
        "mine",
        "github's",
        "gitlab's",
    ]


def test_no_target_spells_a_workflow_expression_in_a_message():
    """Messages get ``${{`` from :func:`github_secret` only; declarations' examples (a
    GitHub ``with:`` block) are the one other place it may appear."""
    root = Path(__file__).resolve().parents[2] / "pmcp_action" / "targets"
    spelled = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "${{" in path.read_text() and path.name != "declaration.py"
    ]
    assert spelled == []
