"""The GitHub REST calls of a preview: the pull request's sticky comment (found again by its
hidden marker, through every page of comments) and the GitHub deployment of the preview's
environment with its statuses. Calls go through the core's REST kit (timeouts, retries with
jittered backoff, the run's deadline); a creation is re-sent only after a read proved it did
not happen (:func:`pmcp_action.once.create_once`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import RemoteApiError
from ..once import create_once
from ..rest import RestApi
from ..rest.body import json_or_none

if TYPE_CHECKING:
    from ..context import RunContext

__all__ = [
    "API_VERSION",
    "DEFAULT_API_URL",
    "GitHubAccessError",
    "GitHubApi",
    "GitHubEnvelope",
    "marker",
]

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
#: Items per page of a listing (GitHub's largest).
PER_PAGE = 100
#: Pages read at most while looking for the comment or the deployments (10 000 items).
MAX_PAGES = 100
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_PERMISSIONS = "permissions: pull-requests: write, deployments: write"


def marker(server: str) -> str:
    """The hidden line that finds a server's comment on a pull request again."""
    return f"<!-- pmcp-action preview: {server} -->"


class GitHubAccessError(RemoteApiError):
    """The token may not do this (401, 403, or 404 of a repository it cannot see): a fork's
    pull request, or a workflow without the permissions."""

    title = "GitHub token lacks access"


class GitHubEnvelope:
    """GitHub's error answers: ``{"message", "documentation_url"}``."""

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code >= 400

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        body = json_or_none(response)
        said = str(body.get("message", "")) if isinstance(body, dict) else ""
        status = response.status_code
        text = f"{doing[:1].upper()}{doing[1:]} failed: HTTP {status}" + (
            f" ({said})." if said else "."
        )
        if status in (401, 403, 404):
            return GitHubAccessError(
                text,
                status=status,
                remediation=f"Give the job a token that may write ({_PERMISSIONS}); a fork's "
                "pull request gets a read-only token.",
            )
        return RemoteApiError(text, status=status)


@dataclass(frozen=True)
class Comment:
    id: int
    body: str


class GitHubApi:
    """One repository's issue comments and deployments."""

    def __init__(
        self, context: RunContext, repository: str, token: str, base: str = DEFAULT_API_URL
    ) -> None:
        self.context = context
        self.repository = repository
        self.rest = RestApi(
            context.http(),
            base,
            envelope=GitHubEnvelope(),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            reach_hint="override: GITHUB_API_URL",
        )

    def close(self) -> None:
        self.rest.client.close()

    def _pages(self, path: str, doing: str, params: dict[str, str]) -> Iterator[Any]:
        """Every item of a listing, page by page (the ``Link`` header's ``next``)."""
        url: str | None = path
        query: dict[str, str] | None = {**params, "per_page": str(PER_PAGE)}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self.rest.call("GET", url, doing, params=query)
            assert response is not None
            items = json_or_none(response)
            if not isinstance(items, list):
                raise RemoteApiError(f"{doing[:1].upper()}{doing[1:]}: GitHub sent no list.")
            yield from items
            found = _NEXT.search(response.headers.get("link", ""))
            url, query = (found.group(1), None) if found else (None, None)

    # --- the sticky comment ------------------------------------------------------------------
    def find_comment(self, number: int, mark: str) -> Comment | None:
        path = f"/repos/{self.repository}/issues/{number}/comments"
        for item in self._pages(path, f"reading the comments of pull request #{number}", {}):
            body = str(item.get("body") or "") if isinstance(item, dict) else ""
            if mark in body:
                return Comment(int(item["id"]), body)
        return None

    def upsert_comment(self, number: int, mark: str, body: str) -> tuple[Comment, bool]:
        """The comment written (updated when found by ``mark``) and whether it is new."""
        found = self.find_comment(number, mark)
        if found is not None:
            self.rest.call_json(
                "PATCH",
                f"/repos/{self.repository}/issues/comments/{found.id}",
                f"updating the preview comment on pull request #{number}",
                json={"body": body},
            )
            return Comment(found.id, body), False

        def send() -> Comment:
            made = self.rest.call_json(
                "POST",
                f"/repos/{self.repository}/issues/{number}/comments",
                f"commenting on pull request #{number}",
                json={"body": body},
                once=True,
            )
            return Comment(int(made["id"]), body)

        made = create_once(
            self.context,
            send,
            lambda: self.find_comment(number, mark),
            f"the preview comment on pull request #{number}",
        )
        return made, True

    # --- deployments ---------------------------------------------------------------------------
    def deployments(self, environment: str, ref: str = "") -> list[dict[str, Any]]:
        params = {"environment": environment}
        if ref:
            params["sha"] = ref
        path = f"/repos/{self.repository}/deployments"
        return [
            item
            for item in self._pages(path, f"reading the deployments of {environment}", params)
            if isinstance(item, dict)
        ]

    def create_deployment(self, environment: str, ref: str, description: str) -> int:
        """A transient deployment of ``ref`` to ``environment`` (found again when the answer
        was lost)."""

        def send() -> int:
            made = self.rest.call_json(
                "POST",
                f"/repos/{self.repository}/deployments",
                f"creating a GitHub deployment of {environment}",
                json={
                    "ref": ref,
                    "environment": environment,
                    "description": description,
                    "transient_environment": True,
                    "production_environment": False,
                    "auto_merge": False,
                    "required_contexts": [],
                },
                once=True,
            )
            return int(made["id"])

        def find() -> int | None:
            found = self.deployments(environment, ref)
            return int(found[0]["id"]) if found else None

        return create_once(self.context, send, find, f"the deployment of {environment}")

    def set_status(
        self, deployment: int, state: str, description: str, environment_url: str = ""
    ) -> None:
        body: dict[str, Any] = {"state": state, "description": description[:140]}
        if environment_url:
            body["environment_url"] = environment_url
        if state == "success":
            body["auto_inactive"] = True
        self.rest.call_json(
            "POST",
            f"/repos/{self.repository}/deployments/{deployment}/statuses",
            f"setting deployment {deployment} {state}",
            json=body,
        )
