"""``.dockerignore``: which files of a build context are left out, as Docker decides.

The rules are Docker's (``moby/patternmatcher``, what ``docker build`` and
``az acr build`` send): one pattern a line, ``#`` comments, surrounding space
trimmed, each pattern cleaned like a path with a leading ``/`` dropped; ``*`` and
``?`` never match ``/``, ``**`` matches any number of directories, ``[…]`` a
class, ``\\`` escapes. A pattern that matches a directory leaves out everything
below it. ``!pattern`` takes matching paths back in; the last pattern that
matches a path decides.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from ..deadline import Deadline
from ..errors import ConfigError
from .files import read_all

__all__ = ["DOCKERIGNORE", "DockerIgnore", "IgnorePattern"]

DOCKERIGNORE = ".dockerignore"
_BOM = "\ufeff"
#: Characters with a meaning in a regular expression but none in a pattern.
_LITERAL = frozenset(".+()|{}$^")


@dataclass(frozen=True)
class IgnorePattern:
    #: The cleaned pattern, without its ``!``.
    text: str
    #: ``!pattern``: matching paths are taken back in.
    exception: bool
    regex: re.Pattern[str]

    def matches(self, path: str) -> bool:
        """Whether ``path`` (slash-separated, relative) or one of its parent directories matches."""
        if self.regex.match(path):
            return True
        parts = path.split("/")[:-1]
        return any(self.regex.match("/".join(parts[: i + 1])) for i in range(len(parts)))


@dataclass(frozen=True)
class DockerIgnore:
    patterns: tuple[IgnorePattern, ...] = ()

    @classmethod
    def parse(cls, text: str, source: str = DOCKERIGNORE) -> DockerIgnore:
        patterns: list[IgnorePattern] = []
        for number, raw in enumerate(text.removeprefix(_BOM).splitlines(), start=1):
            if raw.startswith("#"):
                continue
            line = raw.strip()
            if not line:
                continue
            exception = line.startswith("!")
            if exception:
                line = line[1:].strip()
                if not line:
                    raise ConfigError(
                        f'{source} line {number}: "!" alone is not a pattern.',
                        remediation="Write the path to take back in after the !, e.g. !README.md.",
                    )
            cleaned = _clean(line)
            try:
                regex = re.compile(_regex(cleaned))
            except re.error as exc:
                raise ConfigError(
                    f"{source} line {number}: {raw.strip()!r} is not a valid pattern ({exc}).",
                    remediation="Fix the pattern (see docs.docker.com: .dockerignore file).",
                ) from None
            patterns.append(IgnorePattern(cleaned, exception, regex))
        return cls(tuple(patterns))

    @classmethod
    def read(cls, context_dir: Path, deadline: Deadline | None = None) -> DockerIgnore:
        """The context's ``.dockerignore`` (none: nothing is left out)."""
        path = context_dir / DOCKERIGNORE
        if not path.exists() and not path.is_symlink():
            return cls()
        data = read_all(path, DOCKERIGNORE, deadline)
        return cls.parse(data.decode("utf-8", "replace"))

    @property
    def has_exceptions(self) -> bool:
        return any(p.exception for p in self.patterns)

    def excluded(self, path: str) -> bool:
        """Whether the relative, slash-separated ``path`` is left out of the context."""
        excluded = False
        for pattern in self.patterns:
            # An exception only matters for a path left out so far, a pattern only for one in.
            if pattern.exception != excluded:
                continue
            if pattern.matches(path):
                excluded = not pattern.exception
        return excluded


def _clean(pattern: str) -> str:
    """Go's ``filepath.Clean``, then no leading ``/``."""
    cleaned = posixpath.normpath(pattern)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if len(cleaned) > 1 and cleaned.startswith("/"):
        cleaned = cleaned[1:]
    return cleaned


def _regex(pattern: str) -> str:
    out = ["^"]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < len(pattern) and pattern[i] == "*":
                i += 1
                if i < len(pattern) and pattern[i] == "/":
                    i += 1
                out.append(".*" if i == len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i < len(pattern):
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(r"\\")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise re.error("a [ without its ]")
            body = pattern[i:end]
            negated = body.startswith("^")
            body = body[1:] if negated else body
            out.append("[" + ("^" if negated else "") + body.replace("[", "\\[") + "]")
            i = end + 1
        elif ch == "]":
            out.append("\\]")
        elif ch in _LITERAL:
            out.append("\\" + ch)
        else:
            out.append(re.escape(ch) if not ch.isalnum() else ch)
    out.append("$")
    return "".join(out)
