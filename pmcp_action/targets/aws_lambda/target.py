"""The ``aws-lambda`` target: the deploy flow over the Lambda, IAM, CloudWatch Logs and S3
APIs.

A deploy locates and checks the package first (no cloud is touched with a bad file), then
the credentials, then reads everything (concurrently) and decides "unchanged" itself (the
package hash ``live``'s version recorded, or else the same CodeSha256, and the same
configuration) before any call that changes something, and before zipping anything.
Otherwise it ensures the execution role and log group, creates or updates the function,
publishes a version and points alias ``candidate`` at it, with a function URL of its own
where it is verified; then ``live`` moves to it. The previous version serves until that
move, which is the atomic switch (or, with traffic-steps, until ``live``'s routing
configuration has given the new version each step's share). The ``url`` output is
``live``'s function URL, so it never changes.

A preview is alias ``<preview-id>`` on a version published for it, at its own function URL
(:mod:`.previews`). The order of things is :class:`pmcp_action.flow.ServesLogs`'s and
:class:`~pmcp_action.flow.ServesPreviews`'; the steps are
:class:`.deploying.Steps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from ...artifact.lambda_package import LAMBDA_DIRECT_UPLOAD_LIMIT, PreparedPackage
from ...context import RunContext
from ...errors import Problem
from ...flow import ServesLogs, ServesPreviews
from ...scaffold import scaffold_warnings
from .config import resolve
from .connection import Connection, Connector
from .declaration import NAME
from .deploying import Steps
from .package import prepared_package
from .previews import preview_problems
from .survey import Survey

__all__ = ["AwsLambdaTarget", "create"]


class AwsLambdaTarget(
    ServesLogs[Connection, Survey, PreparedPackage],
    ServesPreviews[Connection, Survey, PreparedPackage],
):
    name = NAME
    #: Alias live's routing configuration splits its traffic between two versions.
    shifts_traffic = True

    def preview_problems(self, preview: str) -> Sequence[Problem]:
        source = self.context.settings.sources.get("preview-id", "the preview's name")
        return preview_problems(preview, source)

    def __init__(
        self, context: RunContext, *, direct_upload_limit: int = LAMBDA_DIRECT_UPLOAD_LIMIT
    ) -> None:
        self.config, problems = resolve(context)
        super().__init__(context, problems)
        self.direct_upload_limit = direct_upload_limit
        self._connector = Connector(context, self.config)

    def extra_problems(self) -> Sequence[Problem]:
        for warning in scaffold_warnings(self.context.project.root):
            self.console.warning(warning, title="CDK scaffold")
        return ()

    def prepare(self) -> AbstractContextManager[PreparedPackage]:
        return prepared_package(self.context, self.config)

    def connect(self) -> AbstractContextManager[Connection]:
        return self._connector.open()

    def steps(self, conn: Connection) -> Steps:
        return Steps(self.context, self.config, conn, direct_upload_limit=self.direct_upload_limit)


def create(context: RunContext) -> AwsLambdaTarget:
    """The factory the declaration names."""
    return AwsLambdaTarget(context)
