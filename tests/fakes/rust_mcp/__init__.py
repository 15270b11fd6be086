"""A std-only Rust MCP server stand-in (``main.rs``) and its build helper.

:func:`build_standin` compiles it once per source digest into a cache directory with
``rustc`` (x86_64, no crates): a real, dynamically linked glibc binary. :func:`serve_standin`
runs it on a loopback port.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SOURCE", "build_standin", "place_standin", "rustc_problem", "serve_standin"]

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


@contextlib.contextmanager
def serve_standin() -> Iterator[str]:
    """The stand-in listening on 127.0.0.1 (a free port); yields its MCP URL."""
    from ..mcp_servers import HOST, _wait_listening, unused_port

    port = unused_port()
    process = subprocess.Popen(
        [str(build_standin())],
        env={"HOST": HOST, "PORT": str(port)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, 10)
        yield f"http://{HOST}:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)
