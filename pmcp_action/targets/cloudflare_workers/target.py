"""The ``cloudflare-workers`` target: the deploy flow over the Workers API.

A deploy finds the bundle first (nothing is called before it is complete and within the
limits), checks the token, picks the account and reads its workers.dev subdomain. A new
Worker is uploaded and deployed in one PUT. An existing one gets a new version without
traffic (``stage``); when preview URLs work, the pipeline verifies it there and
``promote`` deploys it at 100 %, otherwise it is deployed at once and a failed
verification deploys the previous version again. The same bundle, bindings and
compatibility settings as the live version make no new version (``unchanged``). A Worker
made elsewhere is tagged and adopted (with a warning); destroy deletes only tagged ones.

The order of things is :class:`pmcp_action.flow.DeployFlow`'s; the steps are
:class:`.deploying.Steps`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

from ...artifact.workers_bundle import ModuleBundle, WorkersBundle
from ...context import RunContext
from ...errors import Problem
from ...flow import ServesPreviews
from .bundle import obtain_bundle
from .config import resolve
from .connection import Connection, Connector
from .declaration import NAME
from .deploying import Steps
from .previews import preview_problems
from .survey import Survey
from .upload import Messages

__all__ = ["CloudflareWorkersTarget", "create"]


class CloudflareWorkersTarget(ServesPreviews[Connection, Survey, ModuleBundle]):
    name = NAME
    #: A deployment splits the traffic between two versions (traffic-steps).
    shifts_traffic = True

    def __init__(self, context: RunContext, *, bundle_kind: WorkersBundle | None = None) -> None:
        self.config, problems = resolve(context)
        super().__init__(context, problems)
        self.bundle_kind = bundle_kind or WorkersBundle()
        self._connector = Connector(context, self.config)
        self._messages = Messages(context.environ)

    @contextmanager
    def prepare(self) -> Iterator[ModuleBundle]:
        yield obtain_bundle(self.context, self.config, self.bundle_kind)

    def preview_problems(self, preview: str) -> Sequence[Problem]:
        source = self.context.settings.sources.get("preview-id", "the preview's name")
        return preview_problems(preview, self.config.host_name, source)

    def connect(self) -> AbstractContextManager[Connection]:
        return self._connector.open()

    def steps(self, conn: Connection) -> Steps:
        return Steps(self.context, self.config, conn, self._messages)


def create(context: RunContext) -> CloudflareWorkersTarget:
    """The factory the declaration names."""
    return CloudflareWorkersTarget(context)
