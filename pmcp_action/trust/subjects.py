"""Whose tokens a cloud trusts: the issuer and the subject (``sub``) of one CI scope.

GitHub's ``sub`` names the repository and one of a branch, a tag, an environment or a pull
request::

    repo:OWNER/REPO:ref:refs/heads/BRANCH     repo:OWNER/REPO:ref:refs/tags/TAG
    repo:OWNER/REPO:environment:ENVIRONMENT   repo:OWNER/REPO:pull_request

GitLab's names the project and the branch or tag (it never names the environment, which
is its own ``environment`` claim)::

    project_path:GROUP/PROJECT:ref_type:branch:ref:BRANCH
    project_path:GROUP/PROJECT:ref_type:tag:ref:TAG
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..errors import Problem
from ..settings.vocabulary import CiSystem

__all__ = ["ISSUERS", "Scope", "TokenSource", "token_source"]

#: The issuer of each CI's ID tokens (GitLab: its instance, gitlab.com unless CI_SERVER_URL).
ISSUERS: Mapping[CiSystem, str] = {
    CiSystem.GITHUB: "https://token.actions.githubusercontent.com",
    CiSystem.GITLAB: "https://gitlab.com",
}

_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_GITLAB_PROJECT = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")
#: A git ref name as the CIs put it in a subject (no spaces, no ':' that would split it).
_REF_NAME = re.compile(r"^[A-Za-z0-9_./@+-]+$")
_PULL_REQUEST = "pull_request"
_CI_NAMES: Mapping[CiSystem, str] = {CiSystem.GITHUB: "GitHub", CiSystem.GITLAB: "GitLab"}


class Scope(StrEnum):
    """Which of the repository's jobs the trust admits."""

    BRANCH = "branch"
    TAG = "tag"
    ENVIRONMENT = "environment"
    PULL_REQUEST = "pull_request"


@dataclass(frozen=True)
class TokenSource:
    """The tokens of one scope of one repository: their issuer and subject."""

    ci: CiSystem
    repository: str
    scope: Scope
    #: The branch, tag or environment ("" for pull requests).
    name: str
    issuer: str

    @property
    def issuer_host(self) -> str:
        """The issuer without its scheme (what IAM names a provider and its keys by)."""
        return self.issuer.removeprefix("https://").rstrip("/")

    @property
    def exact(self) -> bool:
        """Whether one ``sub`` value admits exactly this scope (a GitLab environment is
        admitted by its ``environment`` claim, not by its subject)."""
        return not (self.ci is CiSystem.GITLAB and self.scope is Scope.ENVIRONMENT)

    @property
    def subject(self) -> str:
        """The ``sub`` of this scope's tokens; a pattern (``*``) where :attr:`exact` is False."""
        if self.ci is CiSystem.GITHUB:
            base = f"repo:{self.repository}"
            if self.scope is Scope.BRANCH:
                return f"{base}:ref:refs/heads/{self.name}"
            if self.scope is Scope.TAG:
                return f"{base}:ref:refs/tags/{self.name}"
            if self.scope is Scope.ENVIRONMENT:
                return f"{base}:environment:{self.name}"
            return f"{base}:{_PULL_REQUEST}"
        base = f"project_path:{self.repository}"
        if self.scope is Scope.TAG:
            return f"{base}:ref_type:tag:ref:{self.name}"
        if self.scope is Scope.BRANCH:
            return f"{base}:ref_type:branch:ref:{self.name}"
        return f"{base}:ref_type:branch:ref:*"

    @property
    def claims(self) -> Mapping[str, str]:
        """The claims besides ``sub`` a cloud that can match any claim should match."""
        if self.ci is CiSystem.GITLAB and self.scope is Scope.ENVIRONMENT:
            return {"project_path": self.repository, "environment": self.name}
        key = "repository" if self.ci is CiSystem.GITHUB else "project_path"
        return {key: self.repository}

    def describe(self) -> str:
        """``the branch main of octo/app on GitHub`` (for messages)."""
        if self.scope is Scope.PULL_REQUEST:
            what = "the pull requests"
        else:
            what = f"the {self.scope.value} {self.name}"
        return f"{what} of {self.repository} on {_CI_NAMES[self.ci]}"


def _scope_of(ref: str, ci: CiSystem) -> tuple[Scope, str] | None:
    text = ref.strip()
    if text == _PULL_REQUEST:
        return (Scope.PULL_REQUEST, "") if ci is CiSystem.GITHUB else None
    for prefix, scope in (("refs/heads/", Scope.BRANCH), ("refs/tags/", Scope.TAG)):
        if text.startswith(prefix):
            return scope, text.removeprefix(prefix)
    return Scope.BRANCH, text


def token_source(
    *,
    ci: CiSystem,
    repository: str,
    ref: str,
    environment: str,
    environ: Mapping[str, str],
    sources: Mapping[str, str],
) -> tuple[TokenSource | None, list[Problem]]:
    """The scope the inputs name (``ref`` before ``environment``), or the problems."""
    problems: list[Problem] = []
    where = sources.get("repository", "input 'repository'")
    pattern = _GITHUB_REPOSITORY if ci is CiSystem.GITHUB else _GITLAB_PROJECT
    form = "OWNER/REPO" if ci is CiSystem.GITHUB else "GROUP/PROJECT (subgroups allowed)"
    if not repository:
        problems.append(
            Problem(where, "no repository is given", f"give --repository {form.split()[0]}")
        )
    elif not pattern.match(repository):
        problems.append(
            Problem(where, f"{repository[:80]!r} is no {ci.value} repository path", f"write {form}")
        )
    scope: tuple[Scope, str] | None
    if ref.strip():
        scope = _scope_of(ref, ci)
        ref_where = sources.get("ref", "input 'ref'")
        if scope is None:
            problems.append(
                Problem(
                    ref_where,
                    "GitLab's tokens name no pull (merge) request: a merge request pipeline's "
                    "token names its source branch",
                    "give the branch (--ref BRANCH) or the environment (--ci-environment)",
                )
            )
        elif scope[0] is not Scope.PULL_REQUEST and not _REF_NAME.match(scope[1]):
            problems.append(
                Problem(
                    ref_where,
                    "the ref is no branch or tag name",
                    "give a branch (main, refs/heads/main), a tag (refs/tags/v1) or pull_request",
                )
            )
    else:
        scope = (Scope.ENVIRONMENT, environment.strip())
        if not _REF_NAME.match(scope[1]):
            problems.append(
                Problem(
                    sources.get("ci-environment", "input 'ci-environment'"),
                    "the environment name is empty or has a character a subject cannot hold",
                    "give the CI environment's name (letters, digits, - _ . /)",
                )
            )
    if problems or scope is None:
        return None, problems
    issuer = ISSUERS[ci]
    if ci is CiSystem.GITLAB and environ.get("CI_SERVER_URL", "").startswith("https://"):
        issuer = environ["CI_SERVER_URL"].rstrip("/")
    return TokenSource(ci, repository, scope[0], scope[1], issuer), []
