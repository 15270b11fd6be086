"""Running the action image the way GitHub's runner runs a Docker action (container tests only).

Nothing here touches the network beyond the local Docker engine.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tests.support.github import (
    CONTAINER_FILE_COMMANDS,
    CONTAINER_HOME,
    CONTAINER_WORKFLOW,
    CONTAINER_WORKSPACE,
    HOST_RUNNER_TEMP,
    HOST_WORKSPACE,
    ContainerRun,
    parse_github_output,
)


def docker(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI; output captured as text."""
    completed = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited {completed.returncode}:\n{completed.stderr}"
        )
    return completed


def github_like_env(inputs: Mapping[str, str]) -> dict[str, str]:
    """The variables GitHub's runner gives a Docker action (values as inside the container)."""
    env = {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "HOME": CONTAINER_HOME,
        "GITHUB_WORKSPACE": CONTAINER_WORKSPACE,
        "GITHUB_EVENT_PATH": f"{CONTAINER_WORKFLOW}/event.json",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REPOSITORY": "octo/hello-mcp",
        "GITHUB_REPOSITORY_OWNER": "octo",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_SHA": "0" * 40,
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_JOB": "deploy",
        "GITHUB_ACTION": "deploy",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_WORKFLOW": "deploy",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "RUNNER_NAME": "GitHub Actions 1",
        "RUNNER_TEMP": HOST_RUNNER_TEMP,
        "RUNNER_TOOL_CACHE": "/opt/hostedtoolcache",
        # Not the runner's: action.yml's step env for the inner action.
        "PMCP_HOST_WORKSPACE": HOST_WORKSPACE,
    }
    # The runner upper-cases the input name and keeps hyphens: INPUT_SERVER-NAME.
    env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
    return env


def run_container(
    image: str,
    base_dir: Path,
    *,
    inputs: Mapping[str, str] | None = None,
    env: Mapping[str, str | None] | None = None,
    workspace: Path | None = None,
    args: Sequence[str] = (),
    entrypoint: str | None = None,
    network: str = "host",
    timeout: float = 180,
) -> ContainerRun:
    """``docker run`` the image as a GitHub Docker action step, everything under ``base_dir``.

    ``env`` is laid over :func:`github_like_env`; a ``None`` value removes a variable. The
    workspace (default ``base_dir/workspace``) is mounted at /github/workspace and is the
    working directory, as on GitHub. ``--network host`` lets the action reach loopback fakes.
    """
    temp = base_dir / "_temp"
    home = temp / "_github_home"
    workflow = temp / "_github_workflow"
    commands = temp / "_runner_file_commands"
    for directory in (home, workflow, commands):
        directory.mkdir(parents=True, exist_ok=True)
    if workspace is None:
        workspace = base_dir / "workspace"
        workspace.mkdir(parents=True, exist_ok=True)
    (workflow / "event.json").write_text("{}\n")

    suffix = uuid.uuid4().hex
    files = {
        "GITHUB_OUTPUT": f"set_output_{suffix}",
        "GITHUB_STEP_SUMMARY": f"step_summary_{suffix}",
        "GITHUB_ENV": f"set_env_{suffix}",
        "GITHUB_PATH": f"add_path_{suffix}",
        "GITHUB_STATE": f"save_state_{suffix}",
    }
    for name in files.values():
        (commands / name).write_text("")

    merged: dict[str, str | None] = dict(github_like_env(inputs or {}))
    merged.update({key: f"{CONTAINER_FILE_COMMANDS}/{name}" for key, name in files.items()})
    merged.update(env or {})

    name = f"pmcp-test-{suffix[:12]}"
    command = ["docker", "run", "--rm", "--name", name, "--network", network]
    command += ["--workdir", CONTAINER_WORKSPACE]
    command += ["-v", f"{home}:{CONTAINER_HOME}", "-v", f"{workflow}:{CONTAINER_WORKFLOW}"]
    command += ["-v", f"{commands}:{CONTAINER_FILE_COMMANDS}"]
    command += ["-v", f"{workspace}:{CONTAINER_WORKSPACE}"]
    for key, value in merged.items():
        if value is not None:
            command += ["-e", f"{key}={value}"]
    if entrypoint is not None:
        command += ["--entrypoint", entrypoint]
    command += [image, *args]

    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        docker("rm", "--force", name, check=False, timeout=60)
        raise
    return ContainerRun(
        exit_code=completed.returncode,
        stdout=completed.stdout,
        stderr=completed.stderr,
        outputs=parse_github_output((commands / files["GITHUB_OUTPUT"]).read_text()),
        summary=(commands / files["GITHUB_STEP_SUMMARY"]).read_text(),
        workspace=workspace,
        env_file=(commands / files["GITHUB_ENV"]).read_text(),
        command=command,
        runner_temp=temp,
    )


def image_size(image: str) -> int:
    return int(docker("image", "inspect", "--format", "{{.Size}}", image).stdout.strip())


def image_config(image: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        docker("image", "inspect", "--format", "{{json .Config}}", image).stdout
    )
    return data


#: The type of the ``run_action_container`` fixture (see tests/container/conftest.py).
RunActionContainer = Callable[..., ContainerRun]
