"""scripts/build-dist: the PyPI wheel and sdist build, install and say their version."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from pmcp_action import __version__
from tests.support.machine import unavailable
from tests.support.repository import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_the_distributions_install_and_run(tmp_path: Path) -> None:
    if not list((REPO_ROOT / "wheelhouse").glob("hatchling-*.whl")):
        unavailable("wheelhouse/ has no build wheels (scripts/prepare-machine fills it)")
    dist = tmp_path / "dist"
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "build-dist"), "--check-version", __version__],
        env={
            "PATH": os.environ["PATH"],
            "PYTHON": sys.executable,
            "PMCP_DIST_DIR": str(dist),
            "SOURCE_DATE_EPOCH": "1700000000",
        },
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    wheel = dist / f"pmcp_deploy_action-{__version__}-py3-none-any.whl"
    sdist = dist / f"pmcp_deploy_action-{__version__}.tar.gz"
    assert done.stdout.strip() == f"{wheel.name} {sdist.name}: pmcp-action {__version__}"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read(
            f"pmcp_deploy_action-{__version__}.dist-info/entry_points.txt"
        ).decode()
    assert "pmcp_action/action_image.py" in names
    assert "pmcp-action = pmcp_action.__main__:main" in entry_points
    with tarfile.open(sdist) as archive:
        # Reproducible: every member dated SOURCE_DATE_EPOCH (and the script checked the wheel
        # built again from the sdist is byte for byte the same).
        assert {m.mtime for m in archive.getmembers()} == {1700000000}
        members = {
            Path(m).relative_to(f"pmcp_deploy_action-{__version__}").as_posix()
            for m in archive.getnames()
            if "/" in m
        }
    assert {"pyproject.toml", "README.md", "pmcp_action/__init__.py"} <= members
    assert not any(m.startswith("tests/") for m in members)
