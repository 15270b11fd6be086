from __future__ import annotations

from pmcp_action.ci import GitHubActions, GitLabCi, Platform, detect_platform


def test_detect_platform():
    assert isinstance(detect_platform({"GITHUB_ACTIONS": "true"}), GitHubActions)
    assert isinstance(detect_platform({"GITLAB_CI": "true"}), GitLabCi)
    platform = detect_platform({})
    assert type(platform) is Platform and platform.name == "local"
