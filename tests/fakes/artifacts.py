"""Stand-in Lambda ``bootstrap`` binaries for tests and the local demo.

The real thing is a Rust binary built with ``cargo lambda build --release
--arm64``, which cannot be built on these machines (no aarch64 standard
library, no crates.io). The emulators never execute it, so a file that passes
the artifact checks (an ELF header for the right machine) is enough.
"""

from __future__ import annotations

import struct

__all__ = ["EM_AARCH64", "EM_X86_64", "stand_in_bootstrap"]

EM_AARCH64 = 183
EM_X86_64 = 62


def stand_in_bootstrap(marker: bytes = b"", *, machine: int = EM_AARCH64, size: int = 0) -> bytes:
    """A 64-bit little-endian ELF header for ``machine``, then ``marker``, padded to ``size``."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHI", 2, machine, 1) + bytes(40)
    data = header + b"\0pmcp-test-bootstrap:" + marker
    if len(data) < size:
        data += bytes((i * 7 + 11) % 251 for i in range(size - len(data)))
    return data
