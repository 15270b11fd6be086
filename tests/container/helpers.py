"""Helpers for tests that need a Docker engine (container tests, act tests).

Kept out of conftest.py so that tests/act can import them too. Nothing here touches the network
beyond the local Docker engine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.gha import parse_github_output

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Read once, when the conftest imports this module during collection: the autouse
#: ``clean_environ`` fixture removes ``CI`` from os.environ before every test.
_CI_VALUE = os.environ.get("CI", "")
IN_CI = _CI_VALUE.strip().lower() not in ("", "0", "false", "no", "off")

#: The targets action.yml documents for the ``target`` input.
VALID_TARGETS = (
    "pmcp-run",
    "aws-lambda",
    "google-cloud-run",
    "azure-container-apps",
    "cloudflare-workers",
)

#: Where GitHub's runner mounts things into a Docker action's container.
CONTAINER_WORKSPACE = "/github/workspace"
CONTAINER_HOME = "/github/home"
CONTAINER_WORKFLOW = "/github/workflow"
CONTAINER_FILE_COMMANDS = "/github/file_commands"
#: The runner passes RUNNER_TEMP through unchanged: a host path that is NOT mounted.
HOST_RUNNER_TEMP = "/home/runner/work/_temp"


def unavailable(reason: str) -> None:
    """Skip on a developer machine, fail under CI: container tests must never vanish in CI."""
    hint = "Run scripts/prepare-machine to install and start the Docker engine."
    reason = reason.rstrip(". ")
    if IN_CI:
        pytest.fail(f"CI is set but {reason}. {hint}", pytrace=False)
    pytest.skip(f"{reason} ({hint})")


def docker_problem() -> str | None:
    """Why the Docker engine cannot be used, or None when ``docker info`` answers."""
    if shutil.which("docker") is None:
        return "the docker CLI is not on PATH"
    try:
        completed = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s"
    if completed.returncode != 0 or not completed.stdout.strip():
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        return "the Docker engine does not answer" + (f": {detail[-1]}" if detail else "")
    return None


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


def run_script(
    name: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 1200
) -> subprocess.CompletedProcess[str]:
    """Run scripts/<name>; fail the test with its stderr when it fails."""
    completed = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(os.environ if env is None else env),
        stdin=subprocess.DEVNULL,
    )
    if completed.returncode != 0:
        pytest.fail(
            f"scripts/{name} exited {completed.returncode}:\n{completed.stderr[-4000:]}",
            pytrace=False,
        )
    return completed


# ---------------------------------------------------------------------------------------------
# GitHub file commands and workflow commands
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Annotation:
    """One ``::error``/``::warning``/``::notice`` workflow command, unescaped."""

    kind: str
    properties: dict[str, str]
    message: str


_COMMAND = re.compile(r"^::(?P<kind>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<msg>.*)$")


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse_annotations(stdout: str) -> list[Annotation]:
    """Every annotation command in a step's stdout, in order."""
    found: list[Annotation] = []
    for line in stdout.splitlines():
        match = _COMMAND.match(line)
        if match is None:
            continue
        properties: dict[str, str] = {}
        for pair in filter(None, (match["props"] or "").split(",")):
            key, _, value = pair.partition("=")
            properties[key.strip()] = _unescape_property(value)
        found.append(Annotation(match["kind"], properties, _unescape_data(match["msg"])))
    return found


# ---------------------------------------------------------------------------------------------
# Running the action image the way GitHub's runner does
# ---------------------------------------------------------------------------------------------


@dataclass
class ContainerRun:
    """What one ``docker run`` of the action left behind (same shape as the subprocess tests')."""

    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path
    env_file: str = ""
    command: list[str] = field(default_factory=list)
    #: The host directory standing in for the runner's RUNNER_TEMP.
    runner_temp: Path | None = None

    def annotations(self, kind: str | None = None) -> list[Annotation]:
        found = parse_annotations(self.stdout)
        return [a for a in found if kind is None or a.kind == kind]

    @property
    def errors(self) -> list[Annotation]:
        return self.annotations("error")

    def report(self) -> dict[str, object]:
        """The JSON report; its output path is relative to the workspace (or absolute)."""
        reported = self.outputs["report-path"]
        if self.runner_temp is not None and reported.startswith(HOST_RUNNER_TEMP + "/"):
            path = self.runner_temp / reported.removeprefix(HOST_RUNNER_TEMP + "/")
            loaded: dict[str, object] = json.loads(path.read_text())
            return loaded
        if reported.startswith(CONTAINER_WORKSPACE + "/"):
            reported = reported.removeprefix(CONTAINER_WORKSPACE + "/")
        data: dict[str, object] = json.loads((self.workspace / reported).read_text())
        return data

    @property
    def everything(self) -> str:
        return self.stdout + self.stderr + self.summary + "\n".join(self.outputs.values())

    def describe(self) -> str:
        """For assertion messages."""
        return (
            f"exit code {self.exit_code}\n--- stdout ---\n{self.stdout}\n--- stderr ---\n"
            f"{self.stderr}\n--- summary ---\n{self.summary}"
        )


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
