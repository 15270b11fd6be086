"""A file an earlier step named, as the GitHub Docker action's container sees it.

Steps on the runner name files by their path there: google-github-actions/auth sets
``GOOGLE_APPLICATION_CREDENTIALS`` to a file it wrote in the workspace, a step may set
``AWS_WEB_IDENTITY_TOKEN_FILE`` or ``AWS_SHARED_CREDENTIALS_FILE``. The runner starts a
Docker action with those variables as they are, but with its directories mounted elsewhere:

- the workspace at ``/github/workspace`` (which ``GITHUB_WORKSPACE`` names in there);
- ``RUNNER_TEMP/_github_home`` at ``/github/home`` (``HOME``), ``RUNNER_TEMP/_github_workflow``
  at ``/github/workflow``, ``RUNNER_TEMP/_runner_file_commands`` at ``/github/file_commands``;
- nothing else: ``RUNNER_TEMP`` itself is passed as the runner's path, and not mounted.

The container does not say where the workspace is on the runner, so ``action.yml`` passes it
as :data:`HOST_WORKSPACE_VARIABLE`. :func:`container_path` maps a path under one of those
directories to its mount; a path elsewhere in ``RUNNER_TEMP`` cannot be read in here.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from .errors import Problem

__all__ = [
    "CONTAINER_HOME",
    "CONTAINER_WORKSPACE",
    "HOST_WORKSPACE_VARIABLE",
    "container_path",
    "in_action_container",
    "unseen_problem",
]

#: Where the runner mounts the workspace in a Docker action's container.
CONTAINER_WORKSPACE = "/github/workspace"
#: Where it mounts RUNNER_TEMP/_github_home (the container's HOME).
CONTAINER_HOME = "/github/home"
#: The workspace's path on the runner, set by action.yml for the container step.
HOST_WORKSPACE_VARIABLE = "PMCP_HOST_WORKSPACE"
#: The directories of RUNNER_TEMP the runner mounts, and where.
_TEMP_MOUNTS = (
    ("_github_home", CONTAINER_HOME),
    ("_github_workflow", "/github/workflow"),
    ("_runner_file_commands", "/github/file_commands"),
)


def in_action_container(environ: Mapping[str, str]) -> bool:
    """Whether this process is the GitHub Docker action's container."""
    return (
        environ.get("GITHUB_ACTIONS", "") == "true"
        and environ.get("GITHUB_WORKSPACE", "") == CONTAINER_WORKSPACE
    )


def _under(path: str, directory: str) -> str | None:
    """``path`` relative to ``directory`` ("" for itself), or None when outside it."""
    directory = posixpath.normpath(directory)
    if path == directory:
        return ""
    prefix = directory.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def container_path(path: str, environ: Mapping[str, str]) -> str | None:
    """Where this process finds the file a step on the runner named ``path``.

    Outside the action's container, and for a relative path or one under no mounted
    directory, that is ``path``; in a mounted directory, its mount; elsewhere in
    RUNNER_TEMP, None: the container cannot see it.
    """
    if not path or not posixpath.isabs(path) or not in_action_container(environ):
        return path
    normal = posixpath.normpath(path)
    temp = environ.get("RUNNER_TEMP", "").strip()
    mounts = [(posixpath.join(temp, sub), inside) for sub, inside in _TEMP_MOUNTS] if temp else []
    workspace = environ.get(HOST_WORKSPACE_VARIABLE, "").strip()
    if workspace and posixpath.isabs(workspace):
        mounts.append((workspace, CONTAINER_WORKSPACE))
    for host, inside in sorted(mounts, key=lambda mount: len(mount[0]), reverse=True):
        rest = _under(normal, host)
        if rest is not None:
            return posixpath.join(inside, rest) if rest else inside
    if temp and _under(normal, temp) is not None:
        return None
    return path


def unseen_problem(variable: str, path: str, environ: Mapping[str, str], fix: str) -> Problem:
    """The problem of a file the container cannot see (:func:`container_path` gave None)."""
    temp = environ.get("RUNNER_TEMP", "").strip()
    return Problem(
        f"environment variable {variable}",
        f"{path[:200]} is in RUNNER_TEMP ({temp}), which the action's container does not "
        "see: it sees the workspace and RUNNER_TEMP/_github_home",
        fix,
    )
