"""One version: the tag, __version__ (wheel, sdist, --version) and the image label agree."""

from __future__ import annotations

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


def test_the_dockerfile_labels_the_image_with_the_package_version():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    assert f"ARG PMCP_VERSION={__version__}" in lines
    assert '      org.opencontainers.image.version="${PMCP_VERSION}" \\' in lines


def test_the_release_tag_of_this_version_passes():
    completed = _run(f"v{__version__}")
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, f"{__version__}\n", "")


@pytest.mark.parametrize("tag", ["v99.0.0", "1.2.3", "v1.2", "v01.2.3", "main"])
def test_any_other_tag_is_refused(tag):
    completed = _run(tag)
    assert completed.returncode == 1 and completed.stdout == ""
    if tag == "v99.0.0":
        assert "the tag says 99.0.0, pmcp_action/__init__.py __version__ says" in completed.stderr
        assert "Dockerfile ARG PMCP_VERSION says" in completed.stderr
    else:
        assert "is not a release tag" in completed.stderr
