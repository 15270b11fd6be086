"""The action image, run the way GitHub (and GitLab) run it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from pmcp_action import __version__
from tests.container.helpers import RunActionContainer, docker, image_config, image_size
from tests.support.repository import REPO_ROOT

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1200)]

MB = 1_000_000
#: Measured: 142 MB on the Debian stand-in base (110 MB); python:3.12-slim is ~125 MB.
IMAGE_BUDGET = 200 * MB
#: What the image adds on top of its base (the venv and the stdlib's bytecode): measured 26 MB
#: on the stand-in base (it was 33.6 MB with every botocore model and no stdlib bytecode).
ADDED_BUDGET = 30 * MB

_HOSTILE_MODULE = (
    "import pathlib\n"
    "pathlib.Path('/github/workspace/HIJACKED').write_text(__name__)\n"
    "raise SystemExit('hijacked by the workspace')\n"
)


def _hostile_workspace(root: Path) -> Path:
    """A workspace whose files would take over a Python that trusts cwd or PYTHONPATH."""
    workspace = root / "hostile-workspace"
    (workspace / "pmcp_action").mkdir(parents=True)
    (workspace / "pmcp_action" / "__init__.py").write_text(_HOSTILE_MODULE)
    for name in ("sitecustomize.py", "usercustomize.py", "httpx.py", "json.py"):
        (workspace / name).write_text(_HOSTILE_MODULE)
    return workspace


@pytest.mark.parametrize("hostile", [False, True], ids=["plain-env", "hostile-env"])
def test_bad_target_fails_with_a_clean_error(
    run_action_container: RunActionContainer, tmp_path: Path, hostile: bool
) -> None:
    env: dict[str, str | None] = {}
    workspace = None
    if hostile:
        # A workflow's step env reaches the container: PATH, HOME and PYTHON* can be anything.
        env = {
            "PATH": "utter-nonsense",
            "HOME": "/nonexistent",
            "PYTHONPATH": "/github/workspace",
            "PYTHONSTARTUP": "/github/workspace/sitecustomize.py",
            "PYTHONWARNINGS": "error",
        }
        workspace = _hostile_workspace(tmp_path)

    run = run_action_container(
        inputs={"target": "nonsense", "server-name": "container-test"},
        env=env,
        workspace=workspace,
    )

    assert run.exit_code == 1, run.describe()
    assert "Traceback" not in run.everything, run.describe()
    errors = run.errors
    assert len(errors) == 1, run.describe()
    error = errors[0]
    assert error.properties.get("title"), error
    assert "nonsense" in error.message
    for target in ("pmcp-run", "aws-lambda", "google-cloud-run", "azure-container-apps"):
        assert target in error.message, error.message
    assert "cloudflare-workers" in error.message
    # The step summary explains the same failure under the annotation's title.
    assert error.properties["title"] in run.summary, run.summary
    assert "nonsense" in run.summary
    assert any(line.startswith("#") for line in run.summary.splitlines()), run.summary
    # Outputs are written for failures too.
    assert run.outputs.get("status") == "failure", run.outputs
    if workspace is not None:
        assert not (workspace / "HIJACKED").exists(), (workspace / "HIJACKED").read_text()
        assert "hijacked" not in run.everything


def test_same_error_with_and_without_a_hostile_env(
    run_action_container: RunActionContainer, tmp_path: Path
) -> None:
    inputs = {"target": "nonsense"}
    plain = run_action_container(inputs=inputs)
    hostile = run_action_container(
        inputs=inputs,
        env={"PATH": "utter-nonsense", "HOME": "/nonexistent"},
        workspace=_hostile_workspace(tmp_path),
    )
    assert (plain.exit_code, hostile.exit_code) == (1, 1), hostile.describe()
    assert [e.message for e in hostile.errors] == [e.message for e in plain.errors]


def test_hyphenated_inputs_reach_the_action(run_action_container: RunActionContainer) -> None:
    """INPUT_SERVER-NAME (as the runner spells it) survives docker -e and is read."""
    run = run_action_container(
        inputs={
            "target": "pmcp-run",
            "server-name": "Bad Name!!",
            "verify-timeout-seconds": "soon",
        }
    )
    assert run.exit_code == 1, run.describe()
    messages = "\n".join(e.message for e in run.errors)
    for needle in ("server-name", "Bad Name!!", "verify-timeout-seconds", "soon"):
        assert needle in messages, run.describe()


def test_cli_is_on_path_for_gitlab(action_image: str) -> None:
    """GitLab runs the image with `entrypoint: [""]` and a shell script."""
    completed = docker(
        "run",
        "--rm",
        "--entrypoint",
        "",
        action_image,
        "sh",
        "-c",
        "command -v pmcp-action && pmcp-action --version",
        timeout=120,
    )
    lines = completed.stdout.strip().splitlines()
    assert lines == ["/opt/venv/bin/pmcp-action", f"pmcp-action {__version__}"], completed


def test_image_config_is_github_compatible(action_image: str) -> None:
    config = image_config(action_image)
    # GitHub runs as root in /github/workspace: the image must not choose a user or a workdir.
    assert config.get("User") in (None, ""), config
    assert config.get("WorkingDir") in (None, "", "/"), config
    entrypoint = config["Entrypoint"]
    assert isinstance(entrypoint, list)
    assert entrypoint[0] == "/opt/venv/bin/python", entrypoint
    assert "-I" in entrypoint and entrypoint[-1] == "/opt/pmcp-action/entrypoint.py", entrypoint
    raw_env = config["Env"]
    assert isinstance(raw_env, list)
    env = dict(str(item).partition("=")[::2] for item in raw_env)
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR"):
        assert env.get(name) == "1", env
    assert env["PATH"].split(":")[0] == "/opt/venv/bin", env
    assert "" not in env["PATH"].split(":"), env


def test_image_holds_exactly_the_locked_runtime(action_image: str) -> None:
    """What is installed is the hash-locked set plus the project; no pip, no build tools."""
    script = (
        "import importlib.metadata as m, json, shutil;"
        "print(json.dumps({'dists': {d.metadata['Name']: d.version for d in m.distributions()},"
        "'tools': [t for t in ('gcc', 'cc', 'make', 'git', 'curl', 'wget') if shutil.which(t)]}))"
    )
    completed = docker(
        "run", "--rm", "--entrypoint", "/opt/venv/bin/python", action_image, "-I", "-c", script
    )
    found = json.loads(completed.stdout)
    installed = {canonicalize_name(n): v for n, v in found["dists"].items()}

    pins = {}
    linux = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}
    for line in (REPO_ROOT / "requirements" / "runtime.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+))?", line)
        if match is None:
            continue
        marker = (match[3] or "").strip()
        if marker and not Marker(marker).evaluate(linux):
            continue  # e.g. pywin32 (docker's Windows-only dependency)
        pins[canonicalize_name(match[1])] = match[2]
    assert pins, "no pins parsed from requirements/runtime.txt"

    assert installed.pop(canonicalize_name("pmcp-deploy-action")) == __version__
    assert installed == pins
    assert found["tools"] == [], found["tools"]
    assert docker("run", "--rm", "--entrypoint", "", action_image, "ls", "/opt").stdout.split() == [
        "pmcp-action",
        "venv",
    ]


def test_image_size_within_budget(action_image: str, base_image: str) -> None:
    size = image_size(action_image)
    added = size - image_size(base_image)
    print(f"image {action_image}: {size / MB:.1f} MB, {added / MB:.1f} MB over {base_image}")
    assert size < IMAGE_BUDGET, f"{size / MB:.1f} MB"
    assert added < ADDED_BUDGET, f"{added / MB:.1f} MB added to the base image"


def test_everything_a_run_imports_is_precompiled(action_image: str) -> None:
    """The entrypoint runs with -B: a module without bytecode would compile on every run."""
    # Every module of ours (each target, each artifact kind), what they import lazily, and a
    # botocore client: the stdlib left uncompiled in the Dockerfile must not be among them.
    script = (
        "import os, sys, importlib, pkgutil, pmcp_action;"
        "[importlib.import_module(m.name) for m in"
        " pkgutil.walk_packages(pmcp_action.__path__, 'pmcp_action.')];"
        "import botocore.session, docker, rsa, pyasn1.codec.der.decoder, jwt, shtab, id;"
        "botocore.session.get_session().create_client('sts', region_name='us-east-1');"
        "print([n for n, m in sorted(sys.modules.items())"
        " if getattr(m, '__cached__', None) and not os.path.exists(m.__cached__)])"
    )
    completed = docker(
        "run",
        "--rm",
        "--entrypoint",
        "/opt/venv/bin/python",
        action_image,
        "-I",
        "-B",
        "-c",
        script,
    )
    assert completed.stdout.strip() == "[]", completed.stdout


def test_botocore_keeps_exactly_the_models_the_code_creates_clients_for(action_image: str) -> None:
    """scripts/prune-botocore ran; every client the code creates can still be made."""
    kept = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "prune-botocore"), "--list"]
        + [str(REPO_ROOT / "pmcp_action")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    script = (
        "import json, sys, botocore.session; s = botocore.session.get_session();"
        "[s.create_client(n, region_name='eu-west-1', aws_access_key_id='k',"
        " aws_secret_access_key='s') for n in sys.argv[1:]];"
        "print(json.dumps(s.get_available_services()))"
    )
    completed = docker(
        "run", "--rm", "--entrypoint", "/opt/venv/bin/python", action_image, "-I", "-c", script,
        *kept,
    )  # fmt: skip
    assert json.loads(completed.stdout) == sorted(kept)


def test_report_lands_outside_the_workspace_where_later_steps_find_it(
    run_action_container: RunActionContainer,
) -> None:
    """The report goes to HOME (RUNNER_TEMP/_github_home on the host), not into the checkout."""
    run = run_action_container(inputs={"target": "heroku"})
    assert run.exit_code == 1, run.describe()
    assert (
        run.outputs["report-path"] == "/home/runner/work/_temp/_github_home/pmcp-deploy-report.json"
    )
    report = run.report()
    assert report["status"] == "failure"
    assert list(run.workspace.iterdir()) == []


def test_the_image_label_and_the_cli_version_agree(action_image: str) -> None:
    """What the registry shows (the OCI label) is what the program says it is."""
    config = image_config(action_image)
    labels = config.get("Labels")
    assert isinstance(labels, dict), config
    completed = docker(
        "run", "--rm", "--entrypoint", "pmcp-action", action_image, "--version", timeout=120
    )
    assert completed.stdout.strip() == f"pmcp-action {labels['org.opencontainers.image.version']}"
    assert labels["org.opencontainers.image.version"] == __version__
