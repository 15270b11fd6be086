"""Assembling an image without Docker: a base image plus one layer holding the binary.

Checks come first, before a byte is pushed: the binary is ELF for the platform, and a
dynamically linked glibc binary needs no ``GLIBC_x.y`` newer than the base's libc.
Then the reproducible layer is written, the config and manifest derived from the
base's, and everything pushed that the target repository does not have yet: base
layers mounted across repositories (same registry) or copied, our layer and config
uploaded, the manifest put last. An unchanged binary gives the same digests; when the
tag already names the same manifest nothing is uploaded at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ...ci.base import Platform
from ...errors import DeployError
from ..binary import ELF_MACHINE_NAMES
from ..common import display, mib
from .base import BaseImage, base_glibc, read_base
from .elf import ElfFacts, read_elf_facts
from .layer import Layer, write_binary_layer
from .model import PLATFORMS
from .reference import ImageReference
from .registry import DOCKER_MANIFEST, OCI_MANIFEST, RegistryClient

__all__ = [
    "IMAGE_PORT",
    "IMAGE_USER",
    "Assembled",
    "assemble_image",
    "check_binary",
    "check_glibc",
]

IMAGE_PORT = 8080
#: distroless's ``nonroot``; any base lets a numeric user run a binary mode 0755.
IMAGE_USER = "65532:65532"
_EPOCH = "1970-01-01T00:00:00Z"
_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


@dataclass(frozen=True)
class Assembled:
    digest: str
    tagged: ImageReference
    pushed: bool
    uploaded_bytes: int


def check_binary(binary: Path, shown: str, platform: str) -> ElfFacts:
    """The binary is a Linux ELF executable for ``platform``; its facts."""
    try:
        with binary.open("rb") as handle:
            facts = read_elf_facts(handle)
    except ValueError as exc:
        raise DeployError(
            f"{shown} is not a Linux executable ({exc}); an image runs an ELF binary.",
            remediation="Point `artifact` at the `cargo build --release` output for Linux.",
        ) from None
    want = PLATFORMS[platform]
    if facts.machine != want or not facts.is_64:
        got = ELF_MACHINE_NAMES.get(facts.machine, f"e_machine {facts.machine}")
        raise DeployError(
            f"{shown} is built for {got}, but the image platform is {platform}.",
            remediation=(
                f"Build for {platform} (e.g. `cargo build --release --target "
                f"{'x86_64' if want == 62 else 'aarch64'}-unknown-linux-gnu`), or set "
                "`platform` to match the binary."
            ),
        )
    return facts


def check_glibc(
    facts: ElfFacts, shown: str, base: ImageReference, base_version: tuple[int, int] | None
) -> None:
    """Refuse a glibc binary the base's libc cannot run (the "GLIBC_2.39 not found" trap)."""
    if not facts.dynamic or facts.musl or not facts.glibc:
        return
    needed = max(facts.glibc)
    need = f"GLIBC_{needed[0]}.{needed[1]}"
    if base_version is None:
        raise DeployError(
            f"{shown} is linked against glibc (it needs {need}), but the base image {base} "
            "has no glibc (no libc.so.6 in its layers).",
            remediation=(
                "Use a glibc base (the default distroless/cc-style image, debian:bookworm-slim), "
                "or build a static binary (`--target x86_64-unknown-linux-musl`)."
            ),
        )
    if needed > base_version:
        have = f"{base_version[0]}.{base_version[1]}"
        raise DeployError(
            f"{shown} needs {need}, but the base image {base} has glibc {have}: it would "
            f'crash at start with "version `{need}\' not found" after the deploy.',
            remediation=(
                f"Build in the base's distribution (e.g. a `rust:bookworm` container for a "
                f"glibc {have} base), build a static binary with musl "
                "(`--target x86_64-unknown-linux-musl`), or pick a base image with glibc "
                f"{needed[0]}.{needed[1]} or newer (`base-image` / [runtime].base)."
            ),
        )


