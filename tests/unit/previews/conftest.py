from __future__ import annotations

import io

import httpx
import pytest

from pmcp_action.ci.base import Platform
from tests.fakes.github import READ, WRITE, FakeGitHub
from tests.support.context import make_context

#: The tokens the fake knows: one that may write, one a fork's pull request gets.
WRITE_TOKEN = "ghs_writeTOKEN0123456789abcdefghij"
READ_TOKEN = "ghs_readTOKEN0123456789abcdefghijk"
REPOSITORY = "octo/mcp"


@pytest.fixture
def github() -> FakeGitHub:
    fake = FakeGitHub(REPOSITORY, pulls=(7, 8))
    fake.tokens = {WRITE_TOKEN: WRITE, READ_TOKEN: READ}
    return fake


@pytest.fixture
def log() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def context_for(github, tmp_path, log):
    """A run's context whose HTTP goes to the fake; ``token`` masked as a run masks it."""

    def make(token: str = WRITE_TOKEN, **inputs: str):
        console = Platform(environ={}, log_stream=log)
        return make_context(
            target="google-cloud-run",
            root=tmp_path,
            inputs={"github-token": token, **inputs} if token else inputs,
            console=console,
            transport=httpx.MockTransport(github),
        )

    return make
