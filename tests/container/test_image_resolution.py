"""The released-image path end to end, with a real registry: Debian's docker-registry on loopback.

The action image is pushed to a local registry as a release would push it to GHCR (tag
``v1``); the composite's resolver (pmcp_action/action_image.py, run as the action runs it)
asks that registry for the digest, and what it writes into the inner action is an image
reference the Docker engine pulls by digest and runs. The GHCR token handshake itself is
covered by tests/unit/test_action_image.py (this registry runs without auth).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]  # stubs: types-pyyaml (dev.txt)

from pmcp_action import __version__
from pmcp_action.action_image import GENERATED_DIR
from tests.container.helpers import docker
from tests.support.machine import unavailable
from tests.support.repository import REPO_ROOT

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]

REPOSITORY = "acme/pmcp-deploy-action"


def _registry_binary() -> str:
    found = shutil.which("docker-registry")
    if found is None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "install", "-y", "-q", "docker-registry"],
            ["apt-get", "update", "-q"],  # the package lists may be missing or stale
            ["apt-get", "install", "-y", "-q", "docker-registry"],
        ):
            subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
            found = shutil.which("docker-registry")
            if found is not None:
                break
    if found is None:
        unavailable("docker-registry (Debian package) is not installed")
    assert found is not None
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def registry(docker_engine: None, tmp_path: Path) -> Iterator[str]:
    binary = _registry_binary()
    port = _free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "version": 0.1,
                "log": {"level": "warn"},
                "storage": {"filesystem": {"rootdirectory": str(tmp_path / "storage")}},
                "http": {"addr": f"127.0.0.1:{port}"},
            }
        )
    )
    log = (tmp_path / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/v2/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(
                f"docker-registry did not answer: {(tmp_path / 'registry.log').read_text()}"
            )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_a_released_ref_runs_the_pushed_image_by_digest(
    registry: str, action_image: str, tmp_path: Path
) -> None:
    host = registry.removeprefix("http://")
    released = f"{host}/{REPOSITORY}:v1"
    pinned = ""
    docker("tag", action_image, released)
    try:
        docker("push", released, timeout=600)
        # What the resolver does in the composite's first step.
        env = {
            "PATH": os.environ["PATH"],
            "PMCP_ACTION_REGISTRY": registry,
            "PMCP_ACTION_REPOSITORY": REPOSITORY,
            "PMCP_ACTION_REF": "v1",
            "GITHUB_REPOSITORY": "someone/their-server",
            "GITHUB_ACTION_PATH": str(REPO_ROOT),
            "GITHUB_WORKSPACE": str(tmp_path),
        }
        done = subprocess.run(
            [sys.executable, "-I", str(REPO_ROOT / "pmcp_action" / "action_image.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        inner = yaml.safe_load((tmp_path / GENERATED_DIR / "action.yml").read_text())
        image = inner["runs"]["image"]
        assert image.startswith(f"docker://{host}/{REPOSITORY}@sha256:"), done.stdout
        assert "::warning" not in done.stdout
        pinned = image.removeprefix("docker://")
        # The digest is the one the registry holds for the pushed tag ...
        digests = docker("image", "inspect", "--format", "{{json .RepoDigests}}", released)
        assert pinned in digests.stdout, digests.stdout
        # ... and the engine pulls and runs exactly that.
        docker("image", "rm", released)
        docker("pull", pinned, timeout=600)
        ran = docker("run", "--rm", "--entrypoint", "pmcp-action", pinned, "--version")
        assert ran.stdout.strip() == f"pmcp-action {__version__}"
        # An unreleased ref of the same repository falls back to the Dockerfile, warning.
        env["PMCP_ACTION_REF"] = "0" * 40
        fallback = subprocess.run(
            [sys.executable, "-I", str(REPO_ROOT / "pmcp_action" / "action_image.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert fallback.stdout.startswith("::warning title=pmcp deploy: no prebuilt image::")
        inner = yaml.safe_load((tmp_path / GENERATED_DIR / "action.yml").read_text())
        dockerfile = tmp_path / GENERATED_DIR / inner["runs"]["image"]
        assert dockerfile.resolve() == REPO_ROOT / "Dockerfile"
    finally:
        # Only the references made here; the action image itself stays.
        for leftover in (released, pinned):
            if leftover:
                docker("image", "rm", leftover, check=False)
