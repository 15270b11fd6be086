"""servers.git.history: the merge base and the changed paths, checked against git's own
answers (``git merge-base``, ``git diff --name-only --no-renames A...B``) on real histories:
loose, packed with deltas, with merges, renames and deletions."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pmcp_action.servers.git import GitError, Repository, changed_paths, merge_base
from tests.support.monorepo import commit_all, git, init_repository, write_files

T0 = 1_700_000_000


def history(root: Path) -> dict[str, str]:
    """A history with branches, a merge, renames, deletions and similar files (deltas)."""
    repo = init_repository(root)
    names: dict[str, str] = {}
    body = "".join(f"line {n} of a file long enough to be stored as a delta\n" for n in range(200))
    write_files(repo, {f"src/m{n}.rs": body + f"// {n}\n" for n in range(6)})
    names["base"] = commit_all(repo, "base", when=T0)
    git(repo, "checkout", "--quiet", "-b", "feature")
    write_files(repo, {"src/m1.rs": body + "// feature\n", "docs/a.md": "a\n"})
    names["feature1"] = commit_all(repo, "feature 1", when=T0 + 10)
    git(repo, "mv", "src/m2.rs", "src/renamed.rs")
    git(repo, "rm", "--quiet", "src/m3.rs")
    names["feature2"] = commit_all(repo, "feature 2", when=T0 + 20)
    git(repo, "checkout", "--quiet", "main")
    write_files(repo, {"src/m4.rs": body + "// main\n", "src/deep/a/b/c.rs": "c\n"})
    names["main1"] = commit_all(repo, "main 1", when=T0 + 30)
    git(repo, "merge", "--quiet", "--no-ff", "-m", "merge", "feature", when=T0 + 40)
    names["merge"] = git(repo, "rev-parse", "HEAD")
    write_files(repo, {"src/m5.rs": body + "// after\n"})
    names["after"] = commit_all(repo, "after", when=T0 + 50)
    return names


def git_diff(repo: Path, a: str, b: str) -> set[str]:
    out = git(repo, "diff", "--name-only", "--no-renames", f"{a}...{b}")
    return set(out.splitlines()) if out else set()


@pytest.mark.parametrize("packing", ["loose", "gc", "aggressive"])
def test_every_pair_agrees_with_git(tmp_path: Path, packing: str) -> None:
    repo_dir = tmp_path / "repo"
    names = history(repo_dir)
    if packing == "gc":
        git(repo_dir, "gc", "--quiet")
    elif packing == "aggressive":
        git(repo_dir, "repack", "-a", "-d", "-f", "--depth=50", "--window=50", "--quiet")
        git(repo_dir, "prune-packed")
        assert not list((repo_dir / ".git" / "objects").glob("??/*"))
    repo = Repository.find(repo_dir)
    try:
        for a, b in itertools.permutations(names.values(), 2):
            expected = git(repo_dir, "merge-base", a, b)
            assert merge_base(repo, a, b) == expected
            assert changed_paths(repo, a, b) == git_diff(repo_dir, a, b), (a, b)
    finally:
        repo.close()


def test_a_rename_counts_its_old_and_new_path(tmp_path: Path) -> None:
    names = history(tmp_path / "repo")
    repo = Repository.find(tmp_path / "repo")
    changed = changed_paths(repo, names["feature1"], names["feature2"])
    assert changed == {"src/m2.rs", "src/renamed.rs", "src/m3.rs"}


def test_unrelated_histories_cannot_be_compared(tmp_path: Path) -> None:
    repo_dir = init_repository(tmp_path / "repo")
    write_files(repo_dir, {"a": "1"})
    first = commit_all(repo_dir, "one")
    git(repo_dir, "checkout", "--quiet", "--orphan", "other")
    write_files(repo_dir, {"b": "2"})
    second = commit_all(repo_dir, "two")
    repo = Repository.find(repo_dir)
    with pytest.raises(GitError) as raised:
        changed_paths(repo, first, second)
    assert raised.value.message == (
        f"Commits {first[:12]} and {second[:12]} share no history in this clone, so what "
        "changed between them cannot be told."
    )
