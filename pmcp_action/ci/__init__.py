"""Detect where the program runs and build the matching adapter."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TextIO

from ..redact import Redactor
from .base import Platform
from .github import GitHubActions
from .gitlab import GitLabCi

__all__ = ["GitHubActions", "GitLabCi", "Platform", "detect_platform"]


def detect_platform(
    environ: Mapping[str, str],
    *,
    redactor: Redactor | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> Platform:
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    if environ.get("GITHUB_ACTIONS") == "true":
        # Workflow commands are read from stdout; keep logs in order with them.
        return GitHubActions(environ=environ, redactor=redactor, log_stream=out, result_stream=out)
    if environ.get("GITLAB_CI") == "true":
        return GitLabCi(environ=environ, redactor=redactor, log_stream=err, result_stream=out)
    return Platform(environ=environ, redactor=redactor, log_stream=err, result_stream=out)
