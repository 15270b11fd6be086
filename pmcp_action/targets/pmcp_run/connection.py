"""One command's connection: discovery → token session → GraphQL client.

Discovery and the token are read once per target (the first command that connects) and
reused by later ones; each command gets its own HTTP client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from ...context import RunContext
from .api import PmcpRunApi
from .config import PmcpRunSettings
from .credentials import TokenEndpoint, TokenSession
from .discovery import DISCOVERY_TIMEOUT, Endpoints, discover
from .graphql import GraphQLClient

__all__ = ["Connection", "Connector"]


@dataclass(frozen=True)
class Connection:
    endpoints: Endpoints
    session: TokenSession
    api: PmcpRunApi
    graphql: GraphQLClient


class Connector:
    """Opens connections for one target (the flow has checked the inputs first)."""

    def __init__(self, context: RunContext, config: PmcpRunSettings) -> None:
        self.context = context
        self.config = config
        self._signed_in: tuple[Endpoints, TokenSession] | None = None

    @contextmanager
    def open(self) -> Iterator[Connection]:
        console = self.context.console
        with self.context.http() as client:
            if self._signed_in is None:
                self._signed_in = self._sign_in(client)
            endpoints, session = self._signed_in
            session.endpoint = TokenEndpoint(client, endpoints, console)
            graphql = GraphQLClient(
                client=client,
                url=endpoints.graphql_url,
                session=session,
                console=console,
                rediscover=lambda: self._discover(quiet=True).graphql_url,
            )
            yield Connection(endpoints, session, PmcpRunApi(graphql), graphql)

    def _sign_in(self, client: httpx.Client) -> tuple[Endpoints, TokenSession]:
        """Discover, then get the first access token (minted, given or refreshed)."""
        choice = self.config.credentials
        assert choice is not None  # resolve() chose one, or the flow refused to run
        endpoints = self._discover()
        console = self.context.console
        session = TokenSession(
            choice=choice,
            endpoints=endpoints,
            endpoint=TokenEndpoint(client, endpoints, console),
        )
        session.access_token()
        for event in session.events:
            console.info(f"pmcp.run credentials: {event} ({session.identity}).")
        return endpoints, session

    def _discover(self, *, quiet: bool = False) -> Endpoints:
        context = self.context
        with context.http(timeout=DISCOVERY_TIMEOUT) as client:
            found = discover(client, self.config.pmcp_api_url, context.environ)
        if not quiet:
            overrides = f" (overrides: {', '.join(found.overridden)})" if found.overridden else ""
            context.console.info(
                f"pmcp.run API {found.api_url}: GraphQL {found.graphql_url}, Cognito "
                f"{found.cognito_origin}{overrides}."
            )
        return found
