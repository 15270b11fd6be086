"""The Workers bundle kind, its modules, and the platform's limits."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "CONTENT_TYPES",
    "ESM",
    "WASM",
    "WORKERS_COMPRESSED_LIMIT",
    "WORKERS_FREE_COMPRESSED_LIMIT",
    "WORKERS_UNCOMPRESSED_LIMIT",
    "BundleModule",
    "ModuleBundle",
    "WorkersBundle",
]

_MIB = 1024 * 1024
ESM = "application/javascript+module"
WASM = "application/wasm"

#: Module types by file extension, as the Workers upload API names them.
CONTENT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        ".js": ESM,
        ".mjs": ESM,
        ".cjs": "application/javascript",
        ".wasm": WASM,
        ".txt": "text/plain",
        ".html": "text/plain",
        ".bin": "application/octet-stream",
    }
)

#: The Workers Paid plan's limit on the gzip-compressed upload.
WORKERS_COMPRESSED_LIMIT = 10 * _MIB
#: The Workers Free plan's limit on the gzip-compressed upload (a warning only).
WORKERS_FREE_COMPRESSED_LIMIT = 3 * _MIB
#: The limit on the uncompressed upload.
WORKERS_UNCOMPRESSED_LIMIT = 64 * _MIB


@dataclass(frozen=True)
class WorkersBundle:
    """The artifact kind a Workers target asks for: an ES-module bundle.

    The defaults are where ``cargo pmcp deploy init --target cloudflare-workers``
    puts the adapter crate and where its ``worker-build`` writes the bundle.
    """

    crate_dir: str = "deploy/cloudflare"
    build_dir: str = "deploy/cloudflare/build"
    compressed_limit: int = WORKERS_COMPRESSED_LIMIT
    free_compressed_limit: int = WORKERS_FREE_COMPRESSED_LIMIT
    uncompressed_limit: int = WORKERS_UNCOMPRESSED_LIMIT


@dataclass(frozen=True)
class BundleModule:
    """One uploaded module: its name (as the imports spell it), type and bytes."""

    name: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ModuleBundle:
    """The main module first, then every module reached from it."""

    modules: tuple[BundleModule, ...]
    #: "current" (index.js + index_bg.wasm), "legacy" (worker/shim.mjs + index.wasm) or "file".
    layout: str
    #: Where it came from, for messages ("deploy/cloudflare/build", "input 'artifact'").
    source: str

    @property
    def main_module(self) -> str:
        return self.modules[0].name

    @property
    def size(self) -> int:
        return sum(module.size for module in self.modules)

    @property
    def compressed_size(self) -> int:
        """What the platform's limit counts: the modules gzip-compressed."""
        return sum(len(gzip.compress(m.data, compresslevel=6, mtime=0)) for m in self.modules)

    @property
    def sha256(self) -> str:
        """A digest of names, types and contents, in upload order."""
        digest = hashlib.sha256()
        for module in self.modules:
            digest.update(f"{module.name}\0{module.content_type}\0{module.sha256}\n".encode())
        return digest.hexdigest()
