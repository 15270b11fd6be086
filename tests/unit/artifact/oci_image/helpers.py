"""Builders for the image-kind tests: a base image seeded into the fake registry, requests."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
from pathlib import Path

import httpx

from pmcp_action.artifact import ArtifactRequest
from pmcp_action.artifact.oci_image import OciImage, RegistryLogin
from pmcp_action.deadline import Deadline
from pmcp_action.http import HttpClientFactory
from tests.fakes.oci_registry import FakeOciRegistry
from tests.unit.artifact.helpers import config, new_console

HOST = "127.0.0.1:5000"
SHA = "0123456789abcdef0123456789abcdef01234567"
LOGIN = RegistryLogin("pusher", "s3cret-pw", source="registry-username")
#: A dynamically linked glibc executable every Debian machine has.
HOST_BINARY = Path(shutil.which("true") or "/bin/true")


_LAYERS: dict[tuple[tuple[str, bytes], ...], bytes] = {}


def layer_with(files: dict[str, bytes]) -> bytes:
    key = tuple(sorted(files.items()))
    if key not in _LAYERS:
        _LAYERS[key] = _layer(files)
    return _LAYERS[key]


def _layer(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=1, mtime=0)


def seed_base(
    fake: FakeOciRegistry,
    *,
    glibc_file: str = "usr/lib/x86_64-linux-gnu/libc.so.6",
    libc: bytes | None = None,
    repository: str = "base/debian",
    tag: str = "bookworm",
    architecture: str = "amd64",
) -> str:
    """A one-layer Docker-schema2 base holding a libc (the host's by default)."""
    if libc is None:
        libc = Path("/usr/lib/x86_64-linux-gnu/libc.so.6").read_bytes()
    layer = layer_with({"etc/os-release": b"ID=debian\n", glibc_file: libc})
    layer_digest = fake.add_blob(repository, layer)
    config_body = json.dumps(
        {
            "architecture": architecture,
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin:/bin", "PORT=1"], "Cmd": ["bash"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]},
        }
    ).encode()
    config_digest = fake.add_blob(repository, config_body)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": len(config_body),
                "digest": config_digest,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer),
                    "digest": layer_digest,
                }
            ],
        }
    ).encode()
    fake.add_manifest(
        repository, tag, manifest, "application/vnd.docker.distribution.manifest.v2+json"
    )
    return f"{HOST}/{repository}:{tag}"


def factory(fake: FakeOciRegistry, deadline: Deadline | None = None) -> HttpClientFactory:
    return HttpClientFactory(
        transport=httpx.MockTransport(fake), sleep=lambda _s: None, deadline=deadline
    )


def request(
    root: Path, artifact: Path | None = None, **environ: str
) -> tuple[ArtifactRequest, io.StringIO]:
    console, stream = new_console()
    work = root / "work"
    work.mkdir(parents=True, exist_ok=True)
    return ArtifactRequest(
        deadline=Deadline(600),
        project_root=root,
        artifact_input=artifact,
        config=config("calc"),
        work_dir=work,
        environ={"GITHUB_SHA": SHA, "GITHUB_REPOSITORY": "acme/calc", **environ},
        console=console,
    ), stream


def kind(fake: FakeOciRegistry, base: str, **overrides: object) -> OciImage:
    fields: dict[str, object] = {
        "repository": f"{HOST}/acme/calc",
        "login": LOGIN,
        "base_image": base,
        "http": factory(fake),
    }
    fields.update(overrides)
    return OciImage(**fields)  # type: ignore[arg-type]
