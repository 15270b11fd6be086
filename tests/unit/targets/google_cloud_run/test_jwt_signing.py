"""The RS256 JWT a service-account key signs: byte for byte what cryptography signs; a key
that is not an unencrypted RSA key refused without quoting it."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pmcp_action.targets.google_cloud_run.failures import CredentialsError

from .helpers import DEPLOYER


@pytest.mark.parametrize(
    "fmt", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL]
)
def test_signer_matches_cryptography_byte_for_byte(fmt: serialization.PrivateFormat):
    from pmcp_action.targets.google_cloud_run.jwt_signing import sign_jwt

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    jwt = sign_jwt(pem.decode(), "kid1", {"iss": DEPLOYER, "aud": "x", "iat": 1, "exp": 2})
    signing_input, _, signature = jwt.rpartition(".")
    expected = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert base64.urlsafe_b64decode(signature + "==") == expected  # PKCS#1 v1.5 is deterministic
    header = json.loads(base64.urlsafe_b64decode(signing_input.split(".")[0] + "=="))
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "kid1"}


def test_signer_refuses_a_non_rsa_or_broken_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    from pmcp_action.targets.google_cloud_run.jwt_signing import sign_jwt

    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(CredentialsError, match="not an RSA key"):
        sign_jwt(ec_pem, "k", {})
    for broken in ("", "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----"):
        with pytest.raises(CredentialsError, match="not an unencrypted PEM RSA key") as caught:
            sign_jwt(broken, "k", {})
        assert "not base64" not in str(caught.value)
