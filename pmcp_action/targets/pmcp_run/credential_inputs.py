"""The pmcp.run credential inputs, read and checked offline: exactly one kind, usable.

Three kinds are accepted, in cargo-pmcp's order; exactly one may be given:

1. ``pmcp-client-id`` + ``pmcp-client-secret``: a machine client for the OAuth2
   client-credentials grant;
2. ``pmcp-access-token``: used as is; a JWT whose ``exp`` has passed is refused before any
   request;
3. ``pmcp-credentials``: the *content* of ``~/.pmcp/credentials.toml`` (``[pmcp-run]``
   access/refresh/id token and ``expires_at``), refreshed when expired.

pmcp.run documents no OIDC federation, so ``auth: oidc`` is refused with that explanation.
``auth: ambient`` is a person's own sign-in: the file ``cargo pmcp deploy login`` writes
(:func:`read_ambient_file`), read as if it were ``pmcp-credentials``. Messages name inputs,
keys and lines, never a token's value; a missing-credentials message has a CI form and a
terminal form (:class:`~pmcp_action.credential_hint.CredentialHint`).
"""

from __future__ import annotations

import base64
import binascii
import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from types import MappingProxyType

from ...credential_hint import CredentialHint, github_secret
from ...errors import Problem
from ...oidc import GITHUB_PLATFORM
from .declaration import DECLARATION
from .failures import CREATE_CLIENT_HELP

__all__ = [
    "AMBIENT_FILE",
    "EXPIRY_SKEW_SECONDS",
    "CredentialChoice",
    "CredentialInputs",
    "CredentialKind",
    "MISSING_HINT",
    "StoredTokens",
    "choose_credentials",
    "credential_problems",
    "expired",
    "jwt_expiry",
    "parse_credentials_file",
    "read_ambient_file",
]

#: Where cargo-pmcp keeps a person's pmcp.run sign-in, under their home directory.
AMBIENT_FILE = Path(".pmcp") / "credentials.toml"
#: A credentials.toml holds three tokens: a few kB.
_MAX_AMBIENT_FILE = 64 * 1024
#: What to do when no credentials were given: CI's secrets, or a person's own sign-in.
MISSING_HINT = CredentialHint(ci=CREATE_CLIENT_HELP, terminal=DECLARATION.terminal)
_SECRET_HINT = CredentialHint(
    ci="set pmcp-client-secret (PMCP_CLIENT_SECRET) from a secret, e.g. "
    + github_secret("PMCP_CLIENT_SECRET"),
    gitlab="set the masked CI/CD variable PMCP_CLIENT_SECRET to the app client's secret",
    terminal="export PMCP_CLIENT_SECRET with the app client's secret",
)

#: Refresh (or refuse) tokens this close to their expiry.
EXPIRY_SKEW_SECONDS = 60.0


class CredentialKind(Enum):
    CLIENT_CREDENTIALS = "client credentials"
    ACCESS_TOKEN = "access token"
    CREDENTIALS_FILE = "credentials file"


@dataclass(frozen=True)
class CredentialInputs:
    """The credential inputs as given, with where each came from (for messages)."""

    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    credentials: str = field(default="", repr=False)
    auth: str = ""
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Where the run is (:attr:`~pmcp_action.ci.Platform.name`): a CI job's messages suggest
    #: its secrets, a person's terminal their own sign-in.
    platform: str = GITHUB_PLATFORM

    def source(self, name: str) -> str:
        return self.sources.get(name, f"input '{name}'")


