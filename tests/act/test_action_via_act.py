"""The e2e workflow, run by act: `uses: ./` builds the Dockerfile and runs it as GitHub does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pmcp_action.action_image import GENERATED_DIR
from tests.act.helpers import RunAct
from tests.support.act import copy_repository, run_act

pytestmark = [pytest.mark.act, pytest.mark.docker, pytest.mark.timeout(1500)]

#: The targets action.yml documents for the ``target`` input.
VALID_TARGETS = (
    "pmcp-run",
    "aws-lambda",
    "google-cloud-run",
    "azure-container-apps",
    "cloudflare-workers",
)


def test_bad_input_job_fails_the_step_cleanly(act_run: RunAct) -> None:
    run = act_run(job="bad-input")

    assert run.exit_code == 0, run.describe()
    assert run.job_result("bad-input") == "success", run.describe()
    # The action step failed (continue-on-error keeps the job green) ...
    assert run.step_result("deploy") == "failure", run.describe()
    errors = run.annotations("deploy", "error")
    assert len(errors) == 1, run.describe()
    title = errors[0].properties.get("title", "")
    assert title and title != "Unexpected error", errors
    assert "nonsense" in errors[0].message
    for target in VALID_TARGETS:
        assert target in errors[0].message, errors[0].message
    assert "Traceback" not in run.text, run.describe()
    # ... with PATH=utter-nonsense in its env, and wrote its outputs through $GITHUB_OUTPUT ...
    outputs = run.outputs("deploy")
    assert outputs.get("status") == "failure", outputs
    assert outputs.get("command") == "deploy", outputs
    # ... which the next step read through steps.deploy.outputs and checked.
    assert run.step_result("check") == "success", run.describe()
    checked = run.step_stdout("check")
    assert "e2e-check: outcome=failure status=failure command=deploy" in checked, checked
    assert "e2e-check: ok" in checked, checked


def _git(repository: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repository), "-c", "user.name=e2e", "-c", "user.email=e2e@x", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def _directories(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_dir() and ".git" not in path.parts}


def test_the_action_leaves_the_checkout_as_it_found_it(
    act_binary: str, act_repository: Path, tmp_path: Path
) -> None:
    """The inner Docker action is written into the workspace (`uses:` of a local action needs
    a path there) and removed by the composite's last step: `git status --porcelain` of the
    checkout is empty after the run, and no directory was left behind.

    A checkout of its own, as a user's is: every file committed, and no ignore rule for
    .github/.tmp (this repository's .gitignore has one). The act_repository fixture made the
    base image and the wheelhouse first.
    """
    repository = copy_repository(tmp_path / "repo")
    shutil.rmtree(repository / ".github" / ".tmp", ignore_errors=True)
    gitignore = repository / ".gitignore"
    kept = [line for line in gitignore.read_text().splitlines() if line.strip() != ".github/.tmp/"]
    gitignore.write_text("\n".join(kept) + "\n")
    _git(repository, "add", "-A")
    _git(repository, "commit", "-qm", "a user's checkout")
    assert _git(repository, "status", "--porcelain") == ""
    directories = _directories(repository)

    run = run_act(act_binary, repository, tmp_path / "act", job="bad-input")

    assert run.exit_code == 0, run.describe()
    assert run.step_result("deploy") == "failure", run.describe()  # it ran, and failed cleanly
    assert _git(repository, "status", "--porcelain") == "", run.describe()
    assert not (repository / GENERATED_DIR).exists()
    assert _directories(repository) == directories, run.describe()
