"""A cloud's revisions run for real: the image a revision pulls from the test's registry
(Debian's ``docker-registry``) is pulled and run by the Docker engine on a loopback port, so
the action's verification speaks MCP to the deployed image. Shared by the targets whose
container and act runs push to that registry (azure-container-apps, google-cloud-run),
with the skopeo steps around it: the base image copied in, a pushed manifest read back.
"""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.registry import free_port

__all__ = ["RevisionRunner"]


@dataclass
class RevisionRunner:
    """Runs each pulled image with the Docker engine on loopback, the container's 8080
    published on 127.0.0.1.

    With ``port``, that one port serves the latest image (the container before it is
    removed): a single apps origin, as Azure's. With ``port=0`` every image gets a free port
    of its own and keeps it, named by :meth:`origin` — revisions side by side, as Cloud Run
    serves a tagged candidate beside the revision with the traffic.
    """

    registry: str
    docker_config: Path
    username: str
    password: str
    port: int = 0
    prefix: str = "pmcp-revision"
    containers: list[str] = field(default_factory=list)
    pulled: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Image -> the loopback port its container answers on.
    ports: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _docker(
        self, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        done = subprocess.run(
            ["docker", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, **(env or {}), "DOCKER_CONFIG": str(self.docker_config)},
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args[:2])}: {done.stderr.strip()[-500:]}")
        return done.stdout.strip()

    def login(self) -> None:
        """``docker login`` to the registry, in a config of the runner's own."""
        self.docker_config.mkdir(parents=True, exist_ok=True)
        self._docker(
            "login", self.registry, "-u", self.username, "--password-stdin", stdin=self.password
        )

    def on_pull(self, image: str, env: Mapping[str, str] | None = None) -> None:
        """A revision pulls ``image``: pull and run it (in the background, as a cloud does),
        with the revision's environment ``env`` (names on docker's command line, values
        only in its process environment)."""
        threading.Thread(target=self._run, args=(image, dict(env or {})), daemon=True).start()

    def origin(self, image: str) -> str | None:
        """Where ``image``'s container answers, once it runs (None before)."""
        port = self.ports.get(image)
        return f"http://127.0.0.1:{port}" if port else None

    def _run(self, image: str, env: Mapping[str, str]) -> None:
        with self._lock:
            if not self.port and image in self.ports:
                return
            try:
                self._docker("pull", "-q", image)
                if self.port:
                    for container in self.containers:
                        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
                port = self.port or free_port()
                name = f"{self.prefix}-{uuid.uuid4().hex[:10]}"
                names = [arg for variable in sorted(env) for arg in ("-e", variable)]
                self._docker(
                    "run",
                    "-d",
                    "--rm",
                    "--name",
                    name,
                    "-p",
                    f"127.0.0.1:{port}:8080",
                    *names,
                    image,
                    env=env,
                )
                self.containers.append(name)
                self.pulled.append(image)
                self.ports[image] = port
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                self.errors.append(f"{image}: {exc}")

    def stop(self) -> None:
        """Every container removed, every pulled image too."""
        with self._lock:
            for container in self.containers:
                subprocess.run(["docker", "rm", "-f", container], capture_output=True, timeout=60)
            for image in self.pulled:
                subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True)
