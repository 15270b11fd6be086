"""pmcp_action.artifact.digest: SHA-256 of files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pmcp_action.artifact import sha256_file
from tests.unit.artifact.helpers import write

# --- sha256 -----------------------------------------------------------------------------


def test_sha256_file_streams_large_files(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = write(tmp_path / "blob", data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
