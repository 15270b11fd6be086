"""tarball: block-gzip output is one valid gzip member, whatever its size."""

from __future__ import annotations

import gzip
import io
import os

import pytest

from pmcp_action.artifact.oci_image.layer import GZIP_BLOCK


@pytest.mark.parametrize("size", [0, 1, GZIP_BLOCK, 2 * GZIP_BLOCK + 7])
def test_block_gzip_is_one_valid_gzip_member(size: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from pmcp_action.artifact.tarball import BlockGzip, HashingWriter

    data = os.urandom(size // 2) + b"a" * (size - size // 2)
    out = io.BytesIO()
    with ThreadPoolExecutor(2) as pool:
        stream = BlockGzip(HashingWriter(out), pool)
        for start in range(0, size, 100_000):
            stream.write(data[start : start + 100_000])
        stream.close()
    assert gzip.decompress(out.getvalue()) == data
