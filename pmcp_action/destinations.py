"""Where a run writes its results, and whether it can, checked before anything changes.

A deploy whose outputs, summary or report cannot be written would change the
cloud and then fail with "Reporting failed", leaving later steps without the
URL or the version. So every destination is checked while the inputs are
validated, before any network call: a file must be a regular file this process
may write, or a new file in a directory it may create or write. The writers keep the
same rule through :func:`prepared`, which creates the directories the check accepted
as creatable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problem
from .runner_paths import CONTAINER_HOME, CONTAINER_WORKSPACE

if TYPE_CHECKING:
    from .ci.base import Platform
    from .settings.core_settings import Settings

__all__ = [
    "REPORT_NAME",
    "destination_problems",
    "display_path",
    "file_problem",
    "prepared",
    "report_location",
]

REPORT_NAME = "pmcp-deploy-report.json"


def _requested(settings: Settings | None, given: Mapping[str, object]) -> Path | None:
    """The report-path input (with the settings, or as given when they are invalid)."""
    if settings is not None:
        if settings.report_path is None:
            return None
        path, base = settings.report_path, settings.working_directory
    else:
        text = given.get("report-path")
        if not isinstance(text, str) or not text.strip():
            return None
        path = Path(text.strip())
        base = Path(str(given.get("working-directory") or ".").strip())
    return path if path.is_absolute() else base / path


def report_location(
    settings: Settings | None,
    given: Mapping[str, object],
    platform: Platform,
    environ: Mapping[str, str],
) -> tuple[Path, str] | None:
    """Where to write the report and the path to announce; None outside CI unless asked."""
    requested = _requested(settings, given)
    if requested is not None:
        return requested, display_path(requested, environ)
    if not platform.ci:
        return None
    runner_temp = environ.get("RUNNER_TEMP", "")
    in_action_container = (
        platform.name == "github-actions" and environ.get("GITHUB_WORKSPACE") == CONTAINER_WORKSPACE
    )
    if in_action_container and runner_temp and Path(CONTAINER_HOME).is_dir():
        # Outside the workspace (no root-owned file in the checkout), yet visible to
        # later steps on the host as RUNNER_TEMP/_github_home.
        return Path(CONTAINER_HOME) / REPORT_NAME, f"{runner_temp}/_github_home/{REPORT_NAME}"
    directory = None if in_action_container else platform.default_report_dir
    if directory and Path(directory).is_dir():
        path = Path(directory) / REPORT_NAME
    else:
        path = (settings.working_directory if settings is not None else Path(".")) / REPORT_NAME
    return path, display_path(path, environ)


def display_path(path: Path, environ: Mapping[str, str]) -> str:
    """A path later steps can use: relative to the workspace when inside it."""
    workspace = environ.get("GITHUB_WORKSPACE") or environ.get("CI_PROJECT_DIR")
    resolved = path.resolve()
    if workspace:
        try:
            return str(resolved.relative_to(Path(workspace).resolve()))
        except ValueError:
            pass
    return str(resolved)


def prepared(path: Path) -> Path:
    """``path``, ready to be written: its missing directories made, as :func:`file_problem`
    promises (every writer of a destination opens it through this)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def file_problem(path: Path, what: str, fix: str) -> Problem | None:
    """Why ``path`` cannot be written (created or appended to, its missing directories
    made by :func:`prepared`), or None when it can."""
    if path.is_dir():
        return Problem(what, f"{path} is a directory, not a file", fix)
    if path.exists() or path.is_symlink():
        if not path.is_file():
            return Problem(what, f"{path} is not a regular file", fix)
        if not os.access(path, os.W_OK):
            return Problem(what, f"{path} is not writable by this process", fix)
        return None
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return Problem(what, f"{ancestor}, a parent of {path}, is not a directory", fix)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return Problem(what, f"{path} cannot be created: {ancestor} is not writable", fix)
    return None


def destination_problems(platform: Platform, report: tuple[Path, str] | None) -> list[Problem]:
    """Every destination of this run that could not be written, each with a fix."""
    problems: list[Problem] = []
    for path, what, fix in platform.destinations():
        problem = file_problem(path, what, fix)
        if problem is not None:
            problems.append(problem)
    if report is not None:
        problem = file_problem(
            report[0],
            "input 'report-path'",
            "point report-path at a file in a writable directory (or leave it empty)",
        )
        if problem is not None:
            problems.append(problem)
    return problems
