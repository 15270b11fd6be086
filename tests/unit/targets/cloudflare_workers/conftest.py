"""Fixtures for the cloudflare-workers tests: the npm peers (wrangler, workerd) and the fake.

Tests that need node, wrangler or workerd skip on a developer machine without them and FAIL
under CI (``CI`` set), as the container tests do for Docker: they must never vanish in CI.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.cloudflare_workers import FakeCloudflare
from tests.fakes.npm_tools import NpmTools
from tests.fakes.server import serve
from tests.support.npm import require_npm_tools


@pytest.fixture(scope="session")
def npm() -> NpmTools:
    """wrangler and workerd from npm (pinned by scripts/lib/npm-tools.sh)."""
    return require_npm_tools()


@pytest.fixture
def fake() -> Iterator[FakeCloudflare]:
    """The fake without a runtime (for tests that do not call the worker)."""
    made = FakeCloudflare()
    yield made
    made.close()


@pytest.fixture
def live_fake(npm: NpmTools) -> Iterator[tuple[FakeCloudflare, str]]:
    """The fake on 127.0.0.1 with workerd serving its workers.dev zone; yields (fake, url)."""
    made = FakeCloudflare(workerd=npm.workerd)
    with serve(made) as url:
        yield made, str(url)
    made.close()
