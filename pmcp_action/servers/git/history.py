"""What changed between two commits: their merge base, and the paths whose content differs.

``changed_since`` compares as ``git diff --name-only --no-renames BASE...HEAD`` does: from
the merge base of the two commits to HEAD, so on a branch only the branch's own changes
count (not what reached the base branch since), and after a push from the previous head it is
exactly what the push brought. A rename counts as its old and its new path.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from .objects import GitError
from .repository import Repository, TreeEntry

__all__ = ["changed_paths", "merge_base"]

_ONE, _TWO, _STALE = 1, 2, 4


def merge_base(repo: Repository, first: str, second: str) -> str | None:
    """The best common ancestor of two commits (git's, when there is one best), or None.

    Walks both histories newest first, marking what each reaches; a commit both reach is a
    common ancestor, and its own ancestors are then stale. Of several best ones (a criss-cross
    merge), the newest is taken, as ``git diff A...B`` takes the first one git lists.
    """
    if first == second:
        return first
    marks: dict[str, int] = {first: _ONE, second: _TWO}
    queue: list[tuple[int, str]] = []
    for name in (first, second):
        heapq.heappush(queue, (-repo.commit(name).time, name))
    found: list[str] = []
    while any(not marks[name] & _STALE for _, name in queue):
        _, name = heapq.heappop(queue)
        flags = marks[name]
        if flags & (_ONE | _TWO) == _ONE | _TWO and not flags & _STALE:
            found.append(name)
            flags |= _STALE
            marks[name] = flags
        for parent in repo.commit(name).parents:
            if marks.get(parent, 0) & flags == flags:
                continue
            marks[parent] = marks.get(parent, 0) | flags
            heapq.heappush(queue, (-repo.commit(parent).time, parent))
    if not found:
        return None
    return max(found, key=lambda name: repo.commit(name).time)


def _files(repo: Repository, tree: str, prefix: str) -> Iterator[str]:
    for entry in repo.tree(tree):
        path = f"{prefix}{entry.name}"
        if entry.is_tree:
            yield from _files(repo, entry.object, path + "/")
        else:
            yield path


def _diff(
    repo: Repository, old: list[TreeEntry], new: list[TreeEntry], prefix: str
) -> Iterator[str]:
    before = {entry.name: entry for entry in old}
    after = {entry.name: entry for entry in new}
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a is not None and b is not None and a.object == b.object and a.mode == b.mode:
            continue
        path = f"{prefix}{name}"
        if a is not None and b is not None and a.is_tree and b.is_tree:
            yield from _diff(repo, repo.tree(a.object), repo.tree(b.object), path + "/")
            continue
        for side in (a, b):
            if side is None:
                continue
            if side.is_tree:
                yield from _files(repo, side.object, path + "/")
            else:
                yield path


def changed_paths(repo: Repository, base: str, head: str) -> set[str]:
    """Every path (relative to the repository, with ``/``) that differs between the merge base
    of ``base`` and ``head``, and ``head``."""
    common = merge_base(repo, base, head)
    if common is None:
        raise GitError(
            f"Commits {base[:12]} and {head[:12]} share no history in this clone, so what "
            "changed between them cannot be told.",
            remediation="Fetch the whole history (actions/checkout with `fetch-depth: 0`; "
            "GitLab: `GIT_DEPTH: 0`), or compare with a ref of this branch's history.",
        )
    if common == head:
        return set()
    old = repo.tree(repo.commit(common).tree)
    new = repo.tree(repo.commit(head).tree)
    return set(_diff(repo, old, new, ""))
