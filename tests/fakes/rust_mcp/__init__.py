"""A std-only Rust MCP server stand-in (``main.rs``) and its build helper.

:func:`build_standin` compiles it once per source digest into a cache directory with
``rustc`` (x86_64, no crates): a real, dynamically linked glibc binary.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

__all__ = ["SOURCE", "build_standin", "place_standin", "rustc_problem"]

SOURCE = Path(__file__).with_name("main.rs")
_CACHE = Path(__file__).resolve().parents[3] / ".cache" / "rust-standin"


def rustc_problem() -> str | None:
    return None if shutil.which("rustc") else "rustc is not on PATH"


def build_standin(name: str = "rust-standin") -> Path:
    """The compiled stand-in, named ``name`` (built once per source digest)."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    out = _CACHE / digest / name
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_suffix(".part")
        subprocess.run(
            ["rustc", "--edition", "2021", "-O", "-o", str(part), str(SOURCE)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        part.replace(out)
    return out


def place_standin(binary: Path, name: str, trailer: bytes = b"") -> Path:
    """The stand-in, named ``name``, written executable at ``binary`` (where a release build
    puts it); ``trailer`` appended makes another image of the same server."""
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_bytes(build_standin(name).read_bytes() + trailer)
    binary.chmod(0o755)
    return binary
