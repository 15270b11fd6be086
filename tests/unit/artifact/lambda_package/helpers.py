"""What several Lambda package tests share: a fake secret, and the files that hold one."""

from __future__ import annotations

FAKE_SECRET = "AKIAPMCPFAKESECRET42"


CREDENTIALS = (
    f"[default]\naws_access_key_id = {FAKE_SECRET}\n"
    "aws_secret_access_key = pmcp/fake/SECRET/value/never/shown\n"
)
