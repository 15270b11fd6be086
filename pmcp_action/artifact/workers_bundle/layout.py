"""Where the bundle's main module is: either layout worker-build has produced, in its
output directory or in the ``artifact`` input."""

from __future__ import annotations

from pathlib import Path

from ...errors import ConfigError
from ..common import display
from ..locate import locate_input
from ..workspace import Bounds
from .model import CONTENT_TYPES, JS_TYPES

__all__ = ["detect_layout", "from_input"]

_EXPECTED_INPUT = (
    "worker-build's output directory (deploy/cloudflare/build) or the bundle's main module "
    "(index.js)"
)


def _present(path: Path) -> bool:
    """Something that is not a directory is there (a FIFO too: it is refused when read)."""
    return path.exists() and not path.is_dir()


def detect_layout(directory: Path) -> tuple[str, Path] | None:
    """(layout, main module) of a worker-build output directory, or None.

    The current layout has ``index_bg.wasm`` beside ``index.js`` (``worker/shim.mjs``
    only re-exports it); the older one has ``worker/shim.mjs`` importing
    ``./index.wasm``.
    """
    if _present(directory / "index_bg.wasm") and _present(directory / "index.js"):
        return "current", directory / "index.js"
    if _present(directory / "worker" / "shim.mjs"):
        return "legacy", directory / "worker" / "shim.mjs"
    if _present(directory / "index.js"):
        return "current", directory / "index.js"
    return None


def from_input(path: Path, where: str, project_root: Path, bounds: Bounds) -> tuple[str, Path, str]:
    """(layout, main module, source) of the ``artifact`` input: a bundle directory or a
    main module; links out of ``bounds``, devices, FIFOs and sockets are refused."""
    shown = display(path, project_root)
    if not path.exists():
        raise ConfigError(
            f"{where}: {shown} does not exist.",
            remediation="Build the bundle first (`worker-build --release` in deploy/cloudflare) "
            "or fix the path.",
        )
    locate_input(project_root, path, expected=_EXPECTED_INPUT, bounds=bounds)
    if path.is_dir():
        found = detect_layout(path)
        if found is None:
            raise ConfigError(
                f"{where}: {shown} holds no Workers bundle (index.js + index_bg.wasm from "
                "worker-build, or worker/shim.mjs).",
                remediation="Point the artifact input at worker-build's output directory "
                "(deploy/cloudflare/build) or at its main module.",
            )
        return found[0], found[1], f"{where} ({shown})"
    if CONTENT_TYPES.get(path.suffix) not in JS_TYPES:
        raise ConfigError(
            f"{where}: {shown} is not a JavaScript module (.js, .mjs).",
            remediation="Point the artifact input at the bundle's main module (index.js) "
            "or at its directory.",
        )
    return "file", path, f"{where} ({shown})"
