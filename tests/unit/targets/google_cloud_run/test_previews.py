"""Previews on Cloud Run through the whole program: a revision with no traffic under the tag
<preview-id>, verified there with the scenarios; two pushes to one pull request give one
sticky comment and one URL; production's traffic never moves (sampled after every run);
destroy-preview removes the tag and marks the GitHub deployments inactive; destroy removes
the previews with the service. The GitHub side is the GitHub fake, served on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.previews.github import marker
from pmcp_action.targets.google_cloud_run.previews import preview_problems
from tests.fakes.github import READ, WRITE, FakeGitHub
from tests.fakes.server import serve

from . import test_pipeline as pipeline
from .test_pipeline import GREET_SCENARIO, IMAGE_2, IMAGE_3, SERVICE, _fake, _project, _traffic, run

#: The emulator, and each image's revisions answering from their own server.
emulator = pipeline.emulator
revisions = pipeline.revisions

pytestmark = pytest.mark.timeout(300)

WRITE_TOKEN = "ghs_previewWRITE0123456789abcdefghi"
READ_TOKEN = "ghs_previewREAD0123456789abcdefghij"
REVISION = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub("octo/mcp", pulls=(7,))
    fake.tokens = {WRITE_TOKEN: WRITE, READ_TOKEN: READ}
    with serve(fake) as url:
        yield fake, str(url)


def _pull_request(
    tmp_path: Path, github_url: str, sha: str, token: str = WRITE_TOKEN
) -> dict[str, str]:
    event = tmp_path / f"event-{sha[:4]}.json"
    event.write_text(
        json.dumps(
            {
                "number": 7,
                "pull_request": {
                    "number": 7,
                    "head": {"sha": sha, "repo": {"full_name": "octo/mcp"}},
                    "base": {"repo": {"full_name": "octo/mcp"}},
                },
            }
        )
    )
    return {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/mcp",
        "GITHUB_API_URL": github_url,
        "INPUT_GITHUB-TOKEN": token,
    }


def _production(emulator: Any, serving: str) -> None:
    """What serves production: all of it on ``serving``, untouched."""
    served = [e for e in _traffic(emulator) if int(e.get("percent", 0) or 0)]
    assert served == [{"type": REVISION, "revision": serving, "percent": 100}]


def _tags(emulator: Any) -> dict[str, str]:
    return {e["tag"]: e["revision"] for e in _traffic(emulator) if e.get("tag")}


def test_two_pushes_one_comment_one_url_production_untouched_then_destroy_preview(
    emulator, revisions, github, gha_files, tmp_path
):
    fake_github, github_url = github
    project = _project(tmp_path)
    (project / "greet.yaml").write_text(GREET_SCENARIO)
    first = run(emulator, gha_files, project)
    assert first.code == 0, first.printed
    serving = first.outputs["version"]

    pushes = []
    for sha, image in (("a" * 40, IMAGE_2), ("b" * 40, IMAGE_2)):
        pushed = run(
            emulator,
            gha_files,
            project,
            WRITE_TOKEN,
            PMCP_IMAGE=image,
            **_pull_request(tmp_path, github_url, sha),
            **{"INPUT_COMMAND": "preview", "INPUT_VERIFY-SCENARIOS": "greet.yaml"},
        )
        assert pushed.code == 0, pushed.printed
        _production(emulator, serving)  # sampled after each push
        pushes.append(pushed)
    one, two = (p.outputs for p in pushes)
    assert one["preview-id"] == two["preview-id"] == "pr-7"
    assert one["preview-url"] == two["preview-url"] == two["url"]
    assert "/pr-7---calc-abc123-uc.a.run.app/mcp" in two["preview-url"]
    assert one["version"] != two["version"]  # a new revision per push, one URL
    assert (two["verified"], two["scenarios-passed"], two["scenarios-failed"]) == ("true", "1", "0")
    assert _tags(emulator) == {"pr-7": two["version"]}
    assert [p["name"] for p in pushes[1].report["phases"]] == [
        "validate",
        "github deployment",
        "preview",
        "verify preview",
        "pull request",
    ]
    # One comment, found again by its marker and rewritten by the second push.
    [comment] = fake_github.comments_on(7)
    assert comment.body.startswith(marker("calc"))
    for said in (two["preview-url"], two["version"], "b" * 12, "verified", "scenarios 1 passed"):
        assert said in comment.body
    assert one["version"] not in comment.body
    # One GitHub deployment per push; the first went inactive when the second succeeded.
    deployments = fake_github.deployments_of("calc-pr-7")
    assert [d.state for d in deployments] == ["inactive", "success"]
    assert all(d.transient_environment and not d.production_environment for d in deployments)
    assert [s["state"] for s in deployments[1].statuses] == ["in_progress", "success"]
    assert deployments[1].statuses[-1]["environment_url"] == two["preview-url"]

    gone = run(
        emulator,
        gha_files,
        project,
        WRITE_TOKEN,
        **_pull_request(tmp_path, github_url, "c" * 40),
        INPUT_COMMAND="destroy-preview",
    )
    assert gone.code == 0, gone.printed
    assert gone.outputs["preview-id"] == "pr-7"
    assert _tags(emulator) == {}
    # The first push's revision is deleted; the second's, the service's latest, stays.
    left = {r.name for r in _fake(emulator).services[SERVICE].revisions}
    assert one["version"] not in left and two["version"] in left and serving in left
    assert "is the service's latest revision and stays" in gone.printed
    _production(emulator, serving)
    assert {d.state for d in fake_github.deployments_of("calc-pr-7")} == {"inactive"}
    [comment] = fake_github.comments_on(7)
    assert "Preview destroyed" in comment.body and two["preview-url"] in comment.body

    again = run(
        emulator,
        gha_files,
        project,
        WRITE_TOKEN,
        **_pull_request(tmp_path, github_url, "c" * 40),
        INPUT_COMMAND="destroy-preview",
    )
    assert again.code == 0, again.printed
    assert "There is no preview pr-7 of Cloud Run service calc" in again.printed
    assert len(fake_github.comments_on(7)) == 1


def test_a_failing_preview_fails_the_job_and_leaves_production_serving(
    emulator, revisions, github, gha_files, tmp_path
):
    fake_github, github_url = github
    project = _project(tmp_path)
    (project / "greet.yaml").write_text(GREET_SCENARIO)
    first = run(emulator, gha_files, project)
    serving = first.outputs["version"]
    failed = run(
        emulator,
        gha_files,
        project,
        WRITE_TOKEN,
        PMCP_IMAGE=IMAGE_3,  # the stand-in: no greet tool
        **_pull_request(tmp_path, github_url, "d" * 40),
        **{"INPUT_COMMAND": "preview", "INPUT_VERIFY-SCENARIOS": "greet.yaml"},
    )
    assert failed.code == 1, failed.printed
    assert failed.outputs["verified"] == "false" and failed.outputs["scenarios-failed"] == "1"
    _production(emulator, serving)
    [deployment] = fake_github.deployments_of("calc-pr-7")
    assert deployment.state == "failure"
    [comment] = fake_github.comments_on(7)
    assert "❌ failed" in comment.body


def test_without_a_writing_token_the_preview_deploys_and_says_how_to_comment(
    emulator, github, gha_files, tmp_path
):
    fake_github, github_url = github
    project = _project(tmp_path)
    assert run(emulator, gha_files, project).code == 0
    for token in (READ_TOKEN, ""):  # a fork's read-only token, then none at all
        pushed = run(
            emulator,
            gha_files,
            project,
            READ_TOKEN,
            PMCP_IMAGE=IMAGE_2,
            **_pull_request(tmp_path, github_url, "e" * 40, token),
            INPUT_COMMAND="preview",
        )
        assert pushed.code == 0, pushed.printed
        assert "::notice title=Preview not commented::" in pushed.printed
        assert "pull-requests: write, deployments: write" in pushed.printed
        assert pushed.outputs["preview-id"] == "pr-7"
    assert fake_github.comments_on(7) == [] and fake_github.deployments == {}


def test_destroy_removes_the_previews_with_the_service_and_says_so(
    emulator, github, gha_files, tmp_path
):
    _, github_url = github
    project = _project(tmp_path)
    assert run(emulator, gha_files, project).code == 0
    pushed = run(
        emulator,
        gha_files,
        project,
        WRITE_TOKEN,
        PMCP_IMAGE=IMAGE_2,
        **_pull_request(tmp_path, github_url, "f" * 40),
        INPUT_COMMAND="preview",
    )
    assert pushed.code == 0, pushed.printed
    # A production deploy after the preview keeps its tag.
    redeploy = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_3, INPUT_VERIFY="false")
    assert redeploy.code == 0, redeploy.printed
    assert "pr-7" in _tags(emulator)
    destroyed = run(
        emulator, gha_files, project, INPUT_COMMAND="destroy", **{"INPUT_CONFIRM-DESTROY": "true"}
    )
    assert destroyed.code == 0, destroyed.printed
    assert "Its previews were removed with it: pr-7." in destroyed.printed + destroyed.summary
    assert SERVICE not in _fake(emulator).services


def test_the_tag_limits_are_checked_before_any_call(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    long = "p" + "x" * 39
    refused = run(
        emulator,
        gha_files,
        project,
        INPUT_COMMAND="preview",
        **{"INPUT_PREVIEW-ID": long, "INPUT_SERVER-NAME": "calculator"},
    )
    assert refused.code == 1, refused.printed
    assert "take 50 characters of a tag URL's 46" in refused.printed
    assert _fake(emulator).services == {}


@pytest.mark.parametrize(
    ("preview", "said"),
    [
        ("candidate", "the tag 'candidate' is the one a deploy verifies"),
        ("x" * 43, "take 47 characters of a tag URL's 46"),
        ("Pr-1", "lowercase letters"),
        ("p1", "at least 3 characters"),
    ],
)
def test_preview_problems(preview, said):
    [problem] = [
        p for p in preview_problems(preview, "calc", "input 'preview-id'") if said in p.what
    ]
    assert problem.where == "input 'preview-id'"
