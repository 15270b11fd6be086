"""The Workers platform's size limits, and the checks against them: each module from its
size on disk before it is read, the modules read so far, the whole bundle compressed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ...ci.base import Platform
from ...errors import ConfigError
from ..common import MIB, mib
from .model import ModuleBundle

__all__ = [
    "WORKERS_COMPRESSED_LIMIT",
    "WORKERS_FREE_COMPRESSED_LIMIT",
    "WORKERS_UNCOMPRESSED_LIMIT",
    "Limits",
    "check_bundle",
    "check_module_size",
    "check_running_size",
]

#: The Workers Paid plan's limit on the gzip-compressed upload.
WORKERS_COMPRESSED_LIMIT = 10 * MIB
#: The Workers Free plan's limit on the gzip-compressed upload (a warning only).
WORKERS_FREE_COMPRESSED_LIMIT = 3 * MIB
#: The limit on the uncompressed upload.
WORKERS_UNCOMPRESSED_LIMIT = 64 * MIB

_FIX = (
    'Build the wasm smaller: [profile.release] opt-level = "z", lto = true, '
    "codegen-units = 1, strip = true (cargo-pmcp's adapter does), and drop unused "
    "dependencies."
)


class Limits(Protocol):
    """What a kind allows (the :class:`~.kind.WorkersBundle` fields)."""

    @property
    def compressed_limit(self) -> int: ...
    @property
    def free_compressed_limit(self) -> int: ...
    @property
    def uncompressed_limit(self) -> int: ...


def _largest(modules: Sequence[tuple[str, int]]) -> str:
    return "Largest modules:\n" + "\n".join(
        f"- {name}: {mib(size)} ({size} bytes)"
        for name, size in sorted(modules, key=lambda m: m[1], reverse=True)[:5]
    )


def check_module_size(size: int, label: str, limits: Limits) -> None:
    """Refuse one module from its size on disk, before any of it is read."""
    limit = limits.uncompressed_limit
    if size <= limit:
        return
    raise ConfigError(
        f"{label} is {mib(size)} ({size} bytes), above the Workers limit of {mib(limit)} "
        f"({limit} bytes) for a whole bundle uncompressed; it was not read.",
        remediation=_FIX,
    )


def check_running_size(modules: Sequence[tuple[str, int]], limits: Limits) -> None:
    """Refuse the bundle once the modules found so far (the last one not read yet) are
    above the uncompressed limit together."""
    total = sum(size for _, size in modules)
    limit = limits.uncompressed_limit
    if total <= limit:
        return
    raise ConfigError(
        f"The Workers bundle reaches {mib(total)} ({total} bytes) uncompressed with "
        f"{modules[-1][0]}, above the platform's {mib(limit)} limit; {modules[-1][0]} and "
        "what it imports were not read, and nothing was uploaded.",
        details=_largest(modules),
        remediation=_FIX,
    )


def check_bundle(bundle: ModuleBundle, limits: Limits, console: Platform) -> None:
    """The whole bundle: uncompressed, then gzip-compressed (Paid, then Free with a warning)."""
    listing = _largest([(m.name, m.size) for m in bundle.modules])
    if bundle.size > limits.uncompressed_limit:
        raise ConfigError(
            f"The Workers bundle is {mib(bundle.size)} ({bundle.size} bytes) uncompressed, "
            f"above the platform's {mib(limits.uncompressed_limit)} limit; nothing was "
            "uploaded.",
            details=listing,
            remediation=_FIX,
        )
    compressed = bundle.compressed_size
    if compressed > limits.compressed_limit:
        raise ConfigError(
            f"The Workers bundle is {mib(compressed)} ({compressed} bytes) gzip-compressed, "
            f"above the Workers Paid limit of {mib(limits.compressed_limit)}; nothing was "
            "uploaded.",
            details=listing,
            remediation=_FIX,
        )
    if compressed > limits.free_compressed_limit:
        console.warning(
            f"The Workers bundle is {mib(compressed)} gzip-compressed: above the Free plan's "
            f"{mib(limits.free_compressed_limit)} limit (accounts on Workers Paid allow "
            f"{mib(limits.compressed_limit)}).",
            title="Workers bundle size",
        )
