"""The ``pmcp-run`` target: cargo-pmcp's pmcp.run deploy, headless and bounded.

deploy: artifact → template → credentials → discovery → token → ``getUploadUrls`` → two
presigned PUTs → ``createDeploymentFromS3`` (sent once; sent again only after
``listDeployments`` shows it did not happen) → poll ``getDeployment`` within the deadline
→ OAuth → ``.pmcp/deployment.toml``. There is no staging (every deploy goes live) and no
rollback (pmcp.run keeps no earlier version). plan reads only; outputs and destroy find
the deployment by ``projectName``. preview: a deployment of its own,
``<server>-<preview-id>``, marked as the server's preview (:mod:`.previews`); destroy
removes exactly the marked ones with the server.

The order of things is :class:`pmcp_action.flow.ServesPreviews`'s; the steps are
:class:`.deploying.Steps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from ...context import RunContext
from ...errors import Problem
from ...flow import ServesPreviews
from ...scaffold import scaffold_warnings
from .config import name_warning, resolve
from .connection import Connection, Connector
from .declaration import NAME
from .deploying import Steps
from .failures import no_rollback
from .files import DeploymentFiles, prepare_files
from .previews import preview_problems
from .survey import Survey

__all__ = ["PmcpRunTarget", "create"]


class PmcpRunTarget(ServesPreviews[Connection, Survey, DeploymentFiles]):
    name = NAME
    #: pmcp.run keeps no earlier version to serve again.
    can_roll_back = False

    def __init__(self, context: RunContext) -> None:
        self.config, problems = resolve(context)
        super().__init__(context, problems)
        self._connector = Connector(context, self.config)

    def extra_problems(self) -> Sequence[Problem]:
        warning = name_warning(self.context.project.server_name)
        if warning:
            self.console.warning(warning, title="pmcp.run project name")
        for scaffold in scaffold_warnings(self.context.project.root):
            self.console.warning(scaffold, title="CDK scaffold")
        return ()

    def preview_problems(self, preview: str) -> Sequence[Problem]:
        source = self.context.settings.sources.get("preview-id", "the preview's name")
        return preview_problems(preview, self.context.project.server_name, source)

    def refuse_rollback(self, to_version: str) -> None:
        raise no_rollback(self.context.project.server_name, to_version)

    def prepare(self) -> AbstractContextManager[DeploymentFiles]:
        return prepare_files(self.context, self.config)

    def connect(self) -> AbstractContextManager[Connection]:
        return self._connector.open()

    def steps(self, conn: Connection) -> Steps:
        return Steps(self.context, self.config, conn)


def create(context: RunContext) -> PmcpRunTarget:
    """The factory the declaration names."""
    return PmcpRunTarget(context)
