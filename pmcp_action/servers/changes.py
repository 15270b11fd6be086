"""Which servers changed since a git ref: their own files, or the workspace files they build from.

A server changed when a path that differs between the merge base of the ref and ``HEAD``,
and ``HEAD`` (see :mod:`.git.history`), is

- under its own directory, but not under a server directory nested inside it (that one is
  another server's own);
- under a crate directory it depends on by path, or one of its workspace's files
  (:mod:`.cargo`).

The all-zero object name, which GitHub gives as ``github.event.before`` for the first push
of a branch, means there is nothing to compare with: every server counts as changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import Problem, ValidationError
from .cargo import build_inputs
from .discovery import Server
from .git import Repository, changed_paths

__all__ = ["NO_COMMIT", "changed_servers"]

#: What GitHub gives as the commit before the first push of a branch.
NO_COMMIT = "0" * 40


def _relative(path: Path, top: Path) -> str | None:
    """``path`` relative to the repository, ``/``-separated; None when outside it."""
    try:
        return path.relative_to(top).as_posix()
    except ValueError:
        return None


def _under(path: str, directory: str) -> bool:
    return directory == "." or path == directory or path.startswith(directory + "/")


def _owned(path: str, own: str, nested: Iterable[str]) -> bool:
    return _under(path, own) and not any(_under(path, inner) for inner in nested)


def changed_servers(
    servers: Sequence[Server], root: Path, revision: str, where: str
) -> list[Server]:
    """The servers (of those found under ``root``) that changed since ``revision``."""
    if revision.strip() == NO_COMMIT:
        return list(servers)
    repo = Repository.find(root)
    try:
        base = repo.resolve(revision, where)
        head = repo.resolve("HEAD", "HEAD")
        paths = changed_paths(repo, base, head)
    finally:
        repo.close()
    top = repo.work_tree
    own = {server.directory: _relative(server.directory, top) for server in servers}
    problems: list[Problem] = []
    changed: list[Server] = []
    for server in servers:
        mine = own[server.directory]
        if mine is None:
            continue
        nested = [
            inner
            for directory, inner in own.items()
            if inner is not None and directory != server.directory and _under(inner, mine)
        ]
        inputs = build_inputs(server.directory, top, problems)
        directories = [d for d in (_relative(p, top) for p in inputs.directories) if d]
        files = {f for f in (_relative(p, top) for p in inputs.files) if f}
        if any(
            _owned(path, mine, nested)
            or path in files
            or any(_under(path, directory) for directory in directories)
            for path in paths
        ):
            changed.append(server)
    if problems:
        raise ValidationError(problems)
    return changed
