"""One command's connection: signed in once per target, over Demo Cloud's HTTP API.

Demo Cloud lives in this process (:mod:`.cloud`), so the client's transport is the
cloud's own; a real target opens its client with ``context.http()`` instead, which adds
retries, the run's deadline and named transport failures.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from pmcp_action.plugin import RunContext

from .api import DemoApi
from .cloud import DemoCloud, cloud_at
from .config import DemoConfig
from .credentials import Session, sign_in

__all__ = ["Connection", "Connector"]


@dataclass(frozen=True)
class Connection:
    api: DemoApi
    session: Session


class Connector:
    """Opens connections for one target (the flow has checked the inputs first)."""

    def __init__(self, context: RunContext, config: DemoConfig, cloud: DemoCloud | None) -> None:
        self.context = context
        self.config = config
        self.cloud = cloud
        self._session: Session | None = None

    @contextmanager
    def open(self) -> Iterator[Connection]:
        cloud = self.cloud or cloud_at(self.config.endpoint)
        with httpx.Client(transport=cloud.transport()) as client:
            if self._session is None:
                self.context.console.info(
                    f"Demo Cloud endpoint from {self.config.endpoint_source}."
                )
                api = DemoApi(client, self.config.endpoint, self.config.token)
                self._session = sign_in(api, self.context)
            yield Connection(
                DemoApi(client, self.config.endpoint, self._session.token), self._session
            )
