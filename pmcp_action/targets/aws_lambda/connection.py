"""One command's connection: signed in once per target, and the managers it uses.

The first command that connects builds the botocore clients and opens the session
(credentials, then GetCallerIdentity and allowed-account-ids); later commands of the same
target reuse both (``stage``, then ``outputs`` or ``rollback`` after a failed
verification, then ``logs``). The request ids of every call that changed something are
kept in the connector's :class:`RequestLog`, so each result can list them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ...ci.base import Platform
from ...context import RunContext
from .clients import AwsClients
from .config import LambdaConfig
from .credentials import AwsSession, open_session
from .function import FunctionManager
from .kms import KeyManager
from .log_group import LogGroupManager
from .role import RoleManager
from .storage import ArtifactStore
from .url import UrlManager

__all__ = ["Connection", "Connector", "RequestLog"]


class RequestLog:
    """The AWS request ids of the mutating calls, as ``"<operation> <id>"``."""

    def __init__(self, console: Platform) -> None:
        self._console = console
        self._ids: list[str] = []

    def record(self, operation: str, request_id: str) -> None:
        if request_id:
            self._ids.append(f"{operation} {request_id}")
        self._console.debug(f"AWS {operation} request id {request_id or '(none)'}")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._ids)


@dataclass(frozen=True)
class Connection:
    """A signed-in session and the managers of what a server is made of."""

    session: AwsSession
    clients: AwsClients
    functions: FunctionManager
    roles: RoleManager
    urls: UrlManager
    log_group: LogGroupManager
    #: The KMS key of the environment (the server's secrets) and the role's grant.
    keys: KeyManager
    requests: RequestLog
    config: LambdaConfig
    console: Platform

    @property
    def logs(self) -> Any:
        """The CloudWatch Logs client (what a version logged)."""
        return self.clients.client("logs", self.session.credentials)

    def store(self) -> ArtifactStore:
        """The S3 store for zips over the direct-upload limit (and their cleanup)."""
        return ArtifactStore(
            self.clients.client("s3", self.session.credentials),
            self.config,
            self.session.account,
            self.console,
        )


class Connector:
    """Opens the connections of one target (the flow has checked the inputs first)."""

    def __init__(self, context: RunContext, config: LambdaConfig) -> None:
        self.context = context
        self.config = config
        self.requests = RequestLog(context.console)
        self._signed_in: tuple[AwsClients, AwsSession] | None = None

    def _sign_in(self) -> tuple[AwsClients, AwsSession]:
        if self._signed_in is None:
            clients = AwsClients(
                self.config, environ=self.context.environ, on_mutation=self.requests.record
            )
            self._signed_in = clients, open_session(self.context, self.config, clients)
        return self._signed_in

    @contextmanager
    def open(self) -> Iterator[Connection]:
        """Sign in on first use and yield the command's connection."""
        clients, session = self._sign_in()
        context, config = self.context, self.config
        credentials = session.credentials
        functions = FunctionManager(
            clients.client("lambda", credentials),
            config,
            console=context.console,
            deadline=context.deadline,
            sleep=context.sleep,
            secret_names=context.project.secrets.names,
        )
        yield Connection(
            session=session,
            clients=clients,
            functions=functions,
            roles=RoleManager(
                clients.client("iam", credentials), config, context.console, session.account
            ),
            urls=UrlManager(functions, config.url_auth_type),
            log_group=LogGroupManager(clients.client("logs", credentials), config),
            keys=KeyManager(
                lambda once=False: clients.client("kms", credentials, once=once),
                config,
                context,
                account=session.account,
                identity=session.arn,
            ),
            requests=self.requests,
            config=config,
            console=context.console,
        )