@dataclass(frozen=True)
class StoredTokens:
    """The ``[pmcp-run]`` table of a credentials.toml."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    id_token: str = field(default="", repr=False)
    expires_at: datetime | None = None


@dataclass(frozen=True)
class CredentialChoice:
    """The one credential kind this run uses, with its (masked) material."""

    kind: CredentialKind
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    stored: StoredTokens | None = None

    @property
    def identity(self) -> str:
        """Who acts, for the summary: never a secret."""
        if self.kind is CredentialKind.CLIENT_CREDENTIALS:
            return f"client {self.client_id}"
        if self.kind is CredentialKind.ACCESS_TOKEN:
            return "access token"
        return "credentials file"


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT (unverified), or None for an opaque token."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None
    if not isinstance(claims, dict):
        return None
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    return datetime.fromtimestamp(float(exp), tz=UTC)


def expired(moment: datetime | None, now: float) -> bool:
    """Whether a token expiring at ``moment`` is (nearly) expired at ``now``."""
    return moment is not None and moment.timestamp() <= now + EXPIRY_SKEW_SECONDS


def _parse_time(value: object, where: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{where} is not an RFC 3339 time ({value[:40]!r})") from exc
    else:
        raise ValueError(f"{where} must be an RFC 3339 time string")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_credentials_file(content: str) -> StoredTokens:
    """Parse credentials.toml content; raise ValueError with a safe message.

    Messages never quote token values: they name keys and lines only.
    """
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message names a line and column, never the values.
        raise ValueError(f"it is not valid TOML ({exc})") from None
    table = data.get("pmcp-run")
    if not isinstance(table, dict):
        raise ValueError("it has no [pmcp-run] table")
    access_token = table.get("access_token")
    if not isinstance(access_token, str) or not access_token.strip():
        raise ValueError("[pmcp-run].access_token is missing or empty")
    refresh_token = table.get("refresh_token", "")
    id_token = table.get("id_token", "")
    if not isinstance(refresh_token, str):
        raise ValueError("[pmcp-run].refresh_token must be a string")
    if not isinstance(id_token, str):
        raise ValueError("[pmcp-run].id_token must be a string")
    expires_at = None
    if "expires_at" in table:
        expires_at = _parse_time(table["expires_at"], "[pmcp-run].expires_at")
    return StoredTokens(
        access_token=access_token.strip(),
        refresh_token=refresh_token.strip(),
        id_token=id_token.strip(),
        expires_at=expires_at,
    )


def _given_kinds(given: CredentialInputs) -> list[tuple[CredentialKind, str]]:
    kinds: list[tuple[CredentialKind, str]] = []
    if given.client_id.strip() or given.client_secret.strip():
        where = " + ".join(
            given.source(name)
            for name, value in (
                ("pmcp-client-id", given.client_id),
                ("pmcp-client-secret", given.client_secret),
            )
            if value.strip()
        )
        kinds.append((CredentialKind.CLIENT_CREDENTIALS, where))
    if given.access_token.strip():
        kinds.append((CredentialKind.ACCESS_TOKEN, given.source("pmcp-access-token")))
    if given.credentials.strip():
        kinds.append((CredentialKind.CREDENTIALS_FILE, given.source("pmcp-credentials")))
    return kinds


_UNSUPPORTED_AUTH = {
    "oidc": "pmcp.run has no documented OIDC federation",
}


def credential_problems(given: CredentialInputs, *, now: float) -> list[Problem]:
    """Offline checks of the pmcp.run credential inputs (no network)."""
    reason = _UNSUPPORTED_AUTH.get(given.auth)
    if reason is not None:
        return [
            Problem(
                given.source("auth"),
                f"{reason}, so auth: {given.auth} cannot be used with the pmcp-run target",
                "set auth to auto or secrets and give pmcp.run credentials. " + CREATE_CLIENT_HELP,
            )
        ]
    kinds = _given_kinds(given)
    if not kinds:
        return [
            Problem(
                "pmcp.run credentials",
                "none were given (pmcp-client-id/pmcp-client-secret, pmcp-access-token or "
                "pmcp-credentials)",
                MISSING_HINT.form(given.platform),
            )
        ]
    if len(kinds) > 1:
        listed = "; ".join(f"{kind.value} from {where}" for kind, where in kinds)
        return [
            Problem(
                "pmcp.run credentials",
                f"{len(kinds)} kinds were given at once ({listed})",
                "keep exactly one and remove the others. " + CREATE_CLIENT_HELP,
            )
        ]
    kind, where = kinds[0]
    if kind is CredentialKind.CLIENT_CREDENTIALS:
        return _client_problems(given, where)
    if kind is CredentialKind.ACCESS_TOKEN:
        expiry = jwt_expiry(given.access_token.strip())
        if expiry is not None and expiry.timestamp() <= now:
            return [
                Problem(
                    where,
                    f"the pmcp.run access token expired at {expiry.isoformat()}",
                    "access tokens live about an hour; use client credentials "
                    "(pmcp-client-id/pmcp-client-secret) in CI instead, or mint a fresh token",
                )
            ]
        return []
    return _file_problems(given, where, now)


def _client_problems(given: CredentialInputs, where: str) -> list[Problem]:
    problems: list[Problem] = []
    if not given.client_id.strip():
        problems.append(
            Problem(
                where,
                "pmcp-client-secret is set but pmcp-client-id is not",
                "set pmcp-client-id (PMCP_CLIENT_ID) to the app client's id",
            )
        )
    if not given.client_secret.strip():
        problems.append(
            Problem(
                where,
                "pmcp-client-id is set but pmcp-client-secret is not",
                _SECRET_HINT.form(given.platform),
            )
        )
    return problems


def _file_problems(given: CredentialInputs, where: str, now: float) -> list[Problem]:
    try:
        stored = parse_credentials_file(given.credentials)
    except ValueError as exc:
        return [
            Problem(
                where,
                f"the credentials.toml content is malformed: {exc}",
                "paste the whole content of ~/.pmcp/credentials.toml (with its [pmcp-run] "
                "table) into the secret, or use client credentials instead",
            )
        ]
    if expired(stored.expires_at or jwt_expiry(stored.access_token), now) and (
        not stored.refresh_token
    ):
        return [
            Problem(
                where,
                "the stored access token has expired and there is no refresh_token to renew it",
                "log in again with `cargo pmcp deploy login --target pmcp-run` and update the "
                "secret, or use client credentials instead",
            )
        ]
    return []


def choose_credentials(given: CredentialInputs, *, mask: Callable[[str], None]) -> CredentialChoice:
    """The one kind of inputs without problems (:func:`credential_problems` found none),
    every secret in it masked."""
    for secret in (given.client_secret, given.access_token, given.credentials):
        mask(secret.strip())
    kind, _ = _given_kinds(given)[0]
    if kind is CredentialKind.CLIENT_CREDENTIALS:
        return CredentialChoice(
            kind=kind,
            client_id=given.client_id.strip(),
            client_secret=given.client_secret.strip(),
        )
    if kind is CredentialKind.ACCESS_TOKEN:
        return CredentialChoice(kind=kind, access_token=given.access_token.strip())
    stored = parse_credentials_file(given.credentials)
    for token in (stored.access_token, stored.refresh_token, stored.id_token):
        mask(token)
    return CredentialChoice(kind=kind, access_token=stored.access_token, stored=stored)


def read_ambient_file(home: str) -> tuple[str, Problem | None]:
    """The content of ``<home>/.pmcp/credentials.toml`` (``auth: ambient``), or why not.

    The caller masks the content; a problem names the path and the size, never the content.
    """
    where = "input 'auth'"
    if not home:
        return "", Problem(
            where,
            "auth: ambient reads ~/.pmcp/credentials.toml, but HOME is not set",
            "set HOME, or pass pmcp-credentials",
        )
    path = Path(home) / AMBIENT_FILE
    login = "sign in with cargo pmcp deploy login --target pmcp-run"
    try:
        size = path.stat().st_size if path.is_file() else -1
    except OSError:
        size = -1
    if size < 0:
        return "", Problem(
            where, f"auth: ambient reads {path}, which is not a readable file", login
        )
    if size > _MAX_AMBIENT_FILE:
        return "", Problem(
            where, f"{path} holds {size} bytes; a credentials.toml is a few kB", login
        )
    try:
        return path.read_text(encoding="utf-8"), None
    except (OSError, UnicodeDecodeError):
        return "", Problem(where, f"{path} cannot be read as UTF-8 text", login)
