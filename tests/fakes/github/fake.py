"""The fake: ``/repos/{owner}/{repo}/...`` of the routes below, nothing else (404).

- ``GET /repos/{o}/{r}``, ``GET .../issues/{n}``, ``GET .../pulls/{n}``: what PyGithub reads
  first;
- ``GET|POST .../issues/{n}/comments``, ``GET|PATCH .../issues/comments/{id}``;
- ``GET|POST .../deployments`` (filters ``sha``, ``ref``, ``task``, ``environment``),
  ``GET .../deployments/{id}``, ``GET|POST .../deployments/{id}/statuses``.

Listings are newest first for deployments and oldest first for comments, as GitHub's are,
``per_page`` (at most 100, default 30) and ``page``, with a ``Link`` header (``next``,
``last``). A ``success`` status with ``auto_inactive`` (the default) makes the earlier
deployments of its environment ``inactive``, as GitHub does.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from ..server import FakeBase, json_response

__all__ = ["READ", "WRITE", "Deployment", "FakeGitHub", "IssueComment"]

#: A token's scope: it may read the repository, or also write comments and deployments.
READ = "read"
WRITE = "write"
STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
_DEPLOYMENT_FIELDS = {
    "ref",
    "task",
    "auto_merge",
    "required_contexts",
    "payload",
    "environment",
    "description",
    "transient_environment",
    "production_environment",
}
_STATUS_FIELDS = {
    "state",
    "target_url",
    "log_url",
    "description",
    "environment",
    "environment_url",
    "auto_inactive",
}
_ROUTE = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)(?P<rest>(?:/.*)?)$")


@dataclass
class IssueComment:
    id: int
    issue: int
    body: str
    user: str
    created_at: str
    updated_at: str


@dataclass
class Deployment:
    id: int
    ref: str
    sha: str
    environment: str
    description: str
    transient_environment: bool
    production_environment: bool
    task: str
    payload: Any
    created_at: str
    statuses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def state(self) -> str:
        return self.statuses[-1]["state"] if self.statuses else ""


def _error(status: int, message: str) -> httpx.Response:
    return json_response(
        status, {"message": message, "documentation_url": "https://docs.github.com/rest"}
    )


class FakeGitHub(FakeBase):
    """One repository (``owner/name``) with pull requests, and the tokens that may use it."""

    name = "github"

    def __init__(self, repository: str = "octo/mcp", pulls: tuple[int, ...] = (1,)) -> None:
        super().__init__()
        self.repository = repository
        self.pulls = set(pulls)
        #: token -> READ or WRITE.
        self.tokens: dict[str, str] = {}
        self.reset_state()

    def reset_state(self) -> None:
        self.comments: dict[int, IssueComment] = {}
        self.deployments: dict[int, Deployment] = {}
        self._ids = itertools.count(1000)
        self._clock = itertools.count(1)

    # --- for tests -------------------------------------------------------------------------
    def comments_on(self, number: int) -> list[IssueComment]:
        return [c for c in self.comments.values() if c.issue == number]

    def add_comment(self, number: int, body: str, user: str = "someone") -> IssueComment:
        now = self._now()
        comment = IssueComment(next(self._ids), number, body, user, now, now)
        self.comments[comment.id] = comment
        return comment

    def deployments_of(self, environment: str) -> list[Deployment]:
        return [d for d in self.deployments.values() if d.environment == environment]

    def snapshot(self) -> dict[str, Any]:
        return {
            "comments": [vars(c) for c in self.comments.values()],
            "deployments": [
                {**{k: v for k, v in vars(d).items() if k != "statuses"}, "state": d.state}
                for d in self.deployments.values()
            ],
        }

    # --- the API -----------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "")
        scheme, _, value = token.partition(" ")
        scope = self.tokens.get(value) if scheme.lower() in ("bearer", "token") else None
        if scope is None:
            return _error(401, "Bad credentials")
        found = _ROUTE.match(request.url.path)
        if not found or f"{found['owner']}/{found['repo']}" != self.repository:
            return _error(404, "Not Found")
        write = request.method in ("POST", "PATCH", "PUT", "DELETE")
        if write and scope != WRITE:
            return _error(403, "Resource not accessible by integration")
        if request.headers.get("content-type", "").split(";")[0] not in ("", "application/json"):
            return _error(415, "Unsupported Media Type")
        try:
            body = json.loads(request.content) if request.content else {}
        except ValueError:
            return _error(400, "Problems parsing JSON")
        if write and not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        base = f"{request.url.scheme}://{request.url.netloc.decode()}/repos/{self.repository}"
        return self._route(request, found["rest"], body, base)

    def _route(
        self, request: httpx.Request, rest: str, body: dict[str, Any], base: str
    ) -> httpx.Response:
        method = request.method
        parts = rest.strip("/").split("/") if rest.strip("/") else []
        if not parts and method == "GET":
            return json_response(200, self._repo(base))
        if len(parts) == 2 and parts[0] in ("issues", "pulls") and parts[1].isdigit():
            return self._issue(int(parts[1]), base, parts[0], method)
        if len(parts) == 3 and parts[0] == "issues" and parts[2] == "comments":
            if not parts[1].isdigit() or int(parts[1]) not in self.pulls:
                return _error(404, "Not Found")
            if method == "GET":
                return self._page(request, self.comments_on(int(parts[1])), self._comment, base)
            if method == "POST":
                return self._create_comment(int(parts[1]), body, base)
        if len(parts) == 3 and parts[:2] == ["issues", "comments"] and parts[2].isdigit():
            comment = self.comments.get(int(parts[2]))
            if comment is None:
                return _error(404, "Not Found")
            if method == "GET":
                return json_response(200, self._comment(comment, base))
            if method == "PATCH":
                return self._edit_comment(comment, body, base)
        if parts == ["deployments"]:
            if method == "GET":
                return self._page(request, self._listed(request), self._deployment, base)
            if method == "POST":
                return self._create_deployment(body, base)
        if len(parts) >= 2 and parts[0] == "deployments" and parts[1].isdigit():
            deployment = self.deployments.get(int(parts[1]))
            if deployment is None:
                return _error(404, "Not Found")
            if len(parts) == 2 and method == "GET":
                return json_response(200, self._deployment(deployment, base))
            if parts[2:] == ["statuses"] and method == "GET":
                statuses = list(reversed(deployment.statuses))
                return self._page(request, statuses, lambda s, _b: s, base)
            if parts[2:] == ["statuses"] and method == "POST":
                return self._create_status(deployment, body, base)
        return _error(404, "Not Found")

    # --- comments --------------------------------------------------------------------------
    def _create_comment(self, number: int, body: dict[str, Any], base: str) -> httpx.Response:
        unknown = set(body) - {"body"}
        if unknown or not isinstance(body.get("body"), str) or not body["body"]:
            return _error(422, f"Invalid request: fields {sorted(unknown) or ['body']}")
        comment = self.add_comment(number, body["body"], user="github-actions[bot]")
        return json_response(201, self._comment(comment, base))

    def _edit_comment(
        self, comment: IssueComment, body: dict[str, Any], base: str
    ) -> httpx.Response:
        unknown = set(body) - {"body"}
        if unknown or not isinstance(body.get("body"), str) or not body["body"]:
            return _error(422, f"Invalid request: fields {sorted(unknown) or ['body']}")
        comment.body = body["body"]
        comment.updated_at = self._now()
        return json_response(200, self._comment(comment, base))

    # --- deployments -----------------------------------------------------------------------
    def _listed(self, request: httpx.Request) -> list[Deployment]:
        params = request.url.params
        listed = sorted(self.deployments.values(), key=lambda d: -d.id)
        for name in ("sha", "ref", "task", "environment"):
            if name in params:
                listed = [d for d in listed if getattr(d, name) == params[name]]
        return listed

    def _create_deployment(self, body: dict[str, Any], base: str) -> httpx.Response:
        unknown = set(body) - _DEPLOYMENT_FIELDS
        if unknown:
            return _error(422, f"Invalid request: unknown fields {sorted(unknown)}")
        ref = body.get("ref")
        if not isinstance(ref, str) or not ref:
            return _error(422, "Invalid request: ref is required")
        contexts = body.get("required_contexts")
        if contexts not in (None, []):
            return _error(409, "Conflict: Commit status checks failed for " + ref)
        environment = body.get("environment", "production")
        deployment = Deployment(
            id=next(self._ids),
            ref=ref,
            sha=ref if re.fullmatch(r"[0-9a-f]{40}", ref) else "0" * 40,
            environment=str(environment),
            description=str(body.get("description") or ""),
            transient_environment=bool(body.get("transient_environment", False)),
            production_environment=bool(
                body.get("production_environment", environment == "production")
            ),
            task=str(body.get("task", "deploy")),
            payload=body.get("payload", {}),
            created_at=self._now(),
        )
        self.deployments[deployment.id] = deployment
        return json_response(201, self._deployment(deployment, base))

    def _create_status(
        self, deployment: Deployment, body: dict[str, Any], base: str
    ) -> httpx.Response:
        unknown = set(body) - _STATUS_FIELDS
        if unknown:
            return _error(422, f"Invalid request: unknown fields {sorted(unknown)}")
        state = body.get("state")
        if state not in STATES:
            return _error(422, f"Invalid request: state {state!r} is not one of {STATES}")
        status = {
            "id": next(self._ids),
            "state": state,
            "description": str(body.get("description") or ""),
            "environment": deployment.environment,
            "environment_url": str(body.get("environment_url") or ""),
            "log_url": str(body.get("log_url") or body.get("target_url") or ""),
            "created_at": self._now(),
            "deployment_url": f"{base}/deployments/{deployment.id}",
            "url": f"{base}/deployments/{deployment.id}/statuses/{len(deployment.statuses) + 1}",
        }
        deployment.statuses.append(status)
        if state == "success" and body.get("auto_inactive", True) is not False:
            for other in self.deployments_of(deployment.environment):
                if other.id != deployment.id and other.state not in ("", "inactive"):
                    other.statuses.append({**status, "id": next(self._ids), "state": "inactive"})
        return json_response(201, status)

    # --- shapes ----------------------------------------------------------------------------
    def _now(self) -> str:
        return f"2026-01-01T00:{next(self._clock) // 60 % 60:02d}:{next(self._clock) % 60:02d}Z"

    def _repo(self, base: str) -> dict[str, Any]:
        owner, name = self.repository.split("/")
        return {
            "id": 1,
            "name": name,
            "full_name": self.repository,
            "owner": {"login": owner, "id": 2, "type": "Organization"},
            "url": base,
            "private": False,
        }

    def _issue(self, number: int, base: str, kind: str, method: str) -> httpx.Response:
        if method != "GET" or number not in self.pulls:
            return _error(404, "Not Found")
        return json_response(
            200,
            {
                "id": number + 500,
                "number": number,
                "state": "open",
                "title": f"Pull request {number}",
                "url": f"{base}/{kind}/{number}",
                "comments_url": f"{base}/issues/{number}/comments",
                "pull_request": {"url": f"{base}/pulls/{number}"},
            },
        )

    def _comment(self, comment: IssueComment, base: str) -> dict[str, Any]:
        return {
            "id": comment.id,
            "body": comment.body,
            "user": {"login": comment.user, "id": 3, "type": "Bot"},
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "url": f"{base}/issues/comments/{comment.id}",
            "issue_url": f"{base}/issues/{comment.issue}",
            "html_url": f"https://github.com/{self.repository}/pull/{comment.issue}",
        }

    def _deployment(self, deployment: Deployment, base: str) -> dict[str, Any]:
        url = f"{base}/deployments/{deployment.id}"
        return {
            "id": deployment.id,
            "url": url,
            "statuses_url": f"{url}/statuses",
            "sha": deployment.sha,
            "ref": deployment.ref,
            "task": deployment.task,
            "payload": deployment.payload,
            "environment": deployment.environment,
            "original_environment": deployment.environment,
            "description": deployment.description,
            "transient_environment": deployment.transient_environment,
            "production_environment": deployment.production_environment,
            "created_at": deployment.created_at,
            "updated_at": deployment.created_at,
            "repository_url": base,
        }

    def _page(
        self, request: httpx.Request, items: list[Any], shape: Any, base: str
    ) -> httpx.Response:
        params = request.url.params
        try:
            per_page = min(int(params.get("per_page", "30")), 100)
            page = max(int(params.get("page", "1")), 1)
        except ValueError:
            return _error(422, "Invalid request: per_page and page are numbers")
        last = max((len(items) + per_page - 1) // per_page, 1)
        shown = items[(page - 1) * per_page : page * per_page]
        links = []
        url = f"{request.url.scheme}://{request.url.netloc.decode()}{request.url.path}"
        kept = {k: v for k, v in params.items() if k != "page"}
        if page < last:
            links.append(f'<{url}?{urlencode({**kept, "page": page + 1})}>; rel="next"')
            links.append(f'<{url}?{urlencode({**kept, "page": last})}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return json_response(200, [shape(item, base) for item in shown], headers)
