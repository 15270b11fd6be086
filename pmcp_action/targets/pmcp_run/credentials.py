"""pmcp.run credentials without a browser: pick one kind, then mint a token.

Three kinds are accepted, in cargo-pmcp's order; exactly one may be given:

1. ``pmcp-client-id`` + ``pmcp-client-secret``: the OAuth2 client-credentials
   grant at ``<cognito>/oauth2/token`` with HTTP Basic auth and no ``scope``.
2. ``pmcp-access-token``: used as is; a JWT whose ``exp`` has passed is
   refused before any request.
3. ``pmcp-credentials``: the *content* of ``~/.pmcp/credentials.toml``
   (``[pmcp-run]`` access/refresh/id token and ``expires_at``); refreshed with
   the ``refresh_token`` grant and the discovered public client id when
   expired.

Every token and secret is masked the moment it exists. pmcp.run documents no
OIDC federation, so ``auth: oidc`` is refused with that explanation.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TypedDict

import httpx

from ...ci.base import Platform
from ...errors import (
    ConfigError,
    CredentialExchangeError,
    NotSupportedError,
    PmcpActionError,
    Problem,
    ValidationError,
)
from ...http import RetryingClient
from ...rest.transport import DOING, HINT
from .config import PmcpRunSettings
from .discovery import PmcpRunConfig

__all__ = [
    "CREATE_CLIENT_HELP",
    "CredentialChoice",
    "CredentialKind",
    "StoredTokens",
    "TokenSession",
    "choose_credentials",
    "credential_problems",
    "jwt_expiry",
    "parse_credentials_file",
]

#: How to get credentials for CI; shown with every credential problem.
CREATE_CLIENT_HELP = (
    "For CI, set the secrets pmcp-client-id and pmcp-client-secret (env PMCP_CLIENT_ID / "
    "PMCP_CLIENT_SECRET) to a pmcp.run machine client: a Cognito app client that has a client "
    "secret and the client_credentials OAuth grant enabled (ask the admin of your pmcp.run "
    "organisation to create one; cargo-pmcp uses the same client). Alternatively set "
    "pmcp-access-token (PMCP_ACCESS_TOKEN) to a fresh access token, or pmcp-credentials to the "
    "content of ~/.pmcp/credentials.toml written by `cargo pmcp deploy login --target "
    "pmcp-run`. Set exactly one of the three kinds."
)

#: Refresh (or refuse) tokens this close to their expiry.
_EXPIRY_SKEW_SECONDS = 60.0
_TOKEN_TIMEOUT = 30.0


class CredentialKind(Enum):
    CLIENT_CREDENTIALS = "client credentials"
    ACCESS_TOKEN = "access token"
    CREDENTIALS_FILE = "credentials file"


@dataclass(frozen=True)
class StoredTokens:
    """The ``[pmcp-run]`` table of a credentials.toml."""

    access_token: str
    refresh_token: str = ""
    id_token: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True)
class CredentialChoice:
    """The one credential kind this run uses, with its (masked) material."""

    kind: CredentialKind
    client_id: str = ""
    client_secret: str = ""
    access_token: str = ""
    stored: StoredTokens | None = None

    @property
    def identity(self) -> str:
        """Who acts, for the summary: never a secret."""
        if self.kind is CredentialKind.CLIENT_CREDENTIALS:
            return f"client {self.client_id}"
        if self.kind is CredentialKind.ACCESS_TOKEN:
            return "access token"
        return "credentials file"


class TokenResponse(TypedDict, total=False):
    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int
    token_type: str


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


def _source(settings: PmcpRunSettings, name: str) -> str:
    return settings.sources.get(name, f"input '{name}'")


def _expired(moment: datetime | None, now: float) -> bool:
    return moment is not None and moment.timestamp() <= now + _EXPIRY_SKEW_SECONDS


def _given_kinds(settings: PmcpRunSettings) -> list[tuple[CredentialKind, str]]:
    kinds: list[tuple[CredentialKind, str]] = []
    if settings.pmcp_client_id.strip() or settings.pmcp_client_secret.strip():
        where = " + ".join(
            _source(settings, name)
            for name, value in (
                ("pmcp-client-id", settings.pmcp_client_id),
                ("pmcp-client-secret", settings.pmcp_client_secret),
            )
            if value.strip()
        )
        kinds.append((CredentialKind.CLIENT_CREDENTIALS, where))
    if settings.pmcp_access_token.strip():
        kinds.append((CredentialKind.ACCESS_TOKEN, _source(settings, "pmcp-access-token")))
    if settings.pmcp_credentials.strip():
        kinds.append((CredentialKind.CREDENTIALS_FILE, _source(settings, "pmcp-credentials")))
    return kinds


_UNSUPPORTED_AUTH = {
    "oidc": "pmcp.run has no documented OIDC federation",
    "ambient": "pmcp.run has no ambient credentials a runner could have",
}


def _oidc_problem(settings: PmcpRunSettings) -> Problem | None:
    reason = _UNSUPPORTED_AUTH.get(settings.auth)
    if reason is None:
        return None
    return Problem(
        _source(settings, "auth"),
        f"{reason}, so auth: {settings.auth} cannot be used with the pmcp-run target",
        "set auth to auto or secrets and give pmcp.run credentials. " + CREATE_CLIENT_HELP,
    )


def credential_problems(settings: PmcpRunSettings, *, now: float | None = None) -> list[Problem]:
    """Offline checks of the pmcp.run credential inputs (no network)."""
    current = time.time() if now is None else now
    problems: list[Problem] = []
    oidc = _oidc_problem(settings)
    if oidc is not None:
        return [oidc]
    kinds = _given_kinds(settings)
    if not kinds:
        return [
            Problem(
                "pmcp.run credentials",
                "none were given (pmcp-client-id/pmcp-client-secret, pmcp-access-token or "
                "pmcp-credentials)",
                CREATE_CLIENT_HELP,
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
        if not settings.pmcp_client_id.strip():
            problems.append(
                Problem(
                    where,
                    "pmcp-client-secret is set but pmcp-client-id is not",
                    "set pmcp-client-id (PMCP_CLIENT_ID) to the app client's id",
                )
            )
        if not settings.pmcp_client_secret.strip():
            problems.append(
                Problem(
                    where,
                    "pmcp-client-id is set but pmcp-client-secret is not",
                    "set pmcp-client-secret (PMCP_CLIENT_SECRET) from a secret, e.g. "
                    "${{ secrets.PMCP_CLIENT_SECRET }}",
                )
            )
    elif kind is CredentialKind.ACCESS_TOKEN:
        expiry = jwt_expiry(settings.pmcp_access_token.strip())
        if expiry is not None and expiry.timestamp() <= current:
            problems.append(
                Problem(
                    where,
                    f"the pmcp.run access token expired at {expiry.isoformat()}",
                    "access tokens live about an hour; use client credentials "
                    "(pmcp-client-id/pmcp-client-secret) in CI instead, or mint a fresh token",
                )
            )
    else:
        try:
            stored = parse_credentials_file(settings.pmcp_credentials)
        except ValueError as exc:
            problems.append(
                Problem(
                    where,
                    f"the credentials.toml content is malformed: {exc}",
                    "paste the whole content of ~/.pmcp/credentials.toml (with its [pmcp-run] "
                    "table) into the secret, or use client credentials instead",
                )
            )
        else:
            expiry = stored.expires_at or jwt_expiry(stored.access_token)
            if _expired(expiry, current) and not stored.refresh_token:
                problems.append(
                    Problem(
                        where,
                        "the stored access token has expired and there is no refresh_token "
                        "to renew it",
                        "log in again with `cargo pmcp deploy login --target pmcp-run` and "
                        "update the secret, or use client credentials instead",
                    )
                )
    return problems


def choose_credentials(
    settings: PmcpRunSettings, console: Platform, *, now: float | None = None
) -> CredentialChoice:
    """Mask every credential input, then pick the one kind or raise."""
    for secret in (
        settings.pmcp_client_secret,
        settings.pmcp_access_token,
        settings.pmcp_credentials,
    ):
        console.mask(secret.strip())
    oidc = _oidc_problem(settings)
    if oidc is not None:
        reason = _UNSUPPORTED_AUTH[settings.auth]
        raise NotSupportedError(
            f"{reason}; auth: {settings.auth} cannot be used with the pmcp-run target.",
            remediation=oidc.fix,
        )
    problems = credential_problems(settings, now=now)
    if problems:
        raise ValidationError(problems)
    kind, _ = _given_kinds(settings)[0]
    if kind is CredentialKind.CLIENT_CREDENTIALS:
        return CredentialChoice(
            kind=kind,
            client_id=settings.pmcp_client_id.strip(),
            client_secret=settings.pmcp_client_secret.strip(),
        )
    if kind is CredentialKind.ACCESS_TOKEN:
        return CredentialChoice(kind=kind, access_token=settings.pmcp_access_token.strip())
    stored = parse_credentials_file(settings.pmcp_credentials)
    for token in (stored.access_token, stored.refresh_token, stored.id_token):
        console.mask(token)
    return CredentialChoice(kind=kind, access_token=stored.access_token, stored=stored)


def _oauth_error(response: httpx.Response) -> str:
    """``error`` (+ description) from an OAuth error body; never echoes tokens."""
    try:
        body = json.loads(response.text)
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        error = str(body.get("error", ""))
        description = str(body.get("error_description", ""))
        return f"{error}: {description}" if description else error or response.text[:200]
    return response.text[:200]


class TokenSession:
    """Holds the access token for one run; can renew it where the kind allows."""

    def __init__(
        self,
        *,
        choice: CredentialChoice,
        config: PmcpRunConfig,
        client: RetryingClient,
        console: Platform,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.choice = choice
        self._config = config
        self._client = client
        self._console = console
        self._clock = clock
        self._access_token = ""
        #: What happened, for the summary ("minted", "refreshed", "given").
        self.events: list[str] = []

    @property
    def identity(self) -> str:
        return self.choice.identity

    @property
    def renewable(self) -> bool:
        if self.choice.kind is CredentialKind.CLIENT_CREDENTIALS:
            return True
        stored = self.choice.stored
        return stored is not None and bool(stored.refresh_token)

    def access_token(self) -> str:
        """A usable access token, minting or refreshing it on first use."""
        if not self._access_token:
            self._access_token = self._acquire()
        return self._access_token

    def renew(self) -> bool:
        """Get a new token after the API refused the current one; False if impossible."""
        if not self.renewable:
            return False
        if self.choice.kind is CredentialKind.CLIENT_CREDENTIALS:
            self._access_token = self._client_credentials()
        else:
            self._access_token = self._refresh()
        return True

    # --- acquisition ------------------------------------------------------
    def _acquire(self) -> str:
        choice = self.choice
        if choice.kind is CredentialKind.CLIENT_CREDENTIALS:
            return self._client_credentials()
        if choice.kind is CredentialKind.ACCESS_TOKEN:
            expiry = jwt_expiry(choice.access_token)
            if expiry is not None and expiry.timestamp() <= self._clock():
                raise ConfigError(
                    f"The pmcp.run access token expired at {expiry.isoformat()}.",
                    remediation="Use client credentials (pmcp-client-id/pmcp-client-secret) in "
                    "CI, or mint a fresh token. " + CREATE_CLIENT_HELP,
                )
            self.events.append("given access token")
            return choice.access_token
        stored = choice.stored
        assert stored is not None  # guaranteed by choose_credentials
        expiry = stored.expires_at or jwt_expiry(stored.access_token)
        if _expired(expiry, self._clock()):
            return self._refresh()
        self.events.append("stored access token")
        return stored.access_token

    def _token_request(self, data: dict[str, str], auth: httpx.BasicAuth | None) -> TokenResponse:
        url = self._config.token_url
        response = self._client.post(
            url,
            data=data,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            headers={"Accept": "application/json"},
            timeout=_TOKEN_TIMEOUT,
            extensions={
                DOING: f"asking the pmcp.run token endpoint {url} for a token",
                HINT: "the Cognito domain comes from discovery; override: PMCP_RUN_COGNITO_DOMAIN",
            },
        )
        if response.status_code != 200:
            raise _TokenHttpError(response.status_code, _oauth_error(response))
        try:
            body = json.loads(response.text)
        except ValueError as exc:
            raise CredentialExchangeError(
                f"The pmcp.run token endpoint {url} answered 200 without JSON.",
            ) from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise CredentialExchangeError(
                f"The pmcp.run token endpoint {url} returned no access_token.",
            )
        for key in ("access_token", "id_token", "refresh_token"):
            value = body.get(key)
            if isinstance(value, str):
                self._console.mask(value)
        result: TokenResponse = {"access_token": token}
        expires_in = body.get("expires_in")
        if isinstance(expires_in, int) and not isinstance(expires_in, bool):
            result["expires_in"] = expires_in
        return result

    def _client_credentials(self) -> str:
        choice = self.choice
        try:
            body = self._token_request(
                {"grant_type": "client_credentials"},
                httpx.BasicAuth(choice.client_id, choice.client_secret),
            )
        except _TokenHttpError as exc:
            raise CredentialExchangeError(
                f"Client credentials authentication failed for client {choice.client_id} at "
                f"{self._config.token_url}: HTTP {exc.status} ({exc.error}).",
                remediation="Check that (1) pmcp-client-id and pmcp-client-secret belong to the "
                "same Cognito app client, (2) the app client has the client_credentials grant "
                "enabled, and (3) pmcp-api-url points at the pmcp.run deployment that issued "
                "the client. " + CREATE_CLIENT_HELP,
            ) from None
        self.events.append("minted a token with client credentials")
        return body["access_token"]

    def _refresh(self) -> str:
        stored = self.choice.stored
        if stored is None or not stored.refresh_token:
            raise CredentialExchangeError(
                "The stored pmcp.run access token has expired and cannot be refreshed.",
                remediation="Log in again with `cargo pmcp deploy login --target pmcp-run` and "
                "update the pmcp-credentials secret. " + CREATE_CLIENT_HELP,
            )
        if not self._config.cognito_client_id:
            raise CredentialExchangeError(
                "Cannot refresh the stored pmcp.run token: discovery named no Cognito client id.",
                remediation="Set PMCP_RUN_COGNITO_CLIENT_ID, or use client credentials.",
            )
        try:
            body = self._token_request(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": stored.refresh_token,
                    "client_id": self._config.cognito_client_id,
                },
                None,
            )
        except _TokenHttpError as exc:
            raise CredentialExchangeError(
                f"Failed to refresh token: HTTP {exc.status} ({exc.error}).",
                remediation="The refresh token was revoked or has expired (30 days by default). "
                "Log in again with `cargo pmcp deploy login --target pmcp-run` and update the "
                "pmcp-credentials secret. " + CREATE_CLIENT_HELP,
            ) from None
        self.events.append("refreshed the stored token")
        return body["access_token"]


class _TokenHttpError(PmcpActionError):
    """A non-200 answer of the token endpoint (internal; re-raised with context)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"HTTP {status}: {error}")
        self.status = status
        self.error = error
