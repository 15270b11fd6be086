"""The ``demo-cloud`` target: the deploy flow over Demo Cloud's API.

A deploy works out the artifact's digest offline, signs in (the API token exchanged for
a masked session token), and reads the service. A new service is created with its first
version serving; an existing one gets a new version without traffic, proven at its own URL
and then given the traffic (or discarded). The same digest as the serving version makes no
new version. A service without the ``managed-by=pmcp`` label is left alone.

The order of things is :class:`pmcp_action.plugin.ServesLogs`'s; the steps are
:class:`.deploying.Steps`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from pmcp_action.plugin import RunContext, ServesLogs

from .artifact import Artifact, artifact_of
from .cloud import DemoCloud
from .config import resolve
from .connection import Connection, Connector
from .declaration import NAME
from .deploying import Steps
from .survey import Survey

__all__ = ["DemoCloudTarget", "create"]


class DemoCloudTarget(ServesLogs[Connection, Survey, Artifact]):
    name = NAME

    def __init__(self, context: RunContext, *, cloud: DemoCloud | None = None) -> None:
        self.config, problems = resolve(context)
        super().__init__(context, problems)
        self._connector = Connector(context, self.config, cloud)

    @contextmanager
    def prepare(self) -> Iterator[Artifact]:
        yield artifact_of(self.context)

    def connect(self) -> AbstractContextManager[Connection]:
        return self._connector.open()

    def steps(self, conn: Connection) -> Steps:
        return Steps(self.config, conn)


def create(context: RunContext) -> DemoCloudTarget:
    """The factory the declaration names."""
    return DemoCloudTarget(context)
