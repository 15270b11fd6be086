"""A fake GitHub Actions OIDC token endpoint that signs real RS256 JWTs.

It answers what the runner's ``ACTIONS_ID_TOKEN_REQUEST_URL`` answers::

    GET <base>/token?api-version=2.0&audience=<aud>
    Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>
    -> 200 {"value": "<jwt>"}

so the action is pointed at it with ``ACTIONS_ID_TOKEN_REQUEST_URL=<base>/token?api-version=2.0``
and ``ACTIONS_ID_TOKEN_REQUEST_TOKEN=<request_token>`` (default
:data:`DEFAULT_REQUEST_TOKEN`). It also serves ``/.well-known/openid-configuration``
and ``/.well-known/jwks``, so a fake cloud can verify what it receives, in process
with :meth:`FakeOidcIssuer.verify` or :func:`verify_token`, or across processes
through the JWKS.

All issuers in one process share one RSA key (generating one costs ~50 ms), so
a fake cloud in the same process verifies with :func:`verify_token` without
holding a reference to the issuer. :meth:`FakeOidcIssuer.mint_gitlab_token`
makes GitLab-style tokens for tests that set the GitLab ``id_tokens`` variable.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .emulators import Emulator, single_fake
from .server import FakeBase, json_response

__all__ = [
    "DEFAULT_REQUEST_TOKEN",
    "EMULATOR",
    "GITHUB_ISSUER",
    "GITLAB_ISSUER",
    "FakeOidcIssuer",
    "IssuedToken",
    "verify_token",
]

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.example.com"
#: What the fake expects in ``Authorization: Bearer …`` unless told otherwise.
DEFAULT_REQUEST_TOKEN = "fake-actions-id-token-request-token"
#: GitHub tokens live 5 minutes and are back-dated 5 minutes (nbf = iat - 300).
LIFETIME_SECONDS = 300


@functools.cache
def _shared_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _kid_for(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:40].upper()


def _x5t_for(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()


def verify_token(
    token: str,
    audience: str,
    *,
    issuer: str = GITHUB_ISSUER,
    key: rsa.RSAPrivateKey | None = None,
    leeway: float = 0,
) -> dict[str, Any]:
    """Verify a token from a fake issuer of this process (signature, aud, iss, exp, nbf).

    Raises ``jwt.InvalidTokenError`` (e.g. ``InvalidAudienceError``) like a real
    verifier would.
    """
    signing_key = key or _shared_key()
    header = jwt.get_unverified_header(token)
    if header.get("kid") != _kid_for(signing_key):
        raise jwt.InvalidTokenError(f"unknown kid {header.get('kid')!r}")
    claims: dict[str, Any] = jwt.decode(
        token,
        signing_key.public_key(),
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
        leeway=leeway,
        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub"]},
    )
    return claims


@dataclass(frozen=True)
class IssuedToken:
    audience: str
    token: str
    claims: Mapping[str, Any]


class FakeOidcIssuer(FakeBase):
    """GitHub Actions' OIDC token endpoint, with a stateful log of issued tokens."""

    name = "oidc"

    def __init__(
        self,
        *,
        issuer: str = GITHUB_ISSUER,
        request_token: str = DEFAULT_REQUEST_TOKEN,
        repository: str = "octo-org/octo-repo",
        ref: str = "refs/heads/main",
        sha: str = "8f2c1e4b6a9d3f7e0c5b2a1d4e6f8a9b0c1d2e3f",
        actor: str = "octocat",
        event_name: str = "push",
        workflow_file: str = "deploy.yml",
        environment: str | None = None,
        run_id: str = "9876543210",
        run_attempt: str = "1",
        extra_claims: Mapping[str, Any] | None = None,
        key: rsa.RSAPrivateKey | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.issuer = issuer
        self.request_token = request_token
        self.repository = repository
        self.ref = ref
        self.sha = sha
        self.actor = actor
        self.event_name = event_name
        self.workflow_file = workflow_file
        self.environment = environment
        self.run_id = run_id
        self.run_attempt = run_attempt
        self.extra_claims = dict(extra_claims or {})
        self.key = key or _shared_key()
        self.kid = _kid_for(self.key)
        self.clock = clock
        self.issued: list[IssuedToken] = []

    # --- state -------------------------------------------------------------------------
    @property
    def audiences(self) -> list[str]:
        """The audiences asked for, in order."""
        with self._lock:
            return [t.audience for t in self.issued]

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    def snapshot(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "audiences": self.audiences,
            "issued": len(self.issued),
            "jwks": self.jwks(),
        }

    def reset_state(self) -> None:
        self.issued.clear()

    # --- tokens --------------------------------------------------------------------------
    def github_claims(self, audience: str | None) -> dict[str, Any]:
        """The claims GitHub would put in a token for this run."""
        now = int(self.clock())
        if self.environment:
            sub = f"repo:{self.repository}:environment:{self.environment}"
        elif self.event_name == "pull_request":
            sub = f"repo:{self.repository}:pull_request"
        else:
            sub = f"repo:{self.repository}:ref:{self.ref}"
        workflow_ref = f"{self.repository}/.github/workflows/{self.workflow_file}@{self.ref}"
        ref_type = "tag" if self.ref.startswith("refs/tags/") else "branch"
        claims: dict[str, Any] = {
            "jti": str(uuid.uuid4()),
            "sub": sub,
            "aud": audience or f"https://github.com/{self.owner}",
            "ref": self.ref,
            "sha": self.sha,
            "repository": self.repository,
            "repository_owner": self.owner,
            "repository_owner_id": "1000001",
            "repository_id": "2000002",
            "repository_visibility": "private",
            "run_id": self.run_id,
            "run_number": "42",
            "run_attempt": self.run_attempt,
            "runner_environment": "github-hosted",
            "actor_id": "3000003",
            "actor": self.actor,
            "workflow": "Deploy",
            "head_ref": "",
            "base_ref": "",
            "event_name": self.event_name,
            "ref_protected": "true" if ref_type == "branch" else "false",
            "ref_type": ref_type,
            "workflow_ref": workflow_ref,
            "workflow_sha": self.sha,
            "job_workflow_ref": workflow_ref,
            "job_workflow_sha": self.sha,
            "iss": self.issuer,
            "nbf": now - LIFETIME_SECONDS,
            "exp": now + LIFETIME_SECONDS,
            "iat": now,
        }
        if self.environment:
            claims["environment"] = self.environment
        claims.update(self.extra_claims)
        return claims

    def mint(self, claims: Mapping[str, Any]) -> str:
        """Sign arbitrary claims with this issuer's key (RS256, kid, x5t)."""
        headers = {"kid": self.kid, "x5t": _x5t_for(self.key), "typ": "JWT"}
        return jwt.encode(dict(claims), self.key, algorithm="RS256", headers=headers)

    def issue(self, audience: str | None) -> str:
        """Mint a GitHub token as the endpoint does, and record it."""
        claims = self.github_claims(audience)
        token = self.mint(claims)
        with self._lock:
            self.issued.append(IssuedToken(claims["aud"], token, claims))
        return token

    def mint_gitlab_token(
        self,
        audience: str | list[str],
        *,
        issuer: str = GITLAB_ISSUER,
        project_path: str = "group/project",
        ref: str = "main",
        ref_type: str = "branch",
        pipeline_source: str = "push",
        environment: str | None = None,
        **extra: Any,
    ) -> str:
        """A token like GitLab puts in an ``id_tokens:`` variable (ref without refs/heads/)."""
        now = int(self.clock())
        namespace = project_path.rsplit("/", 1)[0]
        ref_path = f"refs/{'heads' if ref_type == 'branch' else 'tags'}/{ref}"
        claims: dict[str, Any] = {
            "namespace_id": "72",
            "namespace_path": namespace,
            "project_id": "20",
            "project_path": project_path,
            "user_id": "5",
            "user_login": "gitlab-user",
            "user_email": "gitlab-user@example.com",
            "user_access_level": "maintainer",
            "pipeline_id": "1212",
            "pipeline_source": pipeline_source,
            "job_id": "3434",
            "ref": ref,
            "ref_type": ref_type,
            "ref_path": ref_path,
            "ref_protected": "true",
            "runner_id": 1,
            "runner_environment": "gitlab-hosted",
            "sha": self.sha,
            "project_visibility": "private",
            "ci_config_ref_uri": f"gitlab.example.com/{project_path}//.gitlab-ci.yml@{ref_path}",
            "ci_config_sha": self.sha,
            "jti": str(uuid.uuid4()),
            "iss": issuer,
            "iat": now,
            "nbf": now - 5,
            "exp": now + LIFETIME_SECONDS,
            "sub": f"project_path:{project_path}:ref_type:{ref_type}:ref:{ref}",
            "aud": audience,
        }
        if environment:
            claims["environment"] = environment
            claims["environment_protected"] = "false"
            claims["deployment_tier"] = "production" if environment.startswith("prod") else "other"
        claims.update(extra)
        return self.mint(claims)

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "x5t": _x5t_for(self.key), "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def verify(
        self, token: str, audience: str, *, issuer: str | None = None, leeway: float = 0
    ) -> dict[str, Any]:
        """Verify a token as a relying cloud would; returns its claims."""
        return verify_token(
            token, audience, issuer=issuer or self.issuer, key=self.key, leeway=leeway
        )

    # --- HTTP ---------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rstrip("/")
        if request.method != "GET":
            return json_response(405, {"message": "Method Not Allowed"})
        if path.endswith("/.well-known/openid-configuration"):
            return json_response(200, self._discovery(request))
        if path.endswith("/.well-known/jwks"):
            return json_response(200, self.jwks())
        if path.endswith(("/token", "/idtoken")):  # the real runner URL ends in /idtoken
            return self._token(request)
        return json_response(404, {"message": "Not Found"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or credential.strip() != self.request_token:
            return json_response(401, {"message": "Unauthorized"})
        if "api-version" not in request.url.params:
            return json_response(400, {"message": "The api-version query parameter is required."})
        audience = request.url.params.get("audience") or None
        return json_response(200, {"value": self.issue(audience)})

    def _discovery(self, request: httpx.Request) -> dict[str, Any]:
        base = str(request.url.copy_with(query=None)).removesuffix(
            "/.well-known/openid-configuration"
        )
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{base}/.well-known/jwks",
            "subject_types_supported": ["public", "pairwise"],
            "response_types_supported": ["id_token"],
            "claims_supported": [
                "sub",
                "aud",
                "exp",
                "iat",
                "iss",
                "jti",
                "nbf",
                "ref",
                "repository",
                "repository_id",
                "repository_owner",
                "repository_owner_id",
                "run_id",
                "run_number",
                "run_attempt",
                "actor",
                "actor_id",
                "workflow",
                "workflow_ref",
                "workflow_sha",
                "head_ref",
                "base_ref",
                "event_name",
                "ref_type",
                "environment",
                "job_workflow_ref",
                "job_workflow_sha",
                "repository_visibility",
                "runner_environment",
            ],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"],
        }


#: ``serve oidc``: GitHub's token endpoint, reached as a runner reaches it.
EMULATOR = Emulator(
    name="oidc",
    summary="GitHub Actions' OIDC token endpoint (RS256 ID tokens, JWKS)",
    start=single_fake(
        "oidc",
        FakeOidcIssuer,
        env=lambda url: {
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{url}/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DEFAULT_REQUEST_TOKEN,
        },
    ),
)
