"""The ``google-cloud-run`` target: the deploy flow over Cloud Run Admin API v2.

A first deploy creates the service with its revision serving 100 % (the pipeline
verifies it live). A redeploy makes the new revision with no traffic under the tag
``candidate`` (``stage``); the pipeline verifies it at the tag's own URL, and ``promote``
moves 100 % to it, ``discard`` removes the tag and leaves the previous revision serving.
The same image digest and settings make no revision (``unchanged``). A service without
the label managed-by=pmcp is left alone. What a revision logged comes from Cloud Logging.

The order of things is :class:`pmcp_action.flow.ServesLogs`'s; the steps are
:class:`.deploying.Steps`. The image is obtained inside the steps, where the access
token is its registry login.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from ...context import RunContext
from ...errors import Problem
from ...flow import ServesLogs, ServesPreviews
from .config import resolve
from .connection import Connection, Connector
from .declaration import NAME
from .deploying import Steps
from .previews import preview_problems
from .survey import Survey

__all__ = ["GoogleCloudRunTarget", "create"]


class GoogleCloudRunTarget(
    ServesLogs[Connection, Survey, None], ServesPreviews[Connection, Survey, None]
):
    name = NAME
    #: A service's traffic splits between revisions (traffic-steps).
    shifts_traffic = True

    def preview_problems(self, preview: str) -> Sequence[Problem]:
        source = self.context.settings.sources.get("preview-id", "the preview's name")
        return preview_problems(preview, self.config.service, source)

    def __init__(self, context: RunContext) -> None:
        self.config, problems = resolve(context)
        super().__init__(context, problems)
        self._connector = Connector(context, self.config)

    def connect(self) -> AbstractContextManager[Connection]:
        return self._connector.open()

    def steps(self, conn: Connection) -> Steps:
        return Steps(self.context, self.config, conn)


def create(context: RunContext) -> GoogleCloudRunTarget:
    """The factory the declaration names."""
    return GoogleCloudRunTarget(context)
