"""The image kind against real parts: Debian's docker-registry, skopeo and the Docker engine.

A std-only Rust MCP stand-in is assembled onto the stand-in Debian base (pushed into a
local registry with skopeo), pushed by our client; skopeo then reads the manifest and
config, the Docker engine pulls and runs the image, and the project's own MCP
verification talks to it.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pmcp_action.artifact import ArtifactRequest
from pmcp_action.artifact.oci_image import OciImage, RegistryLogin
from pmcp_action.deadline import Deadline
from pmcp_action.errors import DeployError, RemoteApiError
from pmcp_action.http import HttpClientFactory
from pmcp_action.settings.deploy_toml import DeployConfig
from pmcp_action.verify import VerifyOptions, verify_server
from tests.container.helpers import docker
from tests.fakes.registry_token import FakeRegistryTokenServer
from tests.fakes.rust_mcp import build_standin, rustc_problem
from tests.fakes.server import serve
from tests.support.machine import unavailable
from tests.support.registry import (
    LocalRegistry,
    TokenAuth,
    copy_into_registry,
    local_registry,
    registry_problem,
)
from tests.unit.artifact.helpers import new_console

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    problem = registry_problem() or rustc_problem()
    if problem is not None:
        unavailable(problem)
    with local_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture(scope="module")
def base_ref(registry: LocalRegistry, docker_engine: None, base_image: str) -> str:
    """The stand-in Debian base (python:3.12-slim here), copied into the registry by skopeo."""
    ref = f"{registry.host}/base/debian:bookworm"
    copy_into_registry(base_image, ref, f"{registry.username}:{registry.password}")
    return ref


def _request(tmp: Path, binary: Path | None, **environ: str) -> ArtifactRequest:
    console, _ = new_console()
    tmp.mkdir(parents=True, exist_ok=True)
    return ArtifactRequest(
        deadline=Deadline(600),
        project_root=tmp,
        artifact_input=binary,
        config=DeployConfig(),
        work_dir=tmp,
        environ={
            "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
            "GITHUB_REPOSITORY": "acme/calc",
            **environ,
        },
        console=console,
        server_name="calc",
    )


def _skopeo(*args: str, registry: LocalRegistry) -> Any:
    done = subprocess.run(
        [
            "skopeo",
            "inspect",
            "--tls-verify=false",
            "--creds",
            f"{registry.username}:{registry.password}",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(done.stdout)


def test_assembled_image_is_read_by_skopeo_and_runs_under_docker(
    registry: LocalRegistry, base_ref: str, tmp_path: Path
) -> None:
    binary = build_standin("calc")
    login = RegistryLogin(registry.username, registry.password, source="registry-username")
    kind = OciImage(
        repository=f"{registry.host}/acme/calc",
        login=login,
        base_image=base_ref,
        http=HttpClientFactory(),
    )
    result = kind.obtain(_request(tmp_path / "one", binary))
    assert result.pushed and result.uploaded_bytes > 0
    assert result.reference == f"{registry.host}/acme/calc@{result.digest}"

    # skopeo (containers/image, Go) reads what we pushed.
    raw = _skopeo("--raw", f"docker://{result.reference}", registry=registry)
    assert raw["schemaVersion"] == 2 and len(raw["layers"]) == 2
    config = _skopeo("--config", f"docker://{result.reference}", registry=registry)
    inner = config["config"]
    assert isinstance(inner, dict)
    assert inner["Entrypoint"] == ["/usr/local/bin/calc"]
    assert "PORT=8080" in inner["Env"]
    assert inner["ExposedPorts"] == {"8080/tcp": {}}
    assert inner["User"] == "65532:65532"
    assert inner["Labels"]["org.opencontainers.image.revision"].startswith("0123456789abc")
    assert config["architecture"] == "amd64" and config["os"] == "linux"
    tagged = _skopeo(f"docker://{result.tagged}", registry=registry)
    assert tagged["Digest"] == result.digest

    # The same binary again: nothing uploaded, the target can report "unchanged".
    again = kind.obtain(_request(tmp_path / "two", binary))
    assert (again.digest, again.pushed, again.uploaded_bytes) == (result.digest, False, 0)

    # The Docker engine pulls it and runs it; the project's verification speaks MCP to it.
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    env = {**os.environ, "DOCKER_CONFIG": str(docker_config)}
    subprocess.run(
        ["docker", "login", registry.host, "-u", registry.username, "--password-stdin"],
        input=registry.password,
        text=True,
        check=True,
        capture_output=True,
        env=env,
        timeout=60,
    )
    subprocess.run(
        ["docker", "pull", "-q", result.reference],
        check=True,
        capture_output=True,
        env=env,
        timeout=300,
    )
    container = subprocess.run(
        ["docker", "run", "-d", "--rm", "-p", "127.0.0.1::8080", result.reference],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    ).stdout.strip()
    try:
        port = (
            docker("port", container, "8080/tcp").stdout.strip().splitlines()[0].rsplit(":", 1)[1]
        )
        verification = verify_server(
            VerifyOptions(
                url=f"http://127.0.0.1:{port}/mcp", timeout_seconds=30, required_tools=("greet",)
            ),
            http=HttpClientFactory(),
        )
        assert verification.status == "true", verification.detail
        assert verification.server_name == "rust-standin"
        user = docker("inspect", "--format", "{{.Config.User}}", container).stdout.strip()
        assert user == "65532:65532"
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, timeout=60)
        subprocess.run(
            ["docker", "image", "rm", "-f", result.reference], capture_output=True, timeout=60
        )


def test_prebuilt_tag_resolves_to_digest_and_a_missing_tag_fails(
    registry: LocalRegistry, base_ref: str, tmp_path: Path
) -> None:
    login = RegistryLogin(registry.username, registry.password, source="registry-username")
    found = OciImage(image=base_ref, login=login, http=HttpClientFactory()).obtain(
        _request(tmp_path, None)
    )
    expected = _skopeo(f"docker://{base_ref}", registry=registry)["Digest"]
    assert found.digest == expected and found.pinned
    with pytest.raises(DeployError) as missing:
        OciImage(
            image=f"{registry.host}/base/debian:nope", login=login, http=HttpClientFactory()
        ).obtain(_request(tmp_path, None))
    assert "the tag 'nope' does not exist in base/debian" in missing.value.message


def test_wrong_password_is_refused_with_the_registry_text(
    registry: LocalRegistry, base_ref: str, tmp_path: Path
) -> None:
    bad = RegistryLogin(registry.username, "wrong", source="registry-username")
    kind = OciImage(
        repository=f"{registry.host}/acme/denied",
        login=bad,
        base_image=base_ref,
        http=HttpClientFactory(),
    )
    with pytest.raises(RemoteApiError) as refused:
        kind.obtain(_request(tmp_path, build_standin("calc")))
    assert refused.value.status == 401
    assert "UNAUTHORIZED" in refused.value.message
    assert "wrong" not in refused.value.diagnostics()


def test_token_auth_registry_with_an_artifact_registry_style_login(
    docker_engine: None, base_image: str, tmp_path: Path
) -> None:
    """docker-registry with ``auth: token``: a Bearer challenge, a token from the realm."""
    problem = registry_problem() or rustc_problem()
    if problem is not None:
        unavailable(problem)
    tokens = FakeRegistryTokenServer()
    with serve(tokens) as realm:
        auth = TokenAuth(
            realm=f"{realm}/token",
            service=tokens.service,
            issuer=tokens.issuer,
            bundle=tokens.write_bundle(tmp_path / "bundle.pem"),
        )
        with local_registry(tmp_path / "registry", token=auth) as registry:
            creds = f"{tokens.username}:{tokens.password}"
            base = f"{registry.host}/base/debian:bookworm"
            copy_into_registry(base_image, base, creds)
            login = RegistryLogin(
                tokens.username, tokens.password, source="the Google access token"
            )
            console_request = _request(tmp_path / "work", build_standin("calc"))
            result = OciImage(
                repository=f"{registry.host}/acme/calc",
                login=login,
                base_image=base,
                http=HttpClientFactory(),
            ).obtain(console_request)
            assert result.pushed
            inspected = json.loads(
                subprocess.run(
                    [
                        "skopeo",
                        "inspect",
                        "--tls-verify=false",
                        "--creds",
                        creds,
                        f"docker://{result.tagged}",
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=120,
                ).stdout
            )
            assert inspected["Digest"] == result.digest
            # Our client asked for push on the target and pull on the mount source.
            assert any(
                "repository:acme/calc:pull,push" in scopes
                and "repository:base/debian:pull" in scopes
                for scopes in tokens.granted
            )
            output = console_request.console.log_stream.getvalue()  # type: ignore[union-attr]
            assert tokens.password not in output.replace(f"::add-mask::{tokens.password}", "")


def test_the_project_dockerfile_is_built_pushed_by_digest_and_runs(
    registry: LocalRegistry, base_image: str, tmp_path: Path, socket_enabled: None
) -> None:
    """The Docker SDK path: build args, .dockerignore, push with the login, digest output."""
    project = tmp_path / "project"
    (project / "junk").mkdir(parents=True)
    (project / "junk" / "big.bin").write_bytes(b"\0" * 1024)
    (project / ".dockerignore").write_text("junk/\n")
    (project / "calc").write_bytes(build_standin("calc").read_bytes())
    (project / "calc").chmod(0o755)
    (project / "Dockerfile").write_text(
        f"FROM {base_image}\n"
        "ARG GREETING=none\n"
        "LABEL org.example.greeting=$GREETING\n"
        "COPY . /src/\n"
        "RUN cp /src/calc /usr/local/bin/calc\n"
        "ENV PORT=8080\nEXPOSE 8080\nUSER 65532:65532\n"
        'ENTRYPOINT ["/usr/local/bin/calc"]\n'
    )
    login = RegistryLogin(registry.username, registry.password, source="registry-username")
    kind = OciImage(
        repository=f"{registry.host}/acme/built",
        login=login,
        http=HttpClientFactory(),
        build_args=(("GREETING", "hello"),),
    )
    request = _request(tmp_path / "work", None)
    request = ArtifactRequest(
        deadline=Deadline(600),
        project_root=project,
        artifact_input=None,
        config=request.config,
        work_dir=request.work_dir,
        environ=request.environ,
        console=request.console,
        server_name="calc",
    )
    result = kind.obtain(request)
    assert result.source == "built" and result.digest.startswith("sha256:")
    assert result.reference == f"{registry.host}/acme/built@{result.digest}"
    config = _skopeo("--config", f"docker://{result.reference}", registry=registry)
    assert config["config"]["Labels"]["org.example.greeting"] == "hello"
    assert config["architecture"] == "amd64"
    docker(
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        str(result.tagged),
        "-c",
        "test ! -e /src/junk && test -x /usr/local/bin/calc",
    )
    container = docker("run", "-d", "--rm", "-p", "127.0.0.1::8080", result.reference)
    name = container.stdout.strip()
    try:
        port = docker("port", name, "8080/tcp").stdout.strip().splitlines()[0].rsplit(":", 1)[1]
        verification = verify_server(
            VerifyOptions(url=f"http://127.0.0.1:{port}/mcp", timeout_seconds=30),
            http=HttpClientFactory(),
        )
        assert verification.status == "true", verification.detail
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)
        subprocess.run(
            ["docker", "image", "rm", "-f", str(result.tagged), result.reference],
            capture_output=True,
            timeout=60,
        )


def test_a_failing_dockerfile_build_shows_the_tail(
    registry: LocalRegistry, base_image: str, tmp_path: Path, socket_enabled: None
) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base_image}\nRUN echo compiling && echo 'error: linker failed' && false\n"
    )
    kind = OciImage(
        repository=f"{registry.host}/acme/broken",
        http=HttpClientFactory(),
        login=RegistryLogin(registry.username, registry.password),
    )
    with pytest.raises(DeployError) as error:
        kind.obtain(_request(tmp_path, None))
    assert "returned a non-zero code: 1" in error.value.message
    assert "error: linker failed" in error.value.details
