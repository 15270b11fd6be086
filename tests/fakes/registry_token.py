"""A Docker-registry token service: ``GET /token?service=…&scope=…`` with Basic credentials
answers ``{"token": <JWT>}`` that a real ``docker-registry`` (``auth: token``) accepts.

The JWT is RS256, signed with a throwaway key whose self-signed certificate travels in the
``x5c`` header and is the registry's ``rootcertbundle``. The credentials it accepts are a
target's login shape, e.g. Artifact Registry's ``oauth2accesstoken`` + an access token.
"""

from __future__ import annotations

import base64
import datetime
import itertools
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.fakes.server import FakeBase, json_response

__all__ = ["FakeRegistryTokenServer"]


class FakeRegistryTokenServer(FakeBase):
    name = "registry-token"

    def __init__(
        self,
        *,
        service: str = "pmcp-test-registry",
        issuer: str = "pmcp-test-issuer",
        username: str = "oauth2accesstoken",
        password: str = "ya29.fake-google-access-token",
    ) -> None:
        super().__init__()
        self.service = service
        self.issuer = issuer
        self.username = username
        self.password = password
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pmcp test token signer")])
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self._ids = itertools.count(1)
        #: Scopes granted, one list per token issued.
        self.granted: list[list[str]] = []

    def write_bundle(self, path: Path) -> Path:
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return path

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/token":
            return json_response(404, {"errors": [{"code": "NOT_FOUND", "message": "no"}]})
        header = request.headers.get("Authorization", "")
        user, _, password = (
            base64.b64decode(header[6:]).decode().partition(":")
            if header.startswith("Basic ")
            else ("", "", "")
        )
        if (user, password) != (self.username, self.password):
            return json_response(
                401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}
            )
        scopes = request.url.params.get_list("scope")
        return json_response(200, {"token": self.sign(user, scopes), "expires_in": 300})

    def sign(self, user: str, scopes: list[str], *, audience: str = "") -> str:
        """A JWT granting ``scopes`` that the registry (``rootcertbundle``) accepts."""
        self.granted.append(scopes)
        access: list[dict[str, Any]] = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user,
            "aud": audience or self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": f"jti-{next(self._ids)}",
            "access": access,
        }
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return jwt.encode(
            claims,
            self._key,
            algorithm="RS256",
            headers={"x5c": [base64.b64encode(der).decode()]},
        )
