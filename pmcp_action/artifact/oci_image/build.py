"""Building the project's Dockerfile with the Docker SDK and pushing the result by digest.

Taken when the project has a ``Dockerfile`` and a Docker engine is reachable
(``DOCKER_HOST``, or the ``/var/run/docker.sock`` GitHub mounts into Docker actions).
The SDK (``docker``) is imported here only, on this path. The build log goes to a
collapsible group and a log file whose tail is the error's details; the SDK honours
``.dockerignore`` when it sends the context.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...ci.base import Platform
from ...errors import DeployError, RemoteApiError
from ..command import output_tail
from .model import RegistryLogin
from .reference import ImageReference

__all__ = ["BUILD_LOG_NAME", "Built", "build_and_push", "docker_engine_url"]

BUILD_LOG_NAME = "docker-build.log"
_SOCKET = Path("/var/run/docker.sock")
#: Builds may take long; one SDK call may wait this long for the engine.
_ENGINE_TIMEOUT = 1800


@dataclass(frozen=True)
class Built:
    digest: str
    tagged: ImageReference
    pushed: bool


def docker_engine_url(environ: Mapping[str, str], socket: Path = _SOCKET) -> str | None:
    """Where the engine is (``DOCKER_HOST``, else the mounted socket), or None."""
    host = environ.get("DOCKER_HOST", "")
    if host:
        return host
    return f"unix://{socket}" if socket.exists() else None


def _client(url: str) -> Any:
    import docker  # heavy, and only this path needs it

    return docker.DockerClient(base_url=url, timeout=_ENGINE_TIMEOUT)


def build_and_push(
    *,
    engine_url: str,
    context: Path,
    dockerfile: Path,
    target: ImageReference,
    tag: str,
    platform: str,
    build_args: Mapping[str, str],
    login: RegistryLogin,
    console: Platform,
    work_dir: Path,
    client_factory: Callable[[str], Any] = _client,
) -> Built:
    """``docker build`` → ``docker push``; the digest from the push's own report."""
    tagged = target.with_tag(tag)
    log_path = work_dir / BUILD_LOG_NAME
    try:
        client = client_factory(engine_url)
    except Exception as exc:  # docker.errors.DockerException: no engine behind the socket
        raise DeployError(
            f"The project has a Dockerfile, but the Docker engine at {engine_url} does not "
            f"answer: {exc}",
            remediation=(
                "Start the engine (or fix DOCKER_HOST), or build the binary in an earlier step "
                "so it is laid onto a base image without Docker."
            ),
        ) from None
    try:
        with console.group(f"docker build {tagged} ({platform})"), log_path.open("w") as log:
            error = ""
            try:
                for chunk in client.api.build(
                    path=str(context),
                    dockerfile=str(dockerfile.relative_to(context)),
                    tag=str(tagged),
                    platform=platform,
                    buildargs=dict(build_args),
                    rm=True,
                    forcerm=True,
                    decode=True,
                ):
                    text = str(chunk.get("stream", "") or chunk.get("status", ""))
                    for line in text.splitlines():
                        log.write(line + "\n")
                        console.info(line)
                    if chunk.get("error"):
                        error = str(chunk.get("error"))
                        log.write(error + "\n")
            except Exception as exc:  # the SDK raises its own APIError/BuildError
                error = str(exc)
                log.write(error + "\n")
        if error:
            raise DeployError(
                f"`docker build` of {dockerfile.name} failed: {error.strip()}",
                remediation=(
                    "Fix the Dockerfile (the build output is above, its end below), or build "
                    "the binary in an earlier step and let the action lay it onto a base image."
                ),
                details=output_tail(log_path),
            )
        auth = None if login.anonymous else {"username": login.username, "password": login.password}
        digest = ""
        pushed = False
        with console.group(f"docker push {tagged}"):
            for chunk in client.api.push(
                target.name, tag=tag, stream=True, decode=True, auth_config=auth
            ):
                if chunk.get("error"):
                    raise RemoteApiError(
                        f"`docker push` of {tagged} was refused: {chunk['error']}",
                        remediation=(f"Check {login.source}: that it may push to {target.name}."),
                    )
                status = str(chunk.get("status", ""))
                if status == "Pushed":
                    pushed = True
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("Digest"):
                    digest = str(aux["Digest"])
                elif status and "id" not in chunk:
                    console.info(status)
        if not digest:
            raise RemoteApiError(
                f"`docker push` of {tagged} reported no digest.",
                remediation="Check the engine's log; the push may not have completed.",
                details=json.dumps({"engine": engine_url}),
            )
        return Built(digest=digest, tagged=tagged, pushed=pushed)
    finally:
        client.close()
