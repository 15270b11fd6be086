"""One command's connection: signed in once, a client for each Google API it calls.

``Connector.open()`` signs in on first use (the token is reused by ``stage`` then
``promote``) and yields a :class:`Connection` over one HTTP client: Cloud Run, Artifact
Registry, Cloud Logging and Secret Manager, each with the access token.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from ...context import RunContext
from .artifact_registry import ArtifactRegistryApi
from .cloud_logging import CloudLoggingApi
from .config import GoogleConfig
from .credentials import GoogleToken, sign_in
from .run_api import RunApi
from .secret_manager import SecretManagerApi

__all__ = ["Connection", "Connector"]


@dataclass(frozen=True)
class Connection:
    client: httpx.Client
    token: GoogleToken
    run: RunApi
    registry: ArtifactRegistryApi
    logging: CloudLoggingApi
    secrets: SecretManagerApi

    @classmethod
    def over(
        cls, client: httpx.Client, token: GoogleToken, context: RunContext, config: GoogleConfig
    ) -> Connection:
        """Each API this target calls, over ``client`` with ``token``."""
        access = token.access_token
        endpoints, project = config.endpoints, config.project
        return cls(
            client,
            token,
            RunApi(
                client,
                endpoints,
                token=access,
                project=project,
                region=config.region,
                deadline=context.deadline,
                sleep=context.sleep,
            ),
            ArtifactRegistryApi(client, endpoints, token=access, project=project),
            CloudLoggingApi(client, endpoints, token=access, project=project),
            SecretManagerApi(client, endpoints, token=access, project=project),
        )


class Connector:
    """Opens connections for one target (the flow has checked the inputs first)."""

    def __init__(self, context: RunContext, config: GoogleConfig) -> None:
        self.context = context
        self.config = config
        self._token: GoogleToken | None = None

    @contextmanager
    def open(self) -> Iterator[Connection]:
        with self.context.http() as client:
            if self._token is None:
                self._token = sign_in(self.context, self.config, client)
            yield Connection.over(client, self._token, self.context, self.config)
