"""Stand-in Lambda ``bootstrap`` binaries for tests and the local demo.

The real thing is a Rust binary built with ``cargo lambda build --release
--arm64``, which cannot be built on these machines (no aarch64 standard
library, no crates.io). The emulators never execute it, so a file that passes
the artifact checks (an ELF header for the right machine) is enough.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

__all__ = ["EM_AARCH64", "EM_X86_64", "EXAMPLE_PROJECT", "example_project", "stand_in_bootstrap"]

EM_AARCH64 = 183
EM_X86_64 = 62

#: The example server the demo and the end-to-end tests deploy.
EXAMPLE_PROJECT = Path(__file__).resolve().parents[2] / "examples" / "hello-mcp"


def stand_in_bootstrap(marker: bytes = b"", *, machine: int = EM_AARCH64, size: int = 0) -> bytes:
    """A 64-bit little-endian ELF header for ``machine``, then ``marker``, padded to ``size``."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHI", 2, machine, 1) + bytes(40)
    data = header + b"\0pmcp-test-bootstrap:" + marker
    if len(data) < size:
        data += bytes((i * 7 + 11) % 251 for i in range(size - len(data)))
    return data


def example_project(destination: Path, marker: bytes = b"example") -> Path:
    """A copy of examples/hello-mcp with a stand-in bootstrap where cargo-lambda puts it."""
    shutil.copytree(
        EXAMPLE_PROJECT, destination, ignore=shutil.ignore_patterns("target", "deployment.toml")
    )
    bootstrap = destination / "target" / "lambda" / "bootstrap" / "bootstrap"
    bootstrap.parent.mkdir(parents=True)
    bootstrap.write_bytes(stand_in_bootstrap(marker))
    bootstrap.chmod(0o755)
    return destination


#: Where cargo-lambda puts the bootstrap of a project's binary.
LAMBDA_OUTPUT = Path("target") / "lambda" / "bootstrap" / "bootstrap"


def write_stand_in_bootstrap(project: Path, marker: bytes = b"hello-mcp demo") -> str:
    """A stand-in arm64 bootstrap where cargo-lambda would put it; what was written."""
    path = project / LAMBDA_OUTPUT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stand_in_bootstrap(marker, size=256 * 1024))
    path.chmod(0o755)
    return f"stand-in Lambda bootstrap {path} ({path.stat().st_size} bytes)"
