"""Workflow hygiene, checked statically (no Docker needed): least privilege, pinned actions,
timeouts, no credentials left in the checkout, no expressions spliced into shell scripts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]  # stubs: types-pyyaml (dev.txt)

from tests.support.repository import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))
_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
_ALLOWED_GRANTS = {"contents": {"read"}, "id-token": {"write"}}
#: What a release needs beyond that, and only there: pushing the image (packages), its
#: provenance attestation (attestations) and the GitHub release (contents: write).
_RELEASE_GRANTS = {"contents": {"write"}, "packages": {"write"}, "attestations": {"write"}}
#: What a pull request's preview needs beyond that, and only there: its sticky comment and
#: its GitHub deployment.
_PREVIEW_GRANTS = {"pull-requests": {"write"}, "deployments": {"write"}}


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), path
    return data


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job.get("steps", [])
    assert isinstance(steps, list)
    return steps


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "e2e.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_hygiene(path: Path) -> None:
    workflow = _load(path)
    assert workflow.get("permissions") == {}, "top level must be `permissions: {}`"
    for name, job in workflow["jobs"].items():
        where = f"{path.name}: job {name}"
        if "uses" in job:  # a reusable workflow call
            assert str(job["uses"]).startswith("./"), where
            continue
        assert isinstance(job.get("timeout-minutes"), int), f"{where}: no timeout-minutes"
        grants = job.get("permissions")
        assert isinstance(grants, dict) and grants, f"{where}: no per-job permissions"
        allowed = {k: set(v) for k, v in _ALLOWED_GRANTS.items()}
        extra = {"release.yml": _RELEASE_GRANTS, "preview-local.yml": _PREVIEW_GRANTS}
        for scope, levels in extra.get(path.name, {}).items():
            allowed[scope] = allowed.get(scope, set()) | levels
        for scope, level in grants.items():
            assert level in allowed.get(scope, set()), f"{where}: {scope}: {level}"
        for step in _steps(job):
            uses = step.get("uses")
            if uses is not None and not str(uses).startswith("./"):
                assert _PINNED.match(str(uses)), f"{where}: {uses} is not pinned by commit SHA"
            if uses is not None and str(uses).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, where
            run = step.get("run")
            if run is not None:
                assert "${{" not in str(run), f"{where}: expression inside run: use env"


def test_e2e_runs_on_github_and_under_act() -> None:
    workflow = _load(REPO_ROOT / ".github" / "workflows" / "e2e.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert isinstance(triggers, dict), triggers
    assert set(triggers) >= {"push", "pull_request", "workflow_dispatch"}
    for name, job in workflow["jobs"].items():
        steps = _steps(job)
        checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
        assert checkouts, f"{name}: no checkout for real GitHub"
        # act cannot download actions/checkout; it gets the tree with --bind instead.
        assert all(s.get("if") == "${{ !env.ACT }}" for s in checkouts), name
        assert any(s.get("uses") == "./" and s.get("id") for s in steps), f"{name}: no `uses: ./`"


def test_the_release_publishes_what_the_issue_asks() -> None:
    workflow = _load(REPO_ROOT / ".github" / "workflows" / "release.yml")
    assert workflow[True]["push"]["tags"] == ["v*.*.*"]  # YAML 1.1 reads `on` as True
    jobs = workflow["jobs"]
    platforms = [entry["platform"] for entry in jobs["image"]["strategy"]["matrix"]["include"]]
    assert platforms == ["linux/amd64", "linux/arm64"]
    tagging = "\n".join(str(step.get("run", "")) for step in _steps(jobs["publish-image"]))
    for tag in (
        '"$image:v$VERSION"',
        '"$image:v$minor"',
        '"$image:v$major"',
        '"$image:$GITHUB_SHA"',
    ):
        assert tag in tagging, tag
    uses = [str(step.get("uses", "")) for step in _steps(jobs["publish-image"])]
    assert any(u.startswith("actions/attest-build-provenance@") for u in uses)
    pypi = jobs["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}  # trusted publishing, no token
    assert any(
        str(s.get("uses", "")).startswith("pypa/gh-action-pypi-publish@") for s in _steps(pypi)
    )
    # Only the jobs that push hold write grants.
    writers = {name for name, job in jobs.items() if "write" in job["permissions"].values()}
    assert writers == {"image", "publish-image", "tags", "pypi", "github-release"}
