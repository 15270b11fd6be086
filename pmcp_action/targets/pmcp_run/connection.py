"""One command's connection: credentials → discovery → token session → GraphQL client."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ...context import RunContext
from ...http import RetryingClient
from .api import PmcpRunApi
from .config import PmcpRunSettings
from .credentials import TokenSession, choose_credentials
from .discovery import PmcpRunConfig, discover
from .graphql import GraphQLClient

__all__ = ["Connection", "connect"]


@dataclass(frozen=True)
class Connection:
    config: PmcpRunConfig
    session: TokenSession
    api: PmcpRunApi
    graphql: GraphQLClient


@contextmanager
def connect(context: RunContext, options: PmcpRunSettings) -> Iterator[Connection]:
    """Pick credentials (offline), discover, and hold one HTTP client for the command."""
    console = context.console
    choice = choose_credentials(options, console)
    with context.http() as client:
        config = _discover(context, options, client)
        session = TokenSession(choice=choice, config=config, client=client, console=console)
        session.access_token()
        for event in session.events:
            console.info(f"pmcp.run credentials: {event} ({session.identity}).")
        graphql = GraphQLClient(
            client=client,
            url=config.graphql_url,
            session=session,
            console=console,
            rediscover=lambda: _discover(context, options, client, quiet=True).graphql_url,
        )
        yield Connection(config, session, PmcpRunApi(graphql), graphql)


def _discover(
    context: RunContext,
    options: PmcpRunSettings,
    client: RetryingClient,
    *,
    quiet: bool = False,
) -> PmcpRunConfig:
    config = discover(client, options.pmcp_api_url, context.environ)
    if not quiet:
        overrides = f" (overrides: {', '.join(config.overridden)})" if config.overridden else ""
        context.console.info(
            f"pmcp.run API {config.api_url}: GraphQL {config.graphql_url}, Cognito "
            f"{config.cognito_origin}{overrides}."
        )
    return config
