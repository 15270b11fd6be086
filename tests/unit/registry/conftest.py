"""Fixtures for the registry tests: a GitHub Actions run with the fakes it publishes through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.oidc_issuer import DEFAULT_REQUEST_TOKEN
from tests.fakes.pmcp_run import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.fakes.server import serve
from tests.unit.targets.pmcp_run.helpers import write_project

from .helpers import API, CARGO_TOML, OWNER, REGISTRY, SERVER_SECRET, Registry


@pytest.fixture
def registry_world(
    tmp_path: Path, gha_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Registry]:
    project = tmp_path / "project"
    write_project(project, extra_files={"Cargo.toml": CARGO_TOML})
    world = Registry(project=project, gha_files=gha_files, env={})
    with serve(world.issuer) as issuer_url:
        github = {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{issuer_url}/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DEFAULT_REQUEST_TOKEN,
        }
        for name, value in github.items():  # the `id` library reads the process environment
            monkeypatch.setenv(name, value)
        world.env = (
            {k: str(v) for k, v in gha_files.items()}
            | github
            | {
                "GITHUB_REPOSITORY_OWNER": OWNER,
                # deploy.toml's [secrets] requires API_KEY: the run's variable of that name.
                "API_KEY": SERVER_SECRET,
                "GITHUB_REF_TYPE": "branch",
                "GITHUB_REF_NAME": "main",
                "INPUT_TARGET": "pmcp-run",
                "INPUT_WORKING-DIRECTORY": str(project),
                "INPUT_ARTIFACT": str(project / "build" / "bootstrap"),
                "INPUT_PMCP-API-URL": API,
                "INPUT_PMCP-CLIENT-ID": DEFAULT_CLIENT_ID,
                "INPUT_PMCP-CLIENT-SECRET": DEFAULT_CLIENT_SECRET,
                "INPUT_VERIFY-TIMEOUT-SECONDS": "1",
                "INPUT_PUBLISH-REGISTRY": "true",
                "INPUT_REGISTRY-URL": REGISTRY,
            }
        )
        yield world
