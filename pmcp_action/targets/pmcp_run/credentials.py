"""Sign-in to pmcp.run: the chosen credentials → an access token, renewed where it can be.

Client credentials mint a token at the Cognito domain's ``/oauth2/token`` (the
client-credentials grant with HTTP Basic auth and no ``scope``); an access token is used
as is; stored credentials are used while fresh and refreshed with their ``refresh_token``
and the discovered public client id when expired. Every token is masked the moment it
exists.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import httpx

from ...ci.base import Platform
from ...errors import ConfigError, CredentialExchangeError
from ...rest import RestApi
from .credential_inputs import CredentialChoice, CredentialKind, expired, jwt_expiry
from .discovery import ENV_COGNITO_DOMAIN, Endpoints
from .failures import (
    CREATE_CLIENT_HELP,
    TokenEndpointEnvelope,
    TokenRefused,
    client_credentials_refused,
    refresh_refused,
)

__all__ = ["TOKEN_PATH", "TokenEndpoint", "TokenSession"]

TOKEN_PATH = "/oauth2/token"


class TokenEndpoint(RestApi):
    """The Cognito domain's token endpoint (the domain comes from discovery)."""

    def __init__(self, client: httpx.Client, endpoints: Endpoints, console: Platform) -> None:
        super().__init__(
            client,
            endpoints.cognito_origin,
            envelope=TokenEndpointEnvelope(),
            headers={"Accept": "application/json"},
            reach_hint=f"the Cognito domain comes from discovery; override: {ENV_COGNITO_DOMAIN}",
        )
        self.console = console

    def token(self, form: dict[str, str], doing: str, *, basic: tuple[str, str] | None) -> str:
        """The access token the endpoint answers ``form`` with (every token in it masked)."""
        headers: dict[str, str] = {}
        if basic is not None:
            pair = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode("ascii")
            self.console.mask(pair)
            headers["Authorization"] = f"Basic {pair}"
        body = self.call_json("POST", TOKEN_PATH, doing, data=form, headers=headers)
        for key in ("access_token", "id_token", "refresh_token"):
            value = body.get(key)
            if isinstance(value, str):
                self.console.mask(value)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise CredentialExchangeError(
                f"The pmcp.run token endpoint {self.url(TOKEN_PATH)} returned no access_token.",
            )
        return token


class TokenSession:
    """Holds the access token for one run; can renew it where the kind allows."""

    def __init__(
        self,
        *,
        choice: CredentialChoice,
        endpoints: Endpoints,
        endpoint: TokenEndpoint,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.choice = choice
        self._endpoints = endpoints
        #: The token endpoint over the open command's client (rebound by each connection).
        self.endpoint = endpoint
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
        assert stored is not None  # a credentials-file choice always has its tokens
        if expired(stored.expires_at or jwt_expiry(stored.access_token), self._clock()):
            return self._refresh()
        self.events.append("stored access token")
        return stored.access_token

    def _client_credentials(self) -> str:
        choice = self.choice
        try:
            token = self.endpoint.token(
                {"grant_type": "client_credentials"},
                f"getting a pmcp.run access token for client {choice.client_id}",
                basic=(choice.client_id, choice.client_secret),
            )
        except TokenRefused as refused:
            raise client_credentials_refused(
                refused, choice.client_id, self.endpoint.url(TOKEN_PATH)
            ) from None
        self.events.append("minted a token with client credentials")
        return token

    def _refresh(self) -> str:
        stored = self.choice.stored
        if stored is None or not stored.refresh_token:
            raise CredentialExchangeError(
                "The stored pmcp.run access token has expired and cannot be refreshed.",
                remediation="Log in again with `cargo pmcp deploy login --target pmcp-run` and "
                "update the pmcp-credentials secret. " + CREATE_CLIENT_HELP,
            )
        if not self._endpoints.cognito_client_id:
            raise CredentialExchangeError(
                "Cannot refresh the stored pmcp.run token: discovery named no Cognito client id.",
                remediation="Set PMCP_RUN_COGNITO_CLIENT_ID, or use client credentials.",
            )
        try:
            token = self.endpoint.token(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": stored.refresh_token,
                    "client_id": self._endpoints.cognito_client_id,
                },
                "refreshing the stored pmcp.run access token",
                basic=None,
            )
        except TokenRefused as refused:
            raise refresh_refused(refused) from None
        self.events.append("refreshed the stored token")
        return token
