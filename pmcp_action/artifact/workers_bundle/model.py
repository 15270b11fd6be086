"""The Workers bundle's modules: their names, content types and bytes, and the bundle."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["CONTENT_TYPES", "ESM", "JS_TYPES", "WASM", "BundleModule", "ModuleBundle"]

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
#: The module types whose imports are followed.
JS_TYPES = frozenset({ESM, "application/javascript"})


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
