"""The ``servers`` command: the repository's servers (or the changed ones) as a matrix.

It needs no target and no credentials: it reads ``.pmcp/deploy.toml`` files, Cargo
manifests and, with ``changed-since``, the git history, and touches nothing.
"""

from __future__ import annotations

from ..ci.base import Platform
from ..errors import Problem, ValidationError
from ..settings.core_settings import Settings
from .changes import NO_COMMIT, changed_servers
from .discovery import find_servers
from .matrix import MatrixEntry

__all__ = ["list_servers"]


def list_servers(
    settings: Settings, platform: Platform, known_targets: tuple[str, ...]
) -> tuple[MatrixEntry, ...]:
    """The matrix entries of the servers under the working directory (the changed ones when
    ``changed-since`` is given), in directory order."""
    root = settings.working_directory.resolve()
    if not root.is_dir():
        raise ValidationError(
            [
                Problem(
                    settings.sources.get("working-directory", "input 'working-directory'"),
                    f"{settings.working_directory} is not a directory",
                    "point it at the repository (or the folder holding its servers)",
                )
            ]
        )
    servers = find_servers(
        root,
        shown_root=settings.working_directory,
        target=settings.target,
        target_source=settings.sources.get("target", ""),
        known_targets=known_targets,
    )
    if not servers:
        raise ValidationError(
            [
                Problem(
                    settings.sources.get("working-directory", "input 'working-directory'"),
                    f"no directory under {root} holds a .pmcp/deploy.toml",
                    "point working-directory at the repository holding the servers; each "
                    "server needs its .pmcp/deploy.toml (cargo pmcp deploy init writes one)",
                )
            ]
        )
    names = ", ".join(f"{s.name} ({s.working_directory}, {s.target})" for s in servers)
    platform.info(f"{len(servers)} server(s): {names}.")
    revision = settings.changed_since
    if revision:
        where = settings.sources.get("changed-since", "input 'changed-since'")
        if revision == NO_COMMIT:
            platform.info(
                f"{where} is the all-zero commit (a branch's first push): every server counts "
                "as changed."
            )
        servers = changed_servers(servers, root, revision, where)
        listed = ", ".join(s.name for s in servers) or "none"
        platform.info(f"Changed since {revision}: {listed}.")
    return tuple(
        MatrixEntry(server=s.name, target=s.target, working_directory=s.working_directory)
        for s in servers
    )
