"""Fixtures of the verify tests: the HTTP factory, and the SDK's servers on loopback.

Everything listens on 127.0.0.1. The SDK's servers serve both protocol eras at one
endpoint, so the verifier speaks 2026-07-28 to them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pmcp_action.http import HttpClientFactory
from tests.fakes.mcp_servers import (
    RunningServer,
    serve_mcp,
)

from .helpers import TOKEN


def _never_sleep(seconds: float) -> None:
    raise AssertionError(f"the HTTP factory's own retry slept {seconds} s")


@pytest.fixture
def http() -> HttpClientFactory:
    # The factory's own retry policy (5 attempts) must not be used by verify.
    return HttpClientFactory(sleep=_never_sleep)


@pytest.fixture(scope="module")
def sse_server() -> Iterator[RunningServer]:
    with serve_mcp() as server:
        yield server


@pytest.fixture(scope="module")
def json_server() -> Iterator[RunningServer]:
    with serve_mcp(json_response=True) as server:
        yield server


@pytest.fixture(scope="module")
def protected_server() -> Iterator[RunningServer]:
    with serve_mcp(token=TOKEN, json_response=True) as server:
        yield server
