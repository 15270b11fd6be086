"""A path a step on the runner named, as the GitHub Docker action's container sees it."""

from __future__ import annotations

import pytest

from pmcp_action.runner_paths import (
    HOST_WORKSPACE_VARIABLE,
    container_path,
    in_action_container,
    unseen_problem,
)
from pmcp_action.settings.catalogue import catalogue

#: What the runner gives the action's container (RUNNER_TEMP as the runner's path), and what
#: action.yml adds: the workspace's path on the runner.
CONTAINER = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_WORKSPACE": "/github/workspace",
    "RUNNER_TEMP": "/home/runner/work/_temp",
    HOST_WORKSPACE_VARIABLE: "/home/runner/work/calc/calc",
}


@pytest.mark.parametrize(
    ("named", "seen"),
    [
        # google-github-actions/auth's credentials file, in the workspace.
        (
            "/home/runner/work/calc/calc/gha-creds-0123.json",
            "/github/workspace/gha-creds-0123.json",
        ),
        ("/home/runner/work/calc/calc", "/github/workspace"),
        ("/home/runner/work/calc/calc/./deploy/../k.json", "/github/workspace/k.json"),
        # The parts of RUNNER_TEMP the runner mounts.
        ("/home/runner/work/_temp/_github_home/.aws/credentials", "/github/home/.aws/credentials"),
        ("/home/runner/work/_temp/_github_workflow/event.json", "/github/workflow/event.json"),
        ("/home/runner/work/_temp/_runner_file_commands/x", "/github/file_commands/x"),
        # Elsewhere in RUNNER_TEMP: not mounted.
        ("/home/runner/work/_temp/token", None),
        ("/home/runner/work/_temp", None),
        # A sibling whose name only begins like the workspace's is not in it.
        ("/home/runner/work/calc/calc-other/k.json", "/home/runner/work/calc/calc-other/k.json"),
        # Anywhere else (a path of the image, one already in the container's terms), relative.
        ("/etc/aws/credentials", "/etc/aws/credentials"),
        ("/github/workspace/k.json", "/github/workspace/k.json"),
        ("creds/k.json", "creds/k.json"),
        ("", ""),
    ],
)
def test_a_path_on_the_runner_maps_to_its_mount(named: str, seen: str | None) -> None:
    assert container_path(named, CONTAINER) == seen


def test_outside_the_action_container_a_path_is_what_it_says():
    on_the_runner = {**CONTAINER, "GITHUB_WORKSPACE": "/home/runner/work/calc/calc"}
    assert not in_action_container(on_the_runner) and in_action_container(CONTAINER)
    for named in ("/home/runner/work/calc/calc/k.json", "/home/runner/work/_temp/token"):
        assert container_path(named, on_the_runner) == named
        assert container_path(named, {}) == named


def test_without_the_host_workspace_only_runner_temp_is_mapped():
    environ = {k: v for k, v in CONTAINER.items() if k != HOST_WORKSPACE_VARIABLE}
    named = "/home/runner/work/calc/calc/gha-creds-0123.json"
    assert container_path(named, environ) == named
    assert container_path("/home/runner/work/_temp/_github_home/k", environ) == "/github/home/k"


def test_the_problem_of_an_unseen_file_names_the_variable_and_the_fix():
    problem = unseen_problem(
        "AWS_WEB_IDENTITY_TOKEN_FILE", "/home/runner/work/_temp/t", CONTAINER, "fix"
    )
    assert problem.where == "environment variable AWS_WEB_IDENTITY_TOKEN_FILE"
    assert problem.what == (
        "/home/runner/work/_temp/t is in RUNNER_TEMP (/home/runner/work/_temp), which the "
        "action's container does not see: it sees the workspace and RUNNER_TEMP/_github_home"
    )
    assert problem.fix == "fix"


def test_the_variable_action_yml_sets_is_documented():
    assert HOST_WORKSPACE_VARIABLE in catalogue().variables
