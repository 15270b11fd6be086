"""The ``azure-container-apps`` target: the deploy flow over ARM.

A first deploy creates the app with its revision at 100 % (the pipeline verifies it live
and fails loudly). A redeploy PUTs the app with the new revision at weight 0 and the
serving one pinned at 100 % (``stage``); the pipeline verifies the revision at its own
FQDN, and ``promote`` moves 100 % to it; ``discard`` leaves the previous revision serving.
The same image and settings name the same revision: no new revision (``unchanged``). An
app made elsewhere is left alone.

The image source is decided and checked offline before any call (``prepare``); the image
itself is obtained inside the steps, which have the ARM token and the registry's login.
The order of things is :class:`pmcp_action.flow.DeployFlow`'s; the steps are
:class:`.deploying.Steps`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

from ...context import RunContext
from ...errors import Problem
from ...flow import ServesPreviews
from .config import AzureConfig, resolve
from .connection import Connection, Connector
from .declaration import NAME
from .deploying import Steps
from .image import ImageStep
from .previews import preview_problems
from .survey import Survey

__all__ = ["AzureContainerAppsTarget", "create"]


class AzureContainerAppsTarget(ServesPreviews[Connection, Survey, ImageStep]):
    name = NAME
    #: An app in Multiple mode splits its traffic by revision weights (traffic-steps).
    shifts_traffic = True

    def preview_problems(self, preview: str) -> Sequence[Problem]:
        source = self.context.settings.sources.get("preview-id", "the preview's name")
        return preview_problems(preview, self.config.app_name, source)

    def __init__(
        self,
        context: RunContext,
        *,
        resolved: tuple[AzureConfig, list[Problem]] | None = None,
    ) -> None:
        self.config, problems = resolved or resolve(context)
        super().__init__(context, problems)
        self._connector = Connector(context, self.config)

    @contextmanager
    def prepare(self) -> Iterator[ImageStep]:
        image = ImageStep(self.context, self.config)
        image.check()
        yield image

    def connect(self) -> AbstractContextManager[Connection]:
        return self._connector.open()

    def steps(self, conn: Connection) -> Steps:
        return Steps(self.context, self.config, conn)


def create(context: RunContext) -> AzureContainerAppsTarget:
    """The factory the declaration names."""
    return AzureContainerAppsTarget(context)
