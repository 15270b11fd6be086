"""One command's connection: checked settings → credentials → the managers it uses.

The request ids of every call that changed something are kept in a
:class:`RequestLog` the target owns, so a result can list them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...ci.base import Platform
from ...context import RunContext
from ...errors import Problem, ValidationError
from .clients import AwsClients
from .config import LambdaConfig
from .credentials import AwsSession, open_session
from .function import FunctionManager
from .logs import LogGroupManager
from .role import RoleManager
from .storage import ArtifactStore
from .url import UrlManager

__all__ = ["Connection", "RequestLog", "connect", "open_store"]


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
    session: AwsSession
    clients: AwsClients
    functions: FunctionManager
    roles: RoleManager
    urls: UrlManager
    logs: LogGroupManager
    requests: RequestLog


def connect(
    context: RunContext,
    config: LambdaConfig,
    problems: Sequence[Problem],
    requests: RequestLog,
) -> Connection:
    """Refuse settings with problems; else open the session and build the managers."""
    if problems:
        raise ValidationError(problems)
    console = context.console
    clients = AwsClients(config, environ=context.environ, on_mutation=requests.record)
    session = open_session(context, config, clients)
    credentials = session.credentials
    functions = FunctionManager(
        clients.client("lambda", credentials),
        config,
        console=console,
        deadline=context.deadline,
        sleep=context.sleep,
    )
    return Connection(
        session=session,
        clients=clients,
        functions=functions,
        roles=RoleManager(clients.client("iam", credentials), config, console, session.account),
        urls=UrlManager(functions, config.url_auth_type),
        logs=LogGroupManager(clients.client("logs", credentials), config),
        requests=requests,
    )


def open_store(conn: Connection, config: LambdaConfig, console: Platform) -> ArtifactStore:
    """The S3 store for zips over the direct-upload limit (and their cleanup)."""
    return ArtifactStore(
        conn.clients.client("s3", conn.session.credentials),
        config,
        conn.session.account,
        console,
    )
