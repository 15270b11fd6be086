"""scripts/move-release-tags against a real git remote (a bare repository), and the release
workflow's order: the moving tags follow the image, pushed and attested."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "move-release-tags"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def _repository(tmp_path: Path) -> tuple[Path, Path]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "-q", str(remote))
    work = tmp_path / "work"
    git(tmp_path, "init", "-q", str(work))
    git(work, "remote", "add", "origin", str(remote))
    return work, remote


def release(work: Path, version: str) -> str:
    """A commit tagged vX.Y.Z on the remote, then the script run for it; the commit."""
    git(work, "commit", "-q", "--allow-empty", "-m", f"release {version}")
    sha = git(work, "rev-parse", "HEAD")
    git(work, "tag", "-a", f"v{version}", "-m", version)
    git(work, "push", "-q", "origin", f"v{version}")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), version, sha],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return sha


def tags(remote: Path) -> dict[str, str]:
    lines = git(remote, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags")
    return dict(line.split() for line in lines.splitlines())


def test_tags_move_forward_only(tmp_path: Path) -> None:
    work, remote = _repository(tmp_path)
    first = release(work, "1.0.0")
    assert tags(remote)["v1"] == tags(remote)["v1.0"] == first
    second = release(work, "1.1.0")
    assert tags(remote)["v1"] == tags(remote)["v1.1"] == second
    assert tags(remote)["v1.0"] == first
    patch = release(work, "1.0.1")  # a fix of the older line
    assert tags(remote)["v1.0"] == patch
    assert tags(remote)["v1"] == second  # never moved back
    major = release(work, "2.0.0")
    assert tags(remote)["v2"] == major and tags(remote)["v1"] == second


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "v1.0.0", "abc"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "usage" in done.stderr


def test_the_workflow_moves_the_tags_after_the_attested_image_and_before_the_notes() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    jobs = workflow["jobs"]
    tags_job = jobs["tags"]
    assert set(tags_job["needs"]) == {"version", "publish-image"}
    assert tags_job["permissions"] == {"contents": "write"}
    run = "\n".join(step.get("run", "") for step in tags_job["steps"])
    assert 'scripts/move-release-tags "$VERSION" "$GITHUB_SHA"' in run
    assert all(s.get("with", {}).get("persist-credentials") is not True for s in tags_job["steps"])
    publish = [step.get("uses", "") for step in jobs["publish-image"]["steps"]]
    assert any(uses.startswith("actions/attest-build-provenance@") for uses in publish)
    assert "tags" in jobs["github-release"]["needs"]
    version_run = "\n".join(step.get("run", "") for step in jobs["version"]["steps"])
    assert "scripts/release-version" in version_run


def test_the_readme_tells_users_the_ref_the_release_moves() -> None:
    from pmcp_action import __version__

    major = __version__.split(".")[0]
    readme = (ROOT / "README.md").read_text()
    assert f"pmcp-deploy-action@v{major}" in readme
