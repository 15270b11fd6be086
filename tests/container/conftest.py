"""Fixtures for the container tests: the image, built once per session, and a GitHub-like run.

Without a Docker engine these tests skip on a developer machine and FAIL under CI (``CI`` set),
so a CI run can never pass by silently not testing the image.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.container.helpers import RunActionContainer, docker, run_container
from tests.support.github import ContainerRun
from tests.support.machine import docker_problem, unavailable
from tests.support.repository import REPO_ROOT, dockerfile_base_image, run_script

#: Set to use an image built elsewhere instead of building one (e.g. in CI after build-image).
IMAGE_ENV = "PMCP_TEST_IMAGE"
#: Read during collection, before the autouse fixture scrubs the environment.
_PREBUILT_IMAGE = os.environ.get(IMAGE_ENV, "")


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """A Docker engine that answers (skip locally / fail under CI otherwise)."""
    problem = docker_problem()
    if problem is not None:
        unavailable(problem)


@pytest.fixture(scope="session")
def action_image(docker_engine: None) -> str:
    """The action image, built once per session with scripts/build-image.

    The tag is unique to this checkout, so sessions in other checkouts sharing the engine do not
    swap images under each other.
    """
    if _PREBUILT_IMAGE:
        docker("image", "inspect", _PREBUILT_IMAGE, timeout=60)
        return _PREBUILT_IMAGE
    checkout = hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:10]
    tag = f"pmcp-deploy-action:pytest-{checkout}"
    run_script("build-image", env={**os.environ, "IMAGE": tag})
    return tag


@pytest.fixture(scope="session")
def base_image(docker_engine: None) -> str:
    """The FROM image of the final stage (python:3.12-slim, or its local stand-in)."""
    return dockerfile_base_image()


@pytest.fixture
def run_action_container(action_image: str, tmp_path: Path) -> RunActionContainer:
    """Run the action image like a GitHub Docker action step.

    ``run_action_container(inputs={...}, env={...}, workspace=path, args=[...],
    entrypoint=None, timeout=180) -> ContainerRun`` with exit_code, stdout, stderr, outputs
    (parsed from GITHUB_OUTPUT, heredoc form included), summary, errors/annotations(), report().
    Each call gets its own directory under tmp_path.
    """
    counter = iter(range(1_000_000))

    def run(
        inputs: Mapping[str, str] | None = None,
        env: Mapping[str, str | None] | None = None,
        workspace: Path | None = None,
        args: Sequence[str] = (),
        entrypoint: str | None = None,
        timeout: float = 180,
    ) -> ContainerRun:
        base = tmp_path / f"run{next(counter)}"
        base.mkdir()
        return run_container(
            action_image,
            base,
            inputs=inputs,
            env=env,
            workspace=workspace,
            args=args,
            entrypoint=entrypoint,
            timeout=timeout,
        )

    return run
