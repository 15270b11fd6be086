"""The base image of an assembly: its manifest for the platform, its config, and the
glibc it ships (read from ``libc.so.6`` in its layers, streamed, nothing stored)."""

from __future__ import annotations

import io
import json
import re
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...errors import DeployError
from .elf import read_elf_facts
from .reference import ImageReference
from .registry import DOCKER_LIST, OCI_INDEX, RegistryClient

__all__ = ["BaseImage", "base_glibc", "read_base"]

_LIBC = re.compile(
    r"^(?:\./)?(?:usr/)?lib(?:64|32)?/(?:[a-z0-9_]+-linux-gnu/)?"
    r"(?:libc\.so\.6|libc-(?P<major>\d+)\.(?P<minor>\d+)\.so)$"
)
_LIBC_MAX = 16 * 1024 * 1024


@dataclass(frozen=True)
class BaseImage:
    reference: ImageReference
    manifest: dict[str, Any]
    media_type: str
    digest: str
    config: dict[str, Any]

    @property
    def layers(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("layers", []))


def read_base(client: RegistryClient, reference: ImageReference, platform: str) -> BaseImage:
    """The base's manifest for ``platform`` (an index resolved) and its config."""
    repository = reference.repository
    manifest = client.get_manifest(repository, reference.reference)
    data = manifest.json()
    if manifest.media_type in (OCI_INDEX, DOCKER_LIST) or "manifests" in data:
        wanted_os, _, wanted_arch = platform.partition("/")
        chosen = None
        for entry in data.get("manifests", []):
            plat = entry.get("platform", {})
            if plat.get("os") == wanted_os and plat.get("architecture") == wanted_arch:
                chosen = entry
                break
        if chosen is None:
            offered = sorted(
                f"{e.get('platform', {}).get('os')}/{e.get('platform', {}).get('architecture')}"
                for e in data.get("manifests", [])
            )
            raise DeployError(
                f"The base image {reference} has no {platform} variant "
                f"(it offers {', '.join(offered) or 'none'}).",
                remediation="Pick a base image built for that platform (`base-image`).",
            )
        manifest = client.get_manifest(repository, str(chosen["digest"]))
        data = manifest.json()
    config_digest = str(data["config"]["digest"])
    with client.open_blob(repository, config_digest) as response:
        config = json.loads(response.read())
    arch = config.get("architecture")
    if arch and f"{config.get('os', 'linux')}/{arch}" != platform:
        raise DeployError(
            f"The base image {reference} is for {config.get('os')}/{arch}, not {platform}.",
            remediation="Pick a base image built for the platform (`base-image`).",
        )
    return BaseImage(reference, data, manifest.media_type, manifest.digest, config)


def base_glibc(client: RegistryClient, base: BaseImage) -> tuple[int, int] | None:
    """The newest ``GLIBC_x.y`` the base's ``libc.so.6`` defines; None when it has none."""
    for layer in base.layers:
        media_type = str(layer.get("mediaType", ""))
        if "zstd" in media_type:
            continue
        with client.open_blob(base.reference.repository, str(layer["digest"])) as response:
            found = _scan_layer(response.iter_bytes(), gzipped="gzip" in media_type)
        if found is not None:
            return found
    return None


class _StreamReader(io.RawIOBase):
    """A readable file over an iterator of (possibly gzip-compressed) bytes."""

    def __init__(self, chunks: Iterator[bytes], gzipped: bool) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                if self._inflate is not None:
                    self._buffer = self._inflate.flush()
                    self._inflate = None
                    if self._buffer:
                        break
                return 0
            self._buffer = self._inflate.decompress(chunk) if self._inflate else chunk
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def _scan_layer(chunks: Iterator[bytes], *, gzipped: bool) -> tuple[int, int] | None:
    stream = io.BufferedReader(_StreamReader(chunks, gzipped), buffer_size=256 * 1024)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                match = _LIBC.match(member.name)
                if match is None:
                    continue
                if match["major"]:
                    return int(match["major"]), int(match["minor"])
                if member.isfile() and member.size <= _LIBC_MAX:
                    handle = tar.extractfile(member)
                    if handle is None:
                        continue
                    try:
                        facts = read_elf_facts(io.BytesIO(handle.read()))
                    except ValueError:
                        continue
                    if facts.glibc:
                        return max(facts.glibc)
    except (tarfile.TarError, zlib.error, EOFError):
        return None
    return None
