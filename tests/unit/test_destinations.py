"""The destinations of a run: what the check accepts, every writer can write (one rule)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pmcp_action.ci import GitHubActions, GitLabCi
from pmcp_action.ci.base import Platform
from pmcp_action.destinations import destination_problems
from pmcp_action.report import write_report


def _github(tmp_path: Path) -> Platform:
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "new" / "out" / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "new" / "summary" / "step_summary.md"),
    }
    return GitHubActions(environ=environ, log_stream=io.StringIO())


def _gitlab(tmp_path: Path) -> Platform:
    dotenv = tmp_path / "new" / "reports" / "deploy.env"
    return GitLabCi(
        environ={"GITLAB_CI": "true"}, dotenv_path=str(dotenv), log_stream=io.StringIO()
    )


@pytest.mark.parametrize("platform_of", [_github, _gitlab], ids=["github", "gitlab"])
def test_a_file_in_a_directory_still_to_be_made_passes_the_check_and_is_written(
    platform_of, tmp_path: Path
) -> None:
    platform = platform_of(tmp_path)
    report = tmp_path / "new" / "report" / "deploy.json"
    destinations = [path for path, _what, _fix in platform.destinations()]
    assert destinations and not any(path.parent.exists() for path in destinations)

    assert destination_problems(platform, (report, str(report))) == []
    platform.write_outputs({"url": "https://x.example/mcp"})
    platform.write_summary("## Deployed\n")
    write_report(report, {"status": "success"}, lambda text: text)

    for path in destinations:
        assert path.is_file() and path.read_text()
    assert json.loads(report.read_text()) == {"status": "success"}


@pytest.mark.parametrize("platform_of", [_github, _gitlab], ids=["github", "gitlab"])
def test_a_directory_that_cannot_be_made_fails_the_check(platform_of, tmp_path: Path) -> None:
    (tmp_path / "new").write_text("")  # a file where the directories would go
    platform = platform_of(tmp_path)

    problems = destination_problems(platform, None)

    assert [p.what for p in problems] == [
        f"{tmp_path / 'new'}, a parent of {path}, is not a directory"
        for path, _what, _fix in platform.destinations()
    ]
