"""Shared builders of the google-cloud-run tests."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["service_account_key"]


def service_account_key(email: str) -> tuple[str, bytes]:
    """A key JSON for ``email`` and its PEM public key (what the fake checks signatures with)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    text = json.dumps(
        {
            "type": "service_account",
            "project_id": "demo-project",
            "private_key_id": "kid-1",
            "private_key": pem,
            "client_email": email,
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )
    return text, public
