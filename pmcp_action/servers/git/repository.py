"""A git repository found on disk: its refs, commits and trees, read without git.

Revisions are resolved as ``git rev-parse`` resolves the forms a workflow passes: a full or
abbreviated object name, ``HEAD`` or ``@``, a branch, tag or remote-tracking branch
(``main``, ``v1.2.0``, ``origin/main``, or its full ``refs/...`` name), ``FETCH_HEAD`` and
``ORIG_HEAD``, each optionally followed by ``~N`` and ``^N``. A worktree (``.git`` a file
naming its git directory) shares the main repository's refs and objects; a shallow clone's
boundary commits (``shallow``) count as having no parents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .objects import GitError, ObjectStore

__all__ = ["Commit", "Repository", "TreeEntry"]

_FULL_NAME = re.compile(r"^[0-9a-f]{40}$")
_ABBREVIATED = re.compile(r"^[0-9a-f]{4,39}$")
_SUFFIXES = re.compile(r"([~^])(\d*)")
#: How deep a symbolic ref may point at another one.
_MAX_SYMREF_DEPTH = 5
#: How many annotated tags may point at one another before a commit.
_MAX_TAG_DEPTH = 10

_FETCH_ADVICE = (
    "Fetch the history the comparison needs: actions/checkout with `fetch-depth: 0` (GitLab: "
    "`GIT_DEPTH: 0`), or `git fetch origin <branch>` before this step."
)


@dataclass(frozen=True)
class Commit:
    name: str
    tree: str
    parents: tuple[str, ...]
    #: Committer time (seconds since the epoch): the order a history walk visits commits in.
    time: int


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    name: str
    object: str

    @property
    def is_tree(self) -> bool:
        return self.mode == "40000"


def _git_dir_of(dot_git: Path) -> Path:
    """The git directory a ``.git`` entry stands for (a worktree's is a file naming it)."""
    if dot_git.is_dir():
        return dot_git
    text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        raise GitError(
            f"{dot_git} is neither a git directory nor a `gitdir:` file.",
            remediation="Check out the repository again.",
        )
    target = Path(text.removeprefix("gitdir:").strip())
    return target if target.is_absolute() else (dot_git.parent / target).resolve()


class Repository:
    """One repository: its work tree, git directory, refs and objects."""

    def __init__(self, work_tree: Path, git_dir: Path) -> None:
        self.work_tree = work_tree
        self.git_dir = git_dir
        common = git_dir / "commondir"
        self.common_dir = (
            (git_dir / common.read_text(encoding="utf-8").strip()).resolve()
            if common.is_file()
            else git_dir
        )
        self._refuse_unreadable_formats()
        self.objects = ObjectStore(self.common_dir / "objects")
        shallow = self.common_dir / "shallow"
        self.shallow = frozenset(
            shallow.read_text(encoding="ascii", errors="replace").split()
            if shallow.is_file()
            else ()
        )
        self._packed: dict[str, str] | None = None
        self._commits: dict[str, Commit] = {}

    @classmethod
    def find(cls, start: Path) -> Repository:
        """The repository holding ``start`` (its nearest ``.git`` at or above it)."""
        here = start.resolve()
        for directory in (here, *here.parents):
            dot_git = directory / ".git"
            if dot_git.exists():
                return cls(directory, _git_dir_of(dot_git))
        raise GitError(
            f"{start} is not inside a git repository, so nothing can be compared with a ref.",
            remediation="Run in the checked-out repository (actions/checkout), or leave "
            "changed-since empty to list every server.",
        )

    def close(self) -> None:
        self.objects.close()

    def _refuse_unreadable_formats(self) -> None:
        config = self.common_dir / "config"
        text = config.read_text(encoding="utf-8", errors="replace") if config.is_file() else ""
        settings = {
            key.strip().lower(): value.strip().lower()
            for key, _, value in (line.partition("=") for line in text.splitlines())
        }
        if settings.get("objectformat", "sha1") != "sha1":
            raise GitError(
                f"{self.work_tree} is a SHA-256 git repository; only SHA-1 repositories can be "
                "compared.",
                remediation="Leave changed-since empty to list every server.",
            )
        if settings.get("refstorage", "files") != "files":
            raise GitError(
                f"{self.work_tree} keeps its refs in the reftable format, which cannot be read "
                "here.",
                remediation="Give changed-since as a full commit SHA, or leave it empty.",
            )

    # --- refs -------------------------------------------------------------------------
    def _packed_refs(self) -> dict[str, str]:
        if self._packed is None:
            self._packed = {}
            packed = self.common_dir / "packed-refs"
            if packed.is_file():
                for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
                    name, _, ref = line.partition(" ")
                    if _FULL_NAME.match(name) and ref:
                        self._packed[ref.strip()] = name
        return self._packed

    def _ref(self, name: str, depth: int = 0) -> str | None:
        """The object a ref names (symbolic refs followed), or None when there is no such ref."""
        for directory in (self.git_dir, self.common_dir):
            path = directory / name
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace").strip()
                if text.startswith("ref:"):
                    if depth >= _MAX_SYMREF_DEPTH:
                        return None
                    return self._ref(text.removeprefix("ref:").strip(), depth + 1)
                first = text.split(maxsplit=1)[0] if text else ""  # FETCH_HEAD: "<sha>\t..."
                return first if _FULL_NAME.match(first) else None
        return self._packed_refs().get(name)

    def _named(self, name: str) -> str | None:
        """What ``git rev-parse`` finds for a name without suffixes, in its order."""
        if name == "@":
            name = "HEAD"
        if _FULL_NAME.match(name):
            return name
        if ".." in name or name.startswith("/") or "\\" in name:
            return None
        for candidate in (
            name,
            f"refs/{name}",
            f"refs/tags/{name}",
            f"refs/heads/{name}",
            f"refs/remotes/{name}",
            f"refs/remotes/{name}/HEAD",
        ):
            found = self._ref(candidate)
            if found is not None:
                return found
        if _ABBREVIATED.match(name):
            matches = self.objects.with_prefix(name)
            if len(matches) > 1:
                raise GitError(
                    f"The abbreviated object name {name} is ambiguous here "
                    f"({len(matches)} objects start with it).",
                    remediation="Give more digits, or the full 40-digit SHA.",
                )
            if matches:
                return matches.pop()
        return None

    def resolve(self, revision: str, where: str) -> str:
        """The commit ``revision`` names; ``where`` names its source in messages."""
        text = revision.strip()
        suffixes = ""
        match = re.search(r"(?:[~^]\d*)+$", text)
        if match and match.start() > 0:
            text, suffixes = text[: match.start()], match.group(0)
        found = self._named(text)
        if found is None:
            raise GitError(
                f"{where}: {revision.strip()[:100]!r} names no commit in this clone.",
                remediation=_FETCH_ADVICE,
            )
        commit = self.peel(found, where)
        for operator, count_text in _SUFFIXES.findall(suffixes):
            count = int(count_text) if count_text else 1
            if operator == "~":
                for _ in range(count):
                    commit = self._parent(commit, 1, revision, where)
            elif count:
                commit = self._parent(commit, count, revision, where)
        return commit

    def _parent(self, commit: str, number: int, revision: str, where: str) -> str:
        parents = self.commit(commit).parents
        if len(parents) < number:
            shallow = " (the clone is shallow there)" if commit in self.shallow else ""
            raise GitError(
                f"{where}: {revision.strip()[:100]!r} goes past the history of this "
                f"clone{shallow}: commit {commit[:12]} has {len(parents)} parent(s).",
                remediation=_FETCH_ADVICE,
            )
        return parents[number - 1]

    def peel(self, name: str, where: str) -> str:
        """The commit an object is or an annotated tag points at."""
        for _ in range(_MAX_TAG_DEPTH):
            kind, content = self.objects.read(name)
            if kind == "commit":
                return name
            if kind != "tag":
                break
            header = content.split(b"\n\n", 1)[0].decode("utf-8", "replace")
            target = next(
                (line[7:] for line in header.splitlines() if line.startswith("object ")), ""
            )
            if not _FULL_NAME.match(target):
                break
            name = target
        raise GitError(
            f"{where}: {name[:12]} is not a commit.",
            remediation="Give a branch, a tag or a commit SHA.",
        )

    # --- objects ------------------------------------------------------------------------
    def commit(self, name: str) -> Commit:
        cached = self._commits.get(name)
        if cached is not None:
            return cached
        kind, content = self.objects.read(name)
        if kind != "commit":
            raise GitError(f"Object {name} is a {kind}, not a commit.", remediation=_FETCH_ADVICE)
        tree = ""
        parents: list[str] = []
        when = 0
        for line in content.split(b"\n\n", 1)[0].decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key == "committer":
                fields = value.rsplit(" ", 2)
                when = int(fields[1]) if len(fields) == 3 and fields[1].isdigit() else 0
        if name in self.shallow:
            parents = []
        commit = Commit(name, tree, tuple(parents), when)
        self._commits[name] = commit
        return commit

    def tree(self, name: str) -> list[TreeEntry]:
        kind, content = self.objects.read(name)
        if kind != "tree":
            raise GitError(f"Object {name} is a {kind}, not a tree.", remediation=_FETCH_ADVICE)
        entries: list[TreeEntry] = []
        at = 0
        while at < len(content):
            space = content.index(b" ", at)
            nul = content.index(b"\0", space)
            mode = content[at:space].decode("ascii")
            entry_name = content[space + 1 : nul].decode("utf-8", "surrogateescape")
            entries.append(TreeEntry(mode, entry_name, content[nul + 1 : nul + 21].hex()))
            at = nul + 21
        return entries
