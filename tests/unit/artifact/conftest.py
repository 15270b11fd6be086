"""The ``project`` fixture: a project root in tmp_path (see helpers.Project)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.artifact.helpers import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)
