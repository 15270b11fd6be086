"""The ``project`` fixture: a project root in tmp_path (see helpers.Project)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.unit.artifact.helpers import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temp directory, moved into tmp_path: the rest of tmp_path is outside it
    (tmp_path itself is under the real one, where links may lead)."""
    path = tmp_path / "system-temp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path
