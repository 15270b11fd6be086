"""servers.git.repository: finding the repository and resolving revisions as ``git rev-parse``
does: names, abbreviations, branches, tags (annotated too), remote-tracking branches, packed
refs, ``~N``/``^N``, worktrees and shallow clones."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.servers.git import GitError, Repository
from tests.support.monorepo import commit_all, git, init_repository, write_files


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    repo = init_repository(tmp_path / "repo")
    for n in range(4):
        write_files(repo, {"file.txt": f"{n}\n"})
        commit_all(repo, f"commit {n}", when=1_700_000_000 + n)
    git(repo, "tag", "light", "HEAD~1")
    git(repo, "tag", "-a", "-m", "release", "v1.0.0", "HEAD~2")
    git(repo, "branch", "old", "HEAD~3")
    return repo


def rev_parse(repo: Path, revision: str) -> str:
    return git(repo, "rev-parse", f"{revision}^{{commit}}")


@pytest.mark.parametrize(
    "revision",
    [
        "HEAD",
        "@",
        "main",
        "refs/heads/main",
        "old",
        "light",
        "v1.0.0",
        "refs/tags/v1.0.0",
        "HEAD~2",
        "HEAD^",
        "HEAD^1~1",
        "main~0",
        "v1.0.0^",
    ],
)
def test_revisions_resolve_as_git_resolves_them(repo_dir: Path, revision: str) -> None:
    repo = Repository.find(repo_dir)
    assert repo.resolve(revision, "test") == rev_parse(repo_dir, revision)


def test_full_and_abbreviated_names_and_packed_refs(repo_dir: Path) -> None:
    head = rev_parse(repo_dir, "HEAD")
    git(repo_dir, "pack-refs", "--all")
    git(repo_dir, "gc", "--quiet")
    assert not (repo_dir / ".git" / "refs" / "tags" / "v1.0.0").exists()
    repo = Repository.find(repo_dir)
    assert repo.resolve(head, "test") == head
    assert repo.resolve(head[:10], "test") == head
    assert repo.resolve("v1.0.0", "test") == rev_parse(repo_dir, "v1.0.0")
    assert repo.resolve("old", "test") == rev_parse(repo_dir, "old")


def test_remote_tracking_branches_of_a_clone(repo_dir: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", f"file://{repo_dir}", str(clone))
    repo = Repository.find(clone / ".")
    for revision in ("origin/main", "origin/old", "refs/remotes/origin/main", "origin"):
        assert repo.resolve(revision, "test") == rev_parse(clone, revision)


def test_a_worktree_shares_the_refs_and_objects(repo_dir: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    git(repo_dir, "worktree", "add", "--quiet", str(worktree), "old")
    repo = Repository.find(worktree)
    assert repo.work_tree == worktree.resolve()
    assert repo.resolve("HEAD", "test") == rev_parse(repo_dir, "old")
    assert repo.resolve("main", "test") == rev_parse(repo_dir, "main")


def test_found_from_a_subdirectory(repo_dir: Path) -> None:
    sub = repo_dir / "a" / "b"
    sub.mkdir(parents=True)
    assert Repository.find(sub).work_tree == repo_dir.resolve()


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("nope", "input 'changed-since': 'nope' names no commit in this clone."),
        ("HEAD~9", "goes past the history of this clone: commit"),
        ("HEAD^2", "has 1 parent(s)."),
        ("../etc", "'../etc' names no commit in this clone."),
    ],
)
def test_what_names_no_commit_is_refused(repo_dir: Path, revision: str, message: str) -> None:
    repo = Repository.find(repo_dir)
    with pytest.raises(GitError) as raised:
        repo.resolve(revision, "input 'changed-since'")
    assert message in raised.value.message
    assert "fetch-depth: 0" in raised.value.remediation


def test_an_ambiguous_abbreviation_is_refused(repo_dir: Path) -> None:
    # Two loose object files whose names share the digits given (their content is not read).
    folder = repo_dir / ".git" / "objects" / "ab"
    folder.mkdir(exist_ok=True)
    for rest in ("cd" + "0" * 36, "cd" + "1" * 36):
        (folder / rest).write_bytes(b"")
    repo = Repository.find(repo_dir)
    with pytest.raises(GitError) as raised:
        repo.resolve("abcd", "test")
    assert raised.value.message == (
        "The abbreviated object name abcd is ambiguous here (2 objects start with it)."
    )


def test_a_shallow_clone_ends_where_it_was_cut(repo_dir: Path, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "2", f"file://{repo_dir}", str(clone))
    repo = Repository.find(clone)
    assert repo.resolve("HEAD~1", "test") == rev_parse(repo_dir, "HEAD~1")
    with pytest.raises(GitError, match=r"\(the clone is shallow there\)"):
        repo.resolve("HEAD~2", "test")


def test_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="is not inside a git repository"):
        Repository.find(tmp_path)


def test_a_sha256_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "sha256"
    repo.mkdir()
    git(repo, "init", "--quiet", "--object-format=sha256")
    with pytest.raises(GitError, match="is a SHA-256 git repository"):
        Repository.find(repo)