def _config(
    base: BaseImage, layer: Layer, entrypoint: str, platform: str, labels: Mapping[str, str]
) -> dict[str, Any]:
    base_config = dict(base.config.get("config") or {})
    env = [e for e in base_config.get("Env") or [] if not str(e).startswith("PORT=")]
    env.append(f"PORT={IMAGE_PORT}")
    exposed = dict(base_config.get("ExposedPorts") or {})
    exposed[f"{IMAGE_PORT}/tcp"] = {}
    all_labels = dict(base_config.get("Labels") or {})
    all_labels.update(labels)
    config: dict[str, Any] = {
        "Env": env,
        "Entrypoint": [entrypoint],
        "Cmd": None,
        "ExposedPorts": exposed,
        "User": IMAGE_USER,
        "WorkingDir": base_config.get("WorkingDir") or "/",
        "Labels": all_labels,
    }
    os_name, _, arch = platform.partition("/")
    rootfs = dict(base.config.get("rootfs") or {"type": "layers", "diff_ids": []})
    history = list(base.config.get("history") or [])
    history.append({"created": _EPOCH, "created_by": f"pmcp-action: COPY {entrypoint}"})
    return {
        "architecture": arch,
        "os": os_name,
        "created": _EPOCH,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [*rootfs.get("diff_ids", []), layer.diff_id]},
        "history": history,
    }


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def assemble_image(
    *,
    binary: Path,
    shown: str,
    facts: ElfFacts,
    base: ImageReference,
    target: ImageReference,
    tag: str,
    platform: str,
    labels: Mapping[str, str],
    target_client: RegistryClient,
    base_client: RegistryClient,
    work_dir: Path,
    console: Platform,
) -> Assembled:
    """Check against the base, write the layer, push what is missing, put the manifest."""
    entrypoint = f"/usr/local/bin/{binary.name}"
    # The layer is compressed while the base is read and checked (zlib and the network both
    # leave the GIL); a refused base only throws the layer away: nothing is pushed before.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="layer") as pool:
        writing = pool.submit(
            write_binary_layer, binary, PurePosixPath(entrypoint), work_dir / "layer.tar.gz"
        )
        try:
            base_image = read_base(base_client, base, platform)
            if facts.dynamic and not facts.musl and facts.glibc:
                check_glibc(facts, shown, base, base_glibc(base_client, base_image))
        except BaseException:
            writing.cancel()
            raise
        layer = writing.result()
    console.info(f"Layer {layer.digest[:19]}… ({mib(layer.size)}): {shown} as {entrypoint}")
    docker = base_image.media_type == DOCKER_MANIFEST
    config = _canonical(_config(base_image, layer, entrypoint, platform, labels))
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    layers = [
        *base_image.layers,
        {
            "mediaType": _DOCKER_LAYER if docker else _OCI_LAYER,
            "size": layer.size,
            "digest": layer.digest,
        },
    ]
    manifest_doc: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
        "config": {
            "mediaType": _DOCKER_CONFIG if docker else _OCI_CONFIG,
            "size": len(config),
            "digest": config_digest,
        },
        "layers": layers,
    }
    manifest = _canonical(manifest_doc)
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    tagged = target.with_tag(tag)
    repository = target.repository

    if target_client.head_manifest(repository, tag) == digest:
        console.info(f"Image {tagged} is already {digest}: nothing to push (unchanged).")
        return Assembled(digest, tagged, pushed=False, uploaded_bytes=0)

    before = target_client.uploaded_bytes
    same_registry = base.registry == target.registry
    for entry in base_image.layers:
        blob = str(entry["digest"])
        if target_client.blob_exists(repository, blob):
            console.debug(f"Base layer {blob[:19]}… already in {repository}")
        elif same_registry and target_client.mount_blob(repository, blob, base.repository):
            console.info(f"Base layer {blob[:19]}… mounted from {base.repository}")
        else:
            _copy_blob(base_client, target_client, base.repository, repository, blob, work_dir)
            console.info(f"Base layer {blob[:19]}… copied from {base.name}")
    if target_client.blob_exists(repository, layer.digest):
        console.info(f"Layer {layer.digest[:19]}… already in {repository}: not uploaded")
    else:
        target_client.upload_file(repository, layer.digest, layer.path)
        console.info(f"Layer {layer.digest[:19]}… uploaded ({mib(layer.size)})")
    if not target_client.blob_exists(repository, config_digest):
        target_client.upload_bytes(repository, config_digest, config)
    stored = target_client.put_manifest(repository, tag, manifest, manifest_doc["mediaType"])
    if stored and stored != digest:
        raise DeployError(
            f"The registry stored the manifest of {tagged} as {stored}, not {digest}.",
            remediation="The registry rewrote the manifest; report this with the registry's name.",
        )
    layer.path.unlink(missing_ok=True)
    return Assembled(digest, tagged, True, target_client.uploaded_bytes - before)


def _copy_blob(
    source: RegistryClient,
    target: RegistryClient,
    source_repo: str,
    target_repo: str,
    digest: str,
    work_dir: Path,
) -> None:
    """A base layer from another registry: streamed to a file, checked, uploaded."""
    path = work_dir / f"blob-{digest.split(':')[-1][:16]}"
    hasher = hashlib.sha256()
    with source.open_blob(source_repo, digest) as response, path.open("wb") as out:
        for chunk in response.iter_bytes(1024 * 1024):
            hasher.update(chunk)
            out.write(chunk)
    if f"sha256:{hasher.hexdigest()}" != digest:
        raise DeployError(
            f"The base layer {digest[:19]}… read from {source.registry} does not match its digest.",
            remediation="Run again; if it persists, the base registry serves corrupt data.",
        )
    try:
        target.upload_file(target_repo, digest, path)
    finally:
        path.unlink(missing_ok=True)


def shown_path(path: Path, root: Path) -> str:
    return display(path, root)
