"""Fixtures for the pmcp-run tests: the fake, and a plain client talking to it in process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.pmcp_run import FakePmcpRun

from .helpers import BASE


@pytest.fixture
def fake() -> FakePmcpRun:
    return FakePmcpRun()


@pytest.fixture
def client(fake: FakePmcpRun) -> Iterator[httpx.Client]:
    """A client of the fake itself (not the target's), at :data:`~.helpers.BASE`."""
    with httpx.Client(transport=httpx.MockTransport(fake), base_url=BASE) as made:
        yield made
