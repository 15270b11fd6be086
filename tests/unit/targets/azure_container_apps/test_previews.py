"""Previews on Azure Container Apps through the whole program: a revision at 0 % under the
traffic label <preview-id> (a new one per push, the label moved), verified; production's
100 % sampled after every run; a production deploy and a rollback keep the label and never
take a preview's revision for a production one; destroy-preview removes the label and
deactivates the preview's revisions, the GitHub deployments go inactive; destroy says the
previews went with the app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.previews.github import marker
from pmcp_action.targets.azure_container_apps.previews import preview_problems
from tests.fakes.github import WRITE, FakeGitHub
from tests.fakes.server import serve

from .test_pipeline import IMAGE_2, _project, _traffic, run

pytestmark = pytest.mark.timeout(300)

TOKEN = "ghs_azurePreview0123456789abcdefghij"
IMAGE_3 = "ghcr.io/paiml/hello-mcp@sha256:" + "3" * 64


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub("octo/mcp", pulls=(9,))
    fake.tokens = {TOKEN: WRITE}
    with serve(fake) as url:
        yield fake, str(url)


def _pull_request(tmp_path: Path, github_url: str, sha: str) -> dict[str, str]:
    event = tmp_path / f"event-{sha[:4]}.json"
    pull = {
        "number": 9,
        "head": {"sha": sha, "repo": {"full_name": "octo/mcp"}},
        "base": {"repo": {"full_name": "octo/mcp"}},
    }
    event.write_text(json.dumps({"number": 9, "pull_request": pull}))
    return {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "PMCP_GITHUB_API_URL": github_url,
        "INPUT_GITHUB-TOKEN": TOKEN,
    }


def _production(emulator: Any) -> dict[str, int]:
    """What serves: each revision with traffic, and its weight (as the fake resolved it)."""
    fake = emulator.fakes["azure-container-apps"]
    [revisions] = fake.arm.revisions.values()
    weights = {name: r["properties"]["trafficWeight"] for name, r in revisions.items()}
    return {name: weight for name, weight in weights.items() if weight}


def _labels(emulator: Any) -> dict[str, str]:
    return {t["label"]: t["revisionName"] for t in _traffic(emulator) if t.get("label")}


def _revisions(emulator: Any) -> dict[str, bool]:
    fake = emulator.fakes["azure-container-apps"]
    [revisions] = fake.arm.revisions.values()
    return {name: r["properties"]["active"] for name, r in revisions.items()}


def test_two_pushes_one_label_production_untouched_then_destroy_preview(
    emulator, github, gha_files, tmp_path
):
    fake_github, github_url = github
    project = _project(tmp_path)
    code, out, first, _, _ = run(emulator, gha_files, project)
    assert code == 0, out
    production = _production(emulator)

    pushes = []
    for sha in ("a" * 40, "b" * 40):
        code, out, outputs, _, _ = run(
            emulator,
            gha_files,
            project,
            PMCP_IMAGE=IMAGE_2,
            INPUT_COMMAND="preview",
            **_pull_request(tmp_path, github_url, sha),
        )
        assert code == 0, out
        assert _production(emulator) == production  # sampled after each push
        pushes.append(outputs)
    one, two = pushes
    assert one["preview-id"] == two["preview-id"] == "pr-9"
    assert one["preview-url"] == two["preview-url"] == two["url"]
    assert one["version"] != two["version"] and two["version"].startswith("calc--pv-pr-9-")
    assert two["verified"] == "true"
    assert _labels(emulator) == {"pr-9": two["version"]}
    [comment] = fake_github.comments_on(9)
    assert comment.body.startswith(marker("calc")) and two["version"] in comment.body

    # A production deploy keeps the preview's label; a rollback never returns to a preview.
    code, out, deployed, _, _ = run(emulator, gha_files, project, PMCP_IMAGE=IMAGE_3)
    assert code == 0, out
    assert deployed["previous-version"] == first["version"]
    assert _labels(emulator) == {"pr-9": two["version"]}
    code, out, rolled, _, _ = run(emulator, gha_files, project, INPUT_COMMAND="rollback")
    assert code == 0, out
    assert rolled["version"] == first["version"]
    assert _labels(emulator) == {"pr-9": two["version"]}

    code, out, gone, _, _ = run(
        emulator,
        gha_files,
        project,
        INPUT_COMMAND="destroy-preview",
        **_pull_request(tmp_path, github_url, "c" * 40),
    )
    assert code == 0, out
    assert gone["preview-id"] == "pr-9" and _labels(emulator) == {}
    active = _revisions(emulator)
    assert not active[one["version"]] and not active[two["version"]]
    assert _production(emulator) == {first["version"]: 100}
    assert {d.state for d in fake_github.deployments_of("calc-pr-9")} == {"inactive"}

    code, out, _, _, _ = run(
        emulator,
        gha_files,
        project,
        INPUT_COMMAND="destroy-preview",
        **{"INPUT_PREVIEW-ID": "pr-9"},
    )
    assert code == 0, out
    assert "There is no preview pr-9 of container app calc" in out


def test_destroy_says_the_previews_went_with_the_app(emulator, gha_files, tmp_path):
    project = _project(tmp_path)
    assert run(emulator, gha_files, project)[0] == 0
    code, out, _, _, _ = run(
        emulator,
        gha_files,
        project,
        PMCP_IMAGE=IMAGE_2,
        INPUT_COMMAND="preview",
        **{"INPUT_PREVIEW-ID": "demo"},
    )
    assert code == 0, out
    code, out, _, summary, _ = run(
        emulator, gha_files, project, INPUT_COMMAND="destroy", **{"INPUT_CONFIRM-DESTROY": "true"}
    )
    assert code == 0, out
    assert "Its previews were removed with it: demo." in out + summary


@pytest.mark.parametrize(
    ("preview", "said"),
    [("x" * 40, "a DNS label takes at most 63"), ("pr--1", "single hyphens")],
)
def test_preview_problems(preview, said):
    problems = preview_problems(preview, "a" * 30, "input 'preview-id'")
    assert [p.where for p in problems if said in p.what] == ["input 'preview-id'"]
