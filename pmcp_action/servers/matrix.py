"""The servers as a CI matrix: one JSON object for GitHub and GitLab alike.

``{"include": [{"server": ..., "target": ..., "working_directory": ...}, ...]}`` is what
GitHub's ``strategy.matrix`` takes (``fromJSON`` of the ``matrix`` output): one job per
entry, each entry's keys as ``matrix.<key>``. The ``include`` list is what GitLab's
``parallel:matrix`` takes in a generated child pipeline: each entry one job, its keys the
job's variables (names of letters, digits and ``_``, as GitLab requires). Each value is a
string, as both require.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MatrixEntry", "render_matrix"]


@dataclass(frozen=True)
class MatrixEntry:
    """One server, as one job of the matrix receives it."""

    server: str
    target: str
    working_directory: str


def render_matrix(entries: Sequence[MatrixEntry]) -> str:
    """The matrix as one line of JSON (the ``matrix`` output, and what the CLI prints)."""
    include = [
        {
            "server": entry.server,
            "target": entry.target,
            "working_directory": entry.working_directory,
        }
        for entry in entries
    ]
    return json.dumps({"include": include}, separators=(",", ":"))
