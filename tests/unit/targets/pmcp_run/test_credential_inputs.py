"""The credential inputs read offline: a JWT's expiry, a credentials.toml's content."""

from __future__ import annotations

import base64
import json
import time

from pmcp_action.targets.pmcp_run.credential_inputs import jwt_expiry


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.c2ln"


def test_jwt_expiry_reads_exp_and_ignores_opaque_tokens() -> None:
    assert jwt_expiry(_jwt({"exp": 2_000_000_000})).timestamp() == 2_000_000_000  # type: ignore[union-attr]
    assert jwt_expiry("opaque") is None
    assert jwt_expiry(_jwt({"sub": "no-exp"})) is None
    assert jwt_expiry("a.%%%.c") is None
    assert jwt_expiry(_jwt({"exp": time.time() - 1})).timestamp() < time.time()  # type: ignore[union-attr]
