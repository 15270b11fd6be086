"""The npm peers as a test needs them: skipped on a developer machine without node/npm,
a failure under CI (they must never vanish there)."""

from __future__ import annotations

import pytest

from tests.fakes.npm_tools import NpmTools, NpmToolsUnavailable, npm_tools
from tests.support.machine import IN_CI

__all__ = ["require_npm_tools"]


def require_npm_tools() -> NpmTools:
    """wrangler, workerd and server-everything (pinned by scripts/lib/npm-tools.sh)."""
    try:
        return npm_tools()
    except NpmToolsUnavailable as exc:
        if IN_CI:
            pytest.fail(f"CI is set but the npm peers are unavailable: {exc}", pytrace=False)
        pytest.skip(f"the npm peers are unavailable: {exc}")
