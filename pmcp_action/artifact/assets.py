"""Selecting the ``[assets]`` files: glob patterns, excludes, containment in the project.

Kind-neutral: a kind decides where the selected files go in its package.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from ..ci.base import Platform
from ..errors import ConfigError
from ..settings.deploy_toml import AssetsConfig
from .common import inside
from .files import NEVER_READ, file_kind

__all__ = ["collect_assets"]


def collect_assets(
    project_root: Path,
    assets: AssetsConfig,
    *,
    console: Platform | None = None,
    title: str = "Assets",
) -> list[tuple[Path, str]]:
    """The files ``[assets]`` selects, as ``(file, "assets/<relpath>")`` sorted by name.

    Patterns are relative to ``base_dir`` (or the project root); ``*`` and ``?``
    stay within a path segment, ``**`` spans any number of directories (a
    trailing ``**`` takes every file below). Excludes are matched against the
    path relative to ``base_dir`` and to the project root. Anything that
    resolves outside the project root is refused (a symlink is named with what
    it points to), and so is a selected device, FIFO or socket. Warnings (a
    pattern that matches nothing, a missing ``base_dir``) go to ``console``
    under ``title``.
    """
    if not assets.include:
        return []
    root_real = os.path.realpath(project_root)
    base = _asset_base(project_root, assets.base_dir, root_real)
    includes = [_pattern_parts(p, "include", project_root) for p in assets.include]
    excludes = [_pattern_parts(p, "exclude", project_root) for p in assets.exclude]
    if not base.is_dir():
        _warn(
            console,
            f"[assets].base_dir {assets.base_dir!r} is not a directory ({base}); no assets.",
            title,
        )
        return []
    base_rel = Path(os.path.relpath(base, project_root)).parts if base != project_root else ()

    selected: dict[str, Path] = {}
    matched = [0] * len(includes)
    excluded = [0] * len(includes)
    for rel, path, regular in _walk(base, root_real, includes):
        hits = [i for i, pattern in enumerate(includes) if _match(pattern, rel)]
        if not hits:
            continue
        if any(_match(ex, rel) or _match(ex, (*base_rel, *rel)) for ex in excludes):
            for i in hits:
                excluded[i] += 1
            continue
        _ensure_inside(path, root_real, "/".join(rel))
        if not regular:
            raise _not_regular(path, "/".join(rel))
        for i in hits:
            matched[i] += 1
        selected["assets/" + "/".join(rel)] = path
    for i, pattern in enumerate(assets.include):
        if not matched[i]:
            _warn(console, _unmatched_message(pattern, base, excluded[i]), title)
    return [(path, arcname) for arcname, path in sorted(selected.items())]


def _asset_base(project_root: Path, base_dir: str, root_real: str) -> Path:
    if not base_dir:
        return project_root
    candidate = Path(base_dir)
    if candidate.is_absolute() or not inside(os.path.realpath(project_root / candidate), root_real):
        raise ConfigError(
            f"[assets].base_dir {base_dir!r} is outside the project root {project_root}.",
            remediation="Use a directory inside the project, relative to the project root.",
        )
    return project_root / candidate


def _pattern_parts(pattern: str, key: str, project_root: Path) -> tuple[str, ...]:
    if pattern.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", pattern):
        raise ConfigError(
            f"[assets].{key} pattern {pattern!r} is an absolute path.",
            remediation=f"Write it relative to [assets].base_dir or to {project_root}.",
        )
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ConfigError(
            f"[assets].{key} pattern {pattern!r} uses '..' to leave the project root "
            f"{project_root}.",
            remediation="Bundle only files inside the project; copy shared files into it first.",
        )
    collapsed: list[str] = []
    for part in parts:
        if not (part == "**" and collapsed and collapsed[-1] == "**"):
            collapsed.append(part)
    return tuple(collapsed)


def _match(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Glob ``pattern`` segments against path ``parts``; ``**`` spans directories."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        if not rest:
            return len(parts) >= 1
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], head) and _match(rest, parts[1:])


def _could_match_below(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Whether a file somewhere below the directory ``parts`` could match ``pattern``."""
    if not pattern:
        return False
    if pattern[0] == "**":
        return True
    if not parts:
        return True
    return fnmatchcase(parts[0], pattern[0]) and _could_match_below(pattern[1:], parts[1:])


def _walk(
    base: Path, root_real: str, includes: Sequence[tuple[str, ...]]
) -> Iterator[tuple[tuple[str, ...], Path, bool]]:
    """Files below ``base`` as (relative parts, path, is a regular file), sorted; only into
    useful directories. Broken symlinks are left out (there is nothing to pack)."""

    def visit(
        directory: Path, rel: tuple[str, ...], seen: frozenset[str]
    ) -> Iterator[tuple[tuple[str, ...], Path, bool]]:
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            raise ConfigError(
                f"Cannot read {directory} while collecting [assets]: {exc.strerror or exc}.",
                remediation="Make the directory readable or exclude it from [assets].include.",
            ) from exc
        for entry in entries:
            parts = (*rel, entry.name)
            path = Path(entry.path)
            if entry.is_dir():
                if not any(_could_match_below(p, parts) for p in includes):
                    continue
                real = os.path.realpath(path)
                _ensure_inside(path, root_real, "/".join(parts) + "/")
                if real not in seen:  # a symlink loop otherwise
                    yield from visit(path, parts, seen | {real})
            elif entry.is_file():
                yield parts, path, True
            elif os.path.exists(path):  # a device, FIFO or socket
                yield parts, path, False

    yield from visit(base, (), frozenset({os.path.realpath(base)}))


def _ensure_inside(path: Path, root_real: str, shown: str) -> None:
    real = os.path.realpath(path)
    if inside(real, root_real):
        return
    if os.path.islink(path):
        what = f"a symlink to {os.readlink(path)}, which resolves to {real}"
    else:
        what = f"which resolves to {real} through a symlink above it"
    raise ConfigError(
        f"[assets] reaches {shown}, {what}, outside the project root {root_real}; it was not read.",
        remediation=(
            "Copy the files into the project, remove the symlink, or narrow [assets].include / "
            "add an [assets].exclude so it is not selected."
        ),
    )


def _not_regular(path: Path, shown: str) -> ConfigError:
    return ConfigError(
        f"[assets] selects {shown}, which is {file_kind(os.stat(path).st_mode)}, not a regular "
        "file; it was not read.",
        remediation="Add an [assets].exclude for it or narrow [assets].include; only regular "
        f"files are packaged. {NEVER_READ}",
    )


def _unmatched_message(pattern: str, base: Path, excluded: int) -> str:
    message = f"[assets].include pattern {pattern!r} matches no files under {base}"
    if excluded:
        message += f" (its {excluded} match(es) are all excluded by [assets].exclude)"
    elif not any(c in pattern for c in "*?[") and (base / pattern).is_dir():
        message += f"; it names a directory, use '{pattern.rstrip('/')}/**' for its files"
    return message + "."


def _warn(console: Platform | None, message: str, title: str) -> None:
    if console is not None:
        console.warning(message, title=title)
