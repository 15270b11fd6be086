"""One version: written in pmcp_action/__init__.py; the tag, the CHANGELOG section, the wheel,
sdist, --version and the image label follow it (scripts/release-version)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pmcp_action import __version__

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "release-version"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


def _tree(tmp_path: Path, heading: str) -> Path:
    """A copy of the two files the script reads, with CHANGELOG's section heading given."""
    (tmp_path / "pmcp_action").mkdir()
    shutil.copy(ROOT / "pmcp_action" / "__init__.py", tmp_path / "pmcp_action" / "__init__.py")
    text = (ROOT / "CHANGELOG.md").read_text()
    text = re.sub(rf"^## {re.escape(__version__)}\b.*$", heading, text, count=1, flags=re.M)
    (tmp_path / "CHANGELOG.md").write_text(text)
    return tmp_path


def test_the_version_is_written_once_and_the_image_label_follows_it():
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    assert "ARG PMCP_VERSION=dev" in lines  # no second copy of the number
    assert '      org.opencontainers.image.version="${PMCP_VERSION}" \\' in lines
    assert _run("--current").stdout == f"{__version__}\n"
    build_image = (ROOT / "scripts" / "build-image").read_text()
    assert '--build-arg "PMCP_VERSION=$version"' in build_image
    assert 'release-version" --current' in build_image


def test_a_dated_section_releases_the_version(tmp_path: Path):
    root = _tree(tmp_path, f"## {__version__} (2026-12-07)")
    completed = _run("--root", str(root), f"v{__version__}")
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, f"{__version__}\n", "")


@pytest.mark.parametrize(
    ("heading", "problem"),
    [
        (f"## {__version__} (unreleased)", "is not dated"),
        ("## 0.0.1 (2020-01-01)", f"has no section '## {__version__} (YYYY-MM-DD)'"),
    ],
)
def test_an_undated_or_missing_section_is_refused(tmp_path: Path, heading: str, problem: str):
    completed = _run("--root", str(_tree(tmp_path, heading)), f"v{__version__}")
    assert completed.returncode == 1 and completed.stdout == ""
    assert problem in completed.stderr


@pytest.mark.parametrize("tag", ["v99.0.0", "1.2.3", "v1.2", "v01.2.3", "main"])
def test_any_other_tag_is_refused(tag):
    completed = _run(tag)
    assert completed.returncode == 1 and completed.stdout == ""
    if tag == "v99.0.0":
        assert "the tag says 99.0.0, pmcp_action/__init__.py __version__ says" in completed.stderr
    else:
        assert "is not a release tag" in completed.stderr
