"""The repository around the project, read from ``.git`` without git: where its root is
(the CI configuration goes there), the branch a push deploys, and its path at its origin."""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_BRANCH", "Checkout", "find_checkout", "origin_path"]

#: The branch a push deploys when the repository does not say (no origin/HEAD, no HEAD).
DEFAULT_BRANCH = "main"
_REF = re.compile(r"^ref:\s*refs/(?:heads|remotes/origin)/(\S+)\s*$")
#: ``git@host:path``, ``ssh://[user@]host[:port]/path``, ``https://host/path``.
_SCP = re.compile(r"^[^/@:]+@[^/:]+:(?P<path>[^/].*)$")
_URL = re.compile(r"^[a-z+]+://(?:[^@/]+@)?[^/]+/(?P<path>.+)$")
_PATH = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+$")


@dataclass(frozen=True)
class Checkout:
    #: The work tree's root; the project itself when it is in no git repository.
    root: Path
    in_git: bool
    #: The default branch: origin's HEAD, else the branch checked out, else main.
    branch: str = DEFAULT_BRANCH
    #: The repository's path at its origin remote (OWNER/REPO; group/project), or "".
    origin: str = ""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _git_dir(dot_git: Path) -> Path | None:
    if dot_git.is_dir():
        return dot_git
    text = _read(dot_git).strip()
    if not text.startswith("gitdir:"):
        return None
    target = Path(text.removeprefix("gitdir:").strip())
    return target if target.is_absolute() else (dot_git.parent / target).resolve()


def _branch(git_dir: Path, common_dir: Path) -> str:
    for head in (common_dir / "refs" / "remotes" / "origin" / "HEAD", git_dir / "HEAD"):
        match = _REF.match(_read(head).strip())
        if match:
            return match.group(1)
    return DEFAULT_BRANCH


def origin_path(url: str) -> str:
    """``owner/repo`` of a remote's URL (any of git's forms), or "" when it names none."""
    url = url.strip()
    match = _SCP.match(url) or _URL.match(url)
    if match is None:
        return ""
    path = match.group("path").strip("/").removesuffix(".git")
    return path if _PATH.match(path) else ""


def _origin(common_dir: Path) -> str:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(_read(common_dir / "config"))
    except configparser.Error:
        return ""
    section = 'remote "origin"'
    return origin_path(parser.get(section, "url", fallback="")) if section in parser else ""


def find_checkout(project: Path) -> Checkout:
    """The repository holding ``project`` (its nearest ``.git`` at or above it)."""
    here = project.resolve()
    for directory in (here, *here.parents):
        dot_git = directory / ".git"
        if not dot_git.exists():
            continue
        git_dir = _git_dir(dot_git)
        if git_dir is None:
            return Checkout(directory, in_git=True)
        common = git_dir / "commondir"
        common_dir = (git_dir / _read(common).strip()).resolve() if common.is_file() else git_dir
        return Checkout(directory, True, _branch(git_dir, common_dir), _origin(common_dir))
    return Checkout(here, in_git=False)
