"""What a server's crate is built from, read from Cargo manifests without running cargo.

A server's build depends on more than its own directory:

- the Cargo workspace it belongs to: the workspace's ``Cargo.toml`` and ``Cargo.lock``, its
  toolchain file (``rust-toolchain``, ``rust-toolchain.toml``) and its Cargo configuration
  (``.cargo/config.toml``, ``.cargo/config``);
- the crates it depends on by path (``foo = { path = "../common" }``, or
  ``foo.workspace = true`` where ``[workspace.dependencies]`` gives the path), in its
  ``[dependencies]`` and ``[build-dependencies]`` (target-specific ones included), and
  theirs in turn; and the ``[patch]`` entries of the workspace that point at a path.

The workspace is Cargo's: the nearest ``Cargo.toml`` with a ``[workspace]`` table at or
above the crate (or the one ``package.workspace`` names) whose ``members`` include it and
whose ``exclude`` does not. Development dependencies are not counted: they are not in the
deployed server.
"""

from __future__ import annotations

import glob
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Problem

__all__ = ["BuildInputs", "WORKSPACE_FILES", "build_inputs"]

#: Files of a workspace root that change how every member builds.
WORKSPACE_FILES = (
    "Cargo.toml",
    "Cargo.lock",
    "rust-toolchain",
    "rust-toolchain.toml",
    ".cargo/config.toml",
    ".cargo/config",
)
_DEPENDENCY_TABLES = ("dependencies", "build-dependencies", "build_dependencies")


@dataclass(frozen=True)
class BuildInputs:
    """The directories and files outside a server's own directory its build reads."""

    #: Crate directories it depends on by path (each with everything under it).
    directories: frozenset[Path]
    #: Single files (the workspace's manifest, lock file, toolchain and Cargo configuration).
    files: frozenset[Path]


class _Manifests:
    """Cargo.toml files as data, each read once; a broken one is a problem, read as empty."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self._read: dict[Path, Mapping[str, Any]] = {}

    def __call__(self, directory: Path) -> Mapping[str, Any]:
        if directory not in self._read:
            self._read[directory] = self._load(directory / "Cargo.toml")
        return self._read[directory]

    def _load(self, path: Path) -> Mapping[str, Any]:
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return {}
        except (OSError, tomllib.TOMLDecodeError) as exc:
            self.problems.append(
                Problem(
                    str(path),
                    f"cannot be read as TOML ({exc})",
                    "fix the manifest so that cargo can read it",
                )
            )
            return {}


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _members(root: Path, workspace: Mapping[str, Any], key: str) -> set[Path]:
    """The directories ``members`` (or ``exclude``) names, globs expanded."""
    found: set[Path] = set()
    entries = workspace.get(key, [])
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, str):
            continue
        for match in glob.glob(str(root / entry)):
            found.add(Path(os.path.normpath(match)))
        if not glob.has_magic(entry):
            found.add(Path(os.path.normpath(root / entry)))
    return found


def _workspace_of(
    crate: Path, stop: Path, manifests: _Manifests
) -> tuple[Path, Mapping[str, Any]] | None:
    """The root of the workspace ``crate`` belongs to, and its ``[workspace]`` table."""
    explicit = _table(manifests(crate), "package").get("workspace")
    if isinstance(explicit, str):
        candidates = [Path(os.path.normpath(crate / explicit))]
    else:
        candidates = [crate, *(p for p in crate.parents if p == stop or stop in p.parents)]
    for directory in candidates:
        manifest = manifests(directory)
        if "workspace" not in manifest:
            continue
        workspace = _table(manifest, "workspace")
        if directory == crate:
            return directory, workspace
        members = _members(directory, workspace, "members")
        if crate in members and crate not in _members(directory, workspace, "exclude"):
            return directory, workspace
        return None  # the nearest workspace does not list it: a crate of its own
    return None


def _path_dependencies(
    crate: Path, manifest: Mapping[str, Any], shared: Mapping[str, Any], shared_root: Path
) -> Iterator[Path]:
    """The directories of the crates ``manifest`` depends on by path."""
    tables: list[Mapping[str, Any]] = [_table(manifest, name) for name in _DEPENDENCY_TABLES]
    for platform in _table(manifest, "target").values():
        if isinstance(platform, Mapping):
            tables += [_table(platform, name) for name in _DEPENDENCY_TABLES]
    for table in tables:
        for name, spec in table.items():
            if not isinstance(spec, Mapping):
                continue
            if isinstance(spec.get("path"), str):
                yield Path(os.path.normpath(crate / spec["path"]))
            elif spec.get("workspace") is True:
                inherited = shared.get(name)
                if isinstance(inherited, Mapping) and isinstance(inherited.get("path"), str):
                    yield Path(os.path.normpath(shared_root / inherited["path"]))


def build_inputs(crate: Path, stop: Path, problems: list[Problem]) -> BuildInputs:
    """What the crate in ``crate`` builds from besides its own directory, within ``stop``
    (the repository): the workspace's files and the path dependencies, followed through."""
    manifests = _Manifests(problems)
    crate = Path(os.path.normpath(crate))
    found = _workspace_of(crate, stop, manifests)
    files: set[Path] = set()
    shared: Mapping[str, Any] = {}
    root = crate
    pending = [crate]
    if found is not None:
        root, workspace = found
        shared = _table(workspace, "dependencies")
        files = {root / name for name in WORKSPACE_FILES}
        pending += [
            Path(os.path.normpath(root / spec["path"]))
            for registry in _table(manifests(root), "patch").values()
            if isinstance(registry, Mapping)
            for spec in registry.values()
            if isinstance(spec, Mapping) and isinstance(spec.get("path"), str)
        ]
    seen: set[Path] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for dependency in _path_dependencies(current, manifests(current), shared, root):
            if dependency == stop or stop in dependency.parents:
                pending.append(dependency)
    return BuildInputs(frozenset(seen - {crate}), frozenset(files))
