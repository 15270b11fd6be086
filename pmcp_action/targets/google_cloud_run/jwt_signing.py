"""An RS256 JWT signed with a service-account key, as the JWT-bearer grant needs it.

Signed with the pure-Python ``rsa`` package (with ``pyasn1`` for PKCS#8), imported only on
this path: a few hundred kB instead of cryptography's 16 MB in the action image.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from .failures import CredentialsError

__all__ = ["sign_jwt"]

#: The PKCS#8 algorithm identifier of an RSA key.
_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _rsa_key(key_pem: str) -> Any:
    """The RSA key of a PEM ``PRIVATE KEY`` (PKCS#8, as Google issues) or ``RSA PRIVATE KEY``."""
    import rsa  # pure Python (with pyasn1): a few hundred kB instead of cryptography's 16 MB
    from pyasn1.codec.der import decoder
    from pyasn1.error import PyAsn1Error

    text = key_pem.strip()
    try:
        if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):
            return rsa.PrivateKey.load_pkcs1(text.encode(), format="PEM")
        if text.startswith("-----BEGIN PRIVATE KEY-----"):
            body = "".join(text.splitlines()[1:-1])
            info, _rest = decoder.decode(base64.b64decode(body, validate=True))
            # PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET STRING }
            if str(info[1][0]) != _RSA_ENCRYPTION:
                raise CredentialsError("the service-account key's private_key is not an RSA key")
            return rsa.PrivateKey.load_pkcs1(bytes(info[2]), format="DER")
    except CredentialsError:
        raise
    except (ValueError, TypeError, IndexError, PyAsn1Error):
        pass
    raise CredentialsError(
        "the service-account key's private_key is not an unencrypted PEM RSA key",
        remediation="create a new JSON key for the service account",
    )


def sign_jwt(key_pem: str, key_id: str, claims: Mapping[str, Any]) -> str:
    """An RS256 JWT: the signature is RSASSA-PKCS1-v1_5 over SHA-256 of header.claims."""
    import rsa

    key = _rsa_key(key_pem)
    header = {"alg": "RS256", "typ": "JWT", "kid": key_id}
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(dict(claims), separators=(",", ":")).encode())
    )
    signature = rsa.sign(signing_input.encode(), key, "SHA-256")
    return f"{signing_input}.{_b64(signature)}"
