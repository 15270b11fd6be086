"""`pmcp-action init --ci gitlab` as a process, for every target: the .gitlab-ci.yml it writes
(or extends, comments kept) passes `gitlab-ci-local --preview`, which includes the component
and merges its job with the jobs init adds, as GitLab does.

gitlab-ci-local cannot fetch a component from an instance, so the test includes the
repository's own templates/deploy.yml in its place (`local:`), as tests/subprocess/
test_gitlab_component.py does; everything else is what init wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pmcp_action.gitlab_component import DEFAULT_JOB_NAME, DEFAULT_STAGE
from pmcp_action.init.gitlab import BUILD_JOB, BUILD_STAGE, CI_FILE
from pmcp_action.init.release import component
from pmcp_action.settings.catalogue import catalogue
from tests.support.gitlab_ci_local import git_project, gitlab_ci_local
from tests.support.repository import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

USERS_PIPELINE = """\
# Our pipeline (a comment that must survive)
include:
  - local: ci/lint.yml   # the linters

lint:
  stage: test
  script:
    - echo lint
"""


@pytest.fixture(scope="module")
def gitlab() -> str:
    return gitlab_ci_local()


def _init(repo: Path, target: str) -> subprocess.CompletedProcess[str]:
    project = repo / "servers" / "calc"
    (project / ".pmcp").mkdir(parents=True)
    (project / ".pmcp" / "deploy.toml").write_text(
        f'[target]\ntype = "{target}"\n\n[server]\nname = "calc"\n\n[secrets]\nAPI_KEY = ""\n'
    )
    (project / "Cargo.toml").write_text('[package]\nname = "calc"\nversion = "0.1.0"\n')
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True, timeout=60)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pmcp_action", "init", "--ci", "gitlab"],
        cwd=project,
        env={**env, "HOME": str(repo.parent / "home")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _preview(gitlab: str, repo: Path) -> dict[str, Any]:
    """The pipeline gitlab-ci-local makes of the file, with the component included locally."""
    (repo / "templates").mkdir(exist_ok=True)
    shutil.copy(REPO_ROOT / "templates" / "deploy.yml", repo / "templates" / "deploy.yml")
    written = (repo / CI_FILE).read_text()
    assert written.count(f"- component: {component()}") == 1, written
    (repo / CI_FILE).write_text(
        written.replace(f"- component: {component()}", "- local: templates/deploy.yml")
    )
    git_project(repo)
    done = subprocess.run(
        [gitlab, "--preview"],
        cwd=repo,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(repo.parent / "home"),
            "NO_COLOR": "1",
            "FORCE_COLOR": "0",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    pipeline = yaml.safe_load(done.stdout)
    assert isinstance(pipeline, dict), done.stdout[-2000:]
    return pipeline


@pytest.mark.parametrize("target", catalogue().ids)
def test_every_targets_pipeline_passes_gitlab_ci_local(
    gitlab: str, tmp_path: Path, target: str
) -> None:
    repo = tmp_path / "repo"
    done = _init(repo, target)
    assert done.returncode == 0, done.stderr
    pipeline = _preview(gitlab, repo)
    deploy = pipeline[DEFAULT_JOB_NAME]
    assert deploy["stage"] == DEFAULT_STAGE
    assert deploy["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    variables = deploy["variables"]
    assert variables["PMCP_DEPLOY_TARGET"] == target
    assert variables["PMCP_WORKING_DIRECTORY"] == "servers/calc"
    assert deploy["environment"]["name"] == "production"
    assert deploy["resource_group"] == f"pmcp-deploy {target} calc"
    build = pipeline[BUILD_JOB]  # every built-in target builds something here (no Dockerfile)
    assert build["stage"] == BUILD_STAGE and build["artifacts"]["paths"]


def test_a_users_pipeline_keeps_its_jobs_and_comments(gitlab: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "ci").mkdir(parents=True)
    (repo / "ci" / "lint.yml").write_text("lint-more:\n  stage: test\n  script: [echo more]\n")
    (repo / CI_FILE).write_text(USERS_PIPELINE)
    done = _init(repo, "aws-lambda")
    assert done.returncode == 0, done.stderr
    assert "Added the pmcp-deploy-action component to .gitlab-ci.yml" in done.stderr
    kept = (repo / CI_FILE).read_text()
    assert kept.startswith("# Our pipeline (a comment that must survive)\ninclude:\n")
    assert "  - local: ci/lint.yml   # the linters\n" in kept
    pipeline = _preview(gitlab, repo)
    assert {"lint", "lint-more", DEFAULT_JOB_NAME, BUILD_JOB} <= set(pipeline)
