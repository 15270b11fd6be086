"""A real registry for the image tests: Debian's ``docker-registry`` (distribution v2) on
127.0.0.1 with htpasswd auth, storage in a temp dir, stopped afterwards."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "LocalRegistry",
    "TokenAuth",
    "copy_into_registry",
    "free_port",
    "local_registry",
    "registry_manifest",
    "registry_problem",
]


def registry_problem() -> str | None:
    for tool in ("docker-registry", "htpasswd", "skopeo"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


@dataclass(frozen=True)
class LocalRegistry:
    host: str
    username: str
    password: str
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}"


@dataclass(frozen=True)
class TokenAuth:
    """The registry's ``auth: token`` settings (a realm such as the token-server fake's)."""

    realm: str
    service: str
    issuer: str
    bundle: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_registry(
    tmp: Path,
    username: str = "pusher",
    password: str = "s3cret-pw",
    *,
    token: TokenAuth | None = None,
    port: int = 0,
) -> Iterator[LocalRegistry]:
    """``docker-registry`` on 127.0.0.1 (``port``, else a free one): htpasswd auth, or
    ``token`` auth against a realm."""
    tmp.mkdir(parents=True, exist_ok=True)
    if token is None:
        htpasswd = tmp / "htpasswd"
        subprocess.run(
            ["htpasswd", "-Bbc", str(htpasswd), username, password],
            check=True,
            capture_output=True,
        )
        auth = f"auth: {{htpasswd: {{realm: pmcp-test, path: {htpasswd}}}}}\n"
    else:
        auth = (
            f"auth: {{token: {{realm: '{token.realm}', service: {token.service}, "
            f"issuer: {token.issuer}, rootcertbundle: {token.bundle}}}}}\n"
        )
    port = port or free_port()
    config = tmp / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log: {level: info}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}', secret: test-secret}}\n" + auth,
        encoding="utf-8",
    )
    log = tmp / "registry.log"
    with log.open("wb") as log_handle:
        process = subprocess.Popen(
            ["docker-registry", "serve", str(config)],
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=2).status_code == 401:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"docker-registry did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield LocalRegistry(f"127.0.0.1:{port}", username, password, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def copy_into_registry(image: str, reference: str, creds: str) -> None:
    """The Docker engine's ``image`` copied to ``reference`` in the registry (skopeo)."""
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            "--dest-creds",
            creds,
            f"docker-daemon:{image}",
            f"docker://{reference}",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def registry_manifest(reference: str, creds: str) -> dict[str, Any]:
    """The manifest of ``reference`` as skopeo reads it from the registry."""
    done = subprocess.run(
        [
            "skopeo",
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            creds,
            f"docker://{reference}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data
