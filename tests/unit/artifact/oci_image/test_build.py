"""The Dockerfile path with a stand-in for the Docker SDK's low-level client."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.artifact.oci_image import RegistryLogin, parse_repository
from pmcp_action.artifact.oci_image.build import build_and_push, docker_engine_url
from pmcp_action.errors import DeployError, RemoteApiError
from tests.unit.artifact.helpers import new_console

DIGEST = "sha256:" + "b" * 64


class FakeApi:
    def __init__(self, build: list[dict[str, Any]], push: list[dict[str, Any]]) -> None:
        self.build_chunks, self.push_chunks = build, push
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def build(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append(("build", kwargs))
        return self.build_chunks

    def push(self, repository: str, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append(("push", {"repository": repository, **kwargs}))
        return self.push_chunks


class FakeClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api
        self.closed = False

    def close(self) -> None:
        self.closed = True


def _run(tmp_path: Path, api: FakeApi) -> Any:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    console, log = new_console()
    client = FakeClient(api)
    result = build_and_push(
        engine_url="unix:///x.sock",
        context=tmp_path,
        dockerfile=tmp_path / "Dockerfile",
        target=parse_repository("127.0.0.1:5000/acme/calc"),
        tag="abc1234",
        platform="linux/amd64",
        build_args={"GREETING": "Hi"},
        login=RegistryLogin("u", "p", source="registry-username"),
        console=console,
        work_dir=tmp_path,
        client_factory=lambda _url: client,
    )
    assert client.closed
    return result, log.getvalue()


def test_build_then_push_reports_the_digest(tmp_path: Path) -> None:
    api = FakeApi(
        [{"stream": "Step 1/1 : FROM scratch\n"}, {"aux": {"ID": "sha256:1"}}],
        [{"status": "Pushed", "id": "abc"}, {"aux": {"Tag": "abc1234", "Digest": DIGEST}}],
    )
    built, log = _run(tmp_path, api)
    assert (built.digest, str(built.tagged), built.pushed) == (
        DIGEST,
        "127.0.0.1:5000/acme/calc:abc1234",
        True,
    )
    build = api.calls[0][1]
    assert (build["platform"], build["buildargs"], build["dockerfile"]) == (
        "linux/amd64",
        {"GREETING": "Hi"},
        "Dockerfile",
    )
    assert api.calls[1][1]["auth_config"] == {"username": "u", "password": "p"}
    assert "Step 1/1 : FROM scratch" in log


def test_a_failed_build_carries_the_tail_of_its_log(tmp_path: Path) -> None:
    api = FakeApi(
        [
            {"stream": "Step 2/3 : RUN cargo build\n"},
            {"stream": "error[E0425]: oops\n"},
            {"error": "The command '/bin/sh -c cargo build' returned a non-zero code: 101"},
        ],
        [],
    )
    with pytest.raises(DeployError) as error:
        _run(tmp_path, api)
    assert error.value.message == (
        "`docker build` of Dockerfile failed: The command '/bin/sh -c cargo build' returned a "
        "non-zero code: 101"
    )
    assert "error[E0425]: oops" in error.value.details
    assert [c[0] for c in api.calls] == ["build"]  # nothing pushed


def test_a_refused_push_says_so(tmp_path: Path) -> None:
    api = FakeApi([], [{"error": "denied: requested access to the resource is denied"}])
    with pytest.raises(RemoteApiError, match="was refused: denied: requested access"):
        _run(tmp_path, api)


def test_engine_detection_and_the_sdk_stays_unimported(tmp_path: Path) -> None:
    assert docker_engine_url({"DOCKER_HOST": "tcp://h:2375"}) == "tcp://h:2375"
    assert docker_engine_url({}, tmp_path / "none.sock") is None
    sock = tmp_path / "docker.sock"
    sock.touch()
    assert docker_engine_url({}, sock) == f"unix://{sock}"
    code = "import sys, pmcp_action.artifact.oci_image.kind; print('docker' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
