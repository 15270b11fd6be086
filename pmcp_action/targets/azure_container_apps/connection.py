"""One command's connection: signed in at Entra ID once per target, ARM over that token.

The ARM token is minted by the first command that connects and reused by later ones
(``stage`` then ``promote``); every command gets a fresh HTTP client for ARM, the
registry's login server and the SAS blobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from ...context import RunContext
from .arm import Arm
from .config import AzureConfig
from .credentials import ArmSession, sign_in

__all__ = ["Connection", "Connector"]


@dataclass(frozen=True)
class Connection:
    """ARM under the configured subscription, the session it uses, and the HTTP client."""

    arm: Arm
    session: ArmSession
    #: The command's client: the registry's login server and the SAS blobs are called on it.
    client: httpx.Client


class Connector:
    """Opens connections for one target (the flow has checked the inputs first)."""

    def __init__(self, context: RunContext, config: AzureConfig) -> None:
        self.context = context
        self.config = config
        self._session: ArmSession | None = None

    @contextmanager
    def open(self) -> Iterator[Connection]:
        with self.context.http() as client:
            if self._session is None:
                self._session = sign_in(self.context, self.config, client)
            arm = Arm(
                client,
                self.config.arm_url,
                self._session.access_token,
                self.config.subscription_id,
                deadline=self.context.deadline,
                sleep=self.context.sleep,
                client_id=self.config.client_id,
                on_wait=self.context.console.info,
            )
            yield Connection(arm, self._session, client)
