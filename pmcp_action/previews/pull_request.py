"""The pull request's side of a preview on GitHub: its sticky comment and its GitHub
deployment (``environment: <server>-<preview-id>``, transient), kept up to date as the
preview is deployed, verified and destroyed.

Never fails the job: without a token, or with one that may not write (a fork's pull
request), it says once how to give one; a GitHub failure is a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import PmcpActionError
from ..result import VerificationStatus
from .comment import destroyed_body, preview_body
from .github import DEFAULT_API_URL, GitHubAccessError, GitHubApi, marker

if TYPE_CHECKING:
    from ..context import RunContext
    from ..result import TargetResult, Verification
    from .identity import Preview

__all__ = ["API_URL_VARIABLE", "NO_TOKEN", "PullRequest"]

#: Where the GitHub REST API is, before GITHUB_API_URL (a proxy, or a test's fake).
API_URL_VARIABLE = "PMCP_GITHUB_API_URL"

#: What a run without a usable token says instead of commenting.
NO_TOKEN = (
    "The preview's pull request gets no comment and no GitHub deployment without a token "
    "that may write them: give github-token: ${{ secrets.GITHUB_TOKEN }} and the job "
    "permissions: pull-requests: write, deployments: write (a fork's pull request gets a "
    "read-only token: the preview is deployed all the same)."
)
_TITLE = "Preview not commented"


class PullRequest:
    """One preview's pull request on GitHub (inactive outside a GitHub pull request)."""

    def __init__(self, context: RunContext, preview: Preview, server: str) -> None:
        self.context = context
        self.preview = preview
        self.server = server
        self.environment = f"{server}-{preview.id}"
        environ = context.environ
        self.token = context.settings.github_token
        self.active = bool(preview.repository and preview.number)
        self.api: GitHubApi | None = None
        self._deployment: int | None = None
        self._said = False
        if self.active and self.token:
            self.api = GitHubApi(
                context,
                preview.repository,
                self.token,
                environ.get(API_URL_VARIABLE, "")
                or environ.get("GITHUB_API_URL", "")
                or DEFAULT_API_URL,
            )
        elif self.active:
            self._notice()
        #: What to close at the end (``api`` is dropped after an access refusal).
        self._client = self.api

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _notice(self) -> None:
        if not self._said:
            self._said = True
            self.context.console.notice(NO_TOKEN, title=_TITLE)

    def _guard(self, what: str, call: Callable[[], object]) -> bool:
        """Run ``call``; an access refusal becomes the notice, any other failure a warning."""
        if self.api is None:
            return False
        try:
            call()
        except GitHubAccessError as exc:
            self.context.console.info(f"GitHub refused {what}: {exc.message}")
            self.api = None
            self._notice()
            return False
        except PmcpActionError as exc:
            self.context.console.warning(f"Could not {what}: {exc.message}", title=_TITLE)
            return False
        return True

    @property
    def commit(self) -> str:
        return self.preview.commit

    def started(self) -> None:
        """The GitHub deployment, in progress."""
        if self.api is None or not self.commit:
            return
        api = self.api

        def start() -> None:
            self._deployment = api.create_deployment(
                self.environment, self.commit, f"pmcp-action preview {self.preview.id}"
            )
            api.set_status(self._deployment, "in_progress", "Deploying the preview")

        self._guard("create the GitHub deployment", start)

    def finished(self, result: TargetResult | None, verification: Verification | None) -> None:
        """The deployment's outcome and the comment, after deploy and verification."""
        api = self.api
        if api is None:
            return
        failed = result is None or (
            verification is not None and verification.status is VerificationStatus.FAILED
        )
        url = "" if result is None else result.preview_url or result.url
        if self._deployment is not None:
            deployment = self._deployment
            self._guard(
                "set the GitHub deployment's status",
                lambda: api.set_status(
                    deployment,
                    "failure" if failed else "success",
                    "The preview failed" if failed else "The preview is verified",
                    url,
                ),
            )
        if result is None or self.api is None:
            return
        body = preview_body(self.server, self.preview.id, result, verification, self.commit)
        number = self.preview.number
        assert number is not None
        self._guard(
            "comment on the pull request",
            lambda: api.upsert_comment(number, marker(self.server), body),
        )

    def destroyed(self) -> None:
        """Every deployment of the preview's environment inactive; the comment says so."""
        api = self.api
        if api is None:
            return

        def inactive() -> None:
            for deployment in api.deployments(self.environment):
                api.set_status(int(deployment["id"]), "inactive", "The preview was destroyed")

        self._guard("mark the GitHub deployment inactive", inactive)
        number = self.preview.number
        assert number is not None
        mark = marker(self.server)

        def comment() -> None:
            found = api.find_comment(number, mark)
            if found is None:
                return
            body = destroyed_body(self.server, self.preview.id, found.body, self.commit)
            api.upsert_comment(number, mark, body)

        if self.api is not None:
            self._guard("update the pull request's comment", comment)
