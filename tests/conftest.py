"""Shared fixtures: a clean environment for every test, and CI files in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Variables that leak in from a CI job or a developer shell and change behaviour.
_LEAKY_PREFIXES = (
    "INPUT_",
    "GITHUB_",
    "RUNNER_",
    "ACTIONS_",
    "GITLAB_",
    "CI_",
    "AWS_",
    "PMCP_",
    "GOOGLE_",
    "AZURE_",
    "CLOUDFLARE_",
    "CLOUD_RUN_",
)
_LEAKY_NAMES = ("CI", "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "HTTP_PROXY", "HTTPS_PROXY")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts without CI, cloud or pmcp variables from the outside."""
    for key in list(os.environ):
        if (
            key.startswith(_LEAKY_PREFIXES)
            or key in _LEAKY_NAMES
            or key.lower()
            in (
                "http_proxy",
                "https_proxy",
                "all_proxy",
            )
        ):
            monkeypatch.delenv(key, raising=False)
    yield


@pytest.fixture
def gha_files(tmp_path: Path) -> dict[str, Path]:
    """GitHub Actions file-command targets inside tmp_path."""
    files = {
        "GITHUB_OUTPUT": tmp_path / "github_output",
        "GITHUB_STEP_SUMMARY": tmp_path / "step_summary.md",
        "GITHUB_ENV": tmp_path / "github_env",
    }
    for path in files.values():
        path.write_text("")
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    files["RUNNER_TEMP"] = runner_temp
    return files
