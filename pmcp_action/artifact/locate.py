"""Finding what a kind starts from: the ``artifact`` input, and Cargo's target
directory (``CARGO_TARGET_DIR`` or ``CARGO_BUILD_TARGET_DIR``, else ``[build].target-dir``
of the nearest ``.cargo/config.toml``, else ``target/`` of the Cargo workspace root above
the project, else of the project itself)."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .common import absolute, display
from .files import NEVER_READ, file_kind
from .workspace import Bounds, check_links

__all__ = ["InputPath", "TargetDir", "locate_input", "resolve_target_dir"]

_WORKSPACE_SEARCH_DIRS = 5
_WORKSPACE_HEADER = re.compile(r"^[ \t]*\[workspace(?:\.[A-Za-z0-9_.-]+)?\][ \t]*(?:#.*)?$", re.M)


@dataclass(frozen=True)
class InputPath:
    """The ``artifact`` input, resolved against the project root; it exists."""

    path: Path
    #: As messages show it: relative to the project root when it is inside it.
    shown: str


@dataclass(frozen=True)
class TargetDir:
    path: Path
    reason: str


def locate_input(
    project_root: Path,
    artifact_input: Path,
    *,
    expected: str,
    bounds: Bounds,
    directories: bool = True,
) -> InputPath:
    """Resolve the ``artifact`` input (relative to ``project_root``, or absolute).

    It must be a regular file, or a directory when the kind takes one
    (``directories``); a device, FIFO or socket is refused before it is opened,
    and so is a symlink of the project's that leads outside ``bounds``
    (:func:`~.workspace.check_links`).
    ``expected`` completes "Set `artifact` to …": what the kind accepts, e.g.
    "the binary, a directory containing it, or an archive".
    """
    path = artifact_input if artifact_input.is_absolute() else project_root / artifact_input
    shown = display(path, project_root)
    if not path.exists():
        raise ConfigError(
            f"The `artifact` input points at {shown}, which does not exist (resolved to {path}).",
            remediation=(
                f"Set `artifact` to {expected}, relative to the project root {project_root} or "
                "absolute. Check that the build step before this one wrote it there."
            ),
        )
    check_links(path, f"The `artifact` input {shown}", bounds)
    mode = os.stat(path).st_mode
    if not (stat.S_ISREG(mode) or (directories and stat.S_ISDIR(mode))):
        accepted = "a regular file or a directory" if directories else "a regular file"
        raise ConfigError(
            f"The `artifact` input points at {shown}, which is {file_kind(mode)}, not {accepted}.",
            remediation=f"Set `artifact` to {expected}. {NEVER_READ}",
        )
    return InputPath(path, shown)


def resolve_target_dir(start: Path, environ: Mapping[str, str], project_root: Path) -> TargetDir:
    """Cargo's target directory as cargo-pmcp resolves it, plus ``[build].target-dir``."""
    for variable in ("CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"):
        value = environ.get(variable, "")
        if value:
            return TargetDir(absolute(Path(value), start), variable)
    configured = _configured_target_dir(start)
    if configured is not None:
        return configured
    directory = start
    for _ in range(_WORKSPACE_SEARCH_DIRS):
        manifest = directory / "Cargo.toml"
        if _is_workspace_manifest(manifest):
            shown = display(manifest, project_root)
            return TargetDir(directory / "target", f"the workspace root: {shown} has [workspace]")
        if directory.parent == directory:
            break
        directory = directory.parent
    return TargetDir(start / "target", "the project root: no Cargo workspace above it")


def _configured_target_dir(start: Path) -> TargetDir | None:
    """``[build].target-dir`` from the nearest ``.cargo/config.toml`` at or above ``start``."""
    for directory in (start, *start.parents):
        for name in ("config.toml", "config"):
            config_file = directory / ".cargo" / name
            if not config_file.is_file():
                continue
            try:
                data = tomllib.loads(config_file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            build = data.get("build")
            value = build.get("target-dir") if isinstance(build, dict) else None
            if isinstance(value, str) and value:
                return TargetDir(
                    absolute(Path(value), directory), f"[build].target-dir in {config_file}"
                )
    return None


def _is_workspace_manifest(manifest: Path) -> bool:
    try:
        return bool(_WORKSPACE_HEADER.search(manifest.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return False
