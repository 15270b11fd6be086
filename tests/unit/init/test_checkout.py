"""init.checkout: the repository's root, default branch and origin, read from .git."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.init.checkout import DEFAULT_BRANCH, find_checkout, origin_path
from tests.support.monorepo import commit_all, git, init_repository


def test_the_root_branch_and_origin_of_a_clone(tmp_path: Path) -> None:
    repo = init_repository(tmp_path / "repo")
    (repo / "servers" / "a").mkdir(parents=True)
    git(repo, "checkout", "-q", "-b", "trunk")
    git(repo, "remote", "add", "origin", "https://github.com/acme/tools.git")
    found = find_checkout(repo / "servers" / "a")
    assert (found.root, found.in_git, found.branch, found.origin) == (
        repo.resolve(),
        True,
        "trunk",
        "acme/tools",
    )
    # origin's HEAD, when the clone knows it, names the default branch.
    remote = repo / ".git" / "refs" / "remotes" / "origin"
    remote.mkdir(parents=True)
    (remote / "HEAD").write_text("ref: refs/remotes/origin/release/v2\n")
    assert find_checkout(repo).branch == "release/v2"


def test_a_worktree_reads_its_own_head_and_the_shared_config(tmp_path: Path) -> None:
    repo = init_repository(tmp_path / "repo")
    (repo / "README").write_text("x\n")
    commit_all(repo, "first")
    git(repo, "remote", "add", "origin", "git@gitlab.example.com:group/sub/project.git")
    git(repo, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "wt"))
    found = find_checkout(tmp_path / "wt")
    assert (found.root, found.branch, found.origin) == (
        (tmp_path / "wt").resolve(),
        "feature",
        "group/sub/project",
    )


def test_no_repository_and_a_detached_head(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    assert find_checkout(loose) == type(find_checkout(loose))(loose.resolve(), in_git=False)
    repo = init_repository(tmp_path / "repo")
    (repo / ".git" / "HEAD").write_text("0" * 40 + "\n")
    assert find_checkout(repo).branch == DEFAULT_BRANCH and find_checkout(repo).origin == ""


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("git@github.com:acme/calc.git", "acme/calc"),
        ("https://github.com/acme/calc", "acme/calc"),
        ("https://token@gitlab.com/g/s/p.git/", "g/s/p"),
        ("ssh://git@host:2222/acme/calc.git", "acme/calc"),
        ("/srv/git/calc.git", ""),
        ("file:///srv/calc", ""),
        ("https://github.com/acme", ""),
        ("", ""),
    ],
)
def test_the_origin_path_of_each_url_form(url: str, path: str) -> None:
    assert origin_path(url) == path
