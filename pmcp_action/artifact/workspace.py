"""Where a symlink in the project may lead: the workspace, the runner's temp directory,
the system temp directory.

A checkout decides what its symlinks point at. A link inside the project (or
the workspace) that resolves anywhere else — ``bootstrap -> ~/.aws/credentials``
— would make the action read, and upload, a file from elsewhere on the runner;
:func:`check_links` refuses it, naming the link and where it points. A path
the workflow itself writes outside the project (an absolute ``artifact``, or
``../dist/bootstrap``) is the workflow's choice and is not a link of the
project's, so it is taken as given.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .common import display, inside

__all__ = ["Bounds", "check_links"]

#: The CI variables naming the checkout, in the order they are looked up.
_WORKSPACE_VARIABLES = ("GITHUB_WORKSPACE", "CI_PROJECT_DIR")


@dataclass(frozen=True)
class Bounds:
    """The directories a link in the project may resolve into."""

    project_root: Path
    #: ``GITHUB_WORKSPACE`` / ``CI_PROJECT_DIR`` when set, else the project root.
    workspace: Path
    #: ``RUNNER_TEMP`` when set.
    runner_temp: Path | None
    #: The system temp directory (:func:`tempfile.gettempdir`).
    system_temp: Path

    @classmethod
    def of(cls, project_root: Path, environ: Mapping[str, str]) -> Bounds:
        workspace = next((environ[v] for v in _WORKSPACE_VARIABLES if environ.get(v)), "")
        runner_temp = environ.get("RUNNER_TEMP", "")
        return cls(
            project_root=project_root,
            workspace=Path(workspace) if workspace else project_root,
            runner_temp=Path(runner_temp) if runner_temp else None,
            system_temp=Path(tempfile.gettempdir()),
        )

    def allows(self, real: str) -> bool:
        """Whether the resolved path ``real`` lies in one of the allowed directories."""
        allowed = [self.workspace, self.system_temp]
        if self.runner_temp is not None:
            allowed.append(self.runner_temp)
        return any(inside(real, os.path.realpath(d)) for d in allowed)

    def in_scope(self, real: str) -> bool:
        """Whether ``real`` (a link's resolved directory) is in the project or the workspace."""
        return any(inside(real, os.path.realpath(d)) for d in (self.project_root, self.workspace))

    def text(self) -> str:
        parts = [f"the workspace ({self.workspace})"]
        if self.runner_temp is not None:
            parts.append(f"RUNNER_TEMP ({self.runner_temp})")
        parts.append(f"the system temp directory ({self.system_temp})")
        return ", ".join(parts[:-1]) + " and " + parts[-1]


def check_links(path: Path, label: str, bounds: Bounds) -> None:
    """Refuse ``path`` when it resolves outside ``bounds`` through a link of the project's.

    The path is walked as the system walks it; the first symlink that sits in
    the project or the workspace and resolves outside the allowed directories
    is named in the error with what it points to.
    """
    absolute = path if path.is_absolute() else Path.cwd() / path
    if bounds.allows(os.path.realpath(absolute)):
        return
    for link in _links(absolute):
        if not bounds.in_scope(os.path.realpath(link.parent)):
            continue
        resolved = os.path.realpath(link)
        if bounds.allows(resolved):
            continue
        target = os.readlink(link)
        where = target
        if os.path.normpath(os.path.join(link.parent, target)) != resolved:
            where += f" (resolved: {resolved})"
        if link == absolute:
            what = f"{label} is a symlink to {where}"
        else:
            shown = display(link, bounds.project_root)
            what = f"{label} leads through the symlink {shown}, which points to {where}"
        raise ConfigError(
            f"{what}, outside {bounds.text()}; it was not read.",
            remediation=(
                "Copy the file into the workspace (or build it there) instead of linking to it. "
                "Links out of the workspace are refused so that a checkout cannot make the "
                "action read and upload files from elsewhere on the runner."
            ),
        )


def _links(path: Path) -> Iterator[Path]:
    """Each prefix of the absolute ``path`` (not normalised: ``..`` stays) that is a symlink."""
    current = Path(path.anchor)
    for part in path.parts[1:]:
        current = current / part
        if os.path.islink(current):
            yield current
