"""One command's connection: signed in once, the account picked, its workers.dev subdomain.

The token, the account and the subdomain are read once per target (the first command
that connects) and reused by later ones (``stage`` then ``promote``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ...context import RunContext
from ...errors import ConfigError, DeployError
from .api import WorkersApi
from .config import WorkersConfig
from .credentials import check_token
from .declaration import NAME
from .failures import ERR_NO_SUBDOMAIN, CloudflareApiError

__all__ = ["Connection", "Connector", "Known"]


@dataclass(frozen=True)
class Known:
    """What the first connection found out: the account, its subdomain, the token's identity."""

    account_id: str
    subdomain: str
    identity: str


@dataclass(frozen=True)
class Connection:
    api: WorkersApi
    known: Known


class Connector:
    """Opens connections for one target (the flow has checked the inputs first)."""

    def __init__(self, context: RunContext, config: WorkersConfig) -> None:
        self.context = context
        self.config = config
        self._known: Known | None = None

    @contextmanager
    def open(self) -> Iterator[Connection]:
        with self.context.http() as client:
            api = WorkersApi(client, self.config.api_base, self.config.api_token)
            if self._known is None:
                identity = check_token(api, self.config)
                api.account_id = _account(api, self.config, self.context)
                self._known = Known(api.account_id, _subdomain(api), identity)
            api.account_id = self._known.account_id
            yield Connection(api, self._known)


def _account(api: WorkersApi, config: WorkersConfig, context: RunContext) -> str:
    if config.account_id:
        return config.account_id
    accounts = api.accounts()
    if len(accounts) == 1:
        account_id, name = accounts[0]
        context.console.info(
            f"cloudflare-account-id is not set and the token sees one account, "
            f"{name or 'unnamed'} ({account_id}): deploying there."
        )
        return account_id
    listed = ", ".join(f"{a} ({n})" for a, n in accounts[:10])
    raise ConfigError(
        f"cloudflare-account-id is not set and the token sees {len(accounts)} accounts"
        + (f": {listed}." if accounts else "."),
        remediation="Set cloudflare-account-id (CLOUDFLARE_ACCOUNT_ID) to the account to "
        "deploy to"
        + ("." if accounts else ", and give the token access to it (Account Resources)."),
    )


def _subdomain(api: WorkersApi) -> str:
    try:
        subdomain = api.account_subdomain()
    except CloudflareApiError as exc:
        if not exc.has(ERR_NO_SUBDOMAIN):
            raise
        subdomain = ""
    if not subdomain:
        raise DeployError(
            f"The account {api.account_id} has no workers.dev subdomain yet, so the Worker "
            "would have no URL.",
            target=NAME,
            remediation="Register one once: open Workers & Pages in the Cloudflare "
            "dashboard (it offers <name>.workers.dev), or PUT "
            '/accounts/<id>/workers/subdomain {"subdomain": "<name>"}. pmcp-action '
            "does not pick a name for you.",
        )
    return subdomain
