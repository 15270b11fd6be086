"""A suggestion about credentials, in the form that fits where the program runs.

In a CI job the way to give credentials is the job's own: a repository secret
(``${{ secrets.X }}``), ``permissions: id-token: write``, GitLab's ``id_tokens:``. A person
at a terminal has none of these; they have the credentials their own tools keep (an AWS
profile or SSO session, Google's Application Default Credentials, ``az login``, ``wrangler
login``, ``~/.pmcp/credentials.toml``), which ``--auth ambient`` uses where the target
offers it. A :class:`CredentialHint` holds both forms and the run's platform picks one, so
a person is never told to write a workflow expression.

This is the one module that spells a workflow expression (:func:`github_secret`); no target
writes ``${{`` in a message itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ci.base import Platform
from .oidc import GITLAB_PLATFORM

__all__ = ["CredentialHint", "github_secret"]


def github_secret(name: str) -> str:
    """The workflow expression that reads the repository secret ``name``."""
    return "${{ secrets." + name + " }}"


@dataclass(frozen=True)
class CredentialHint:
    """How to give credentials: in a CI job (``ci``; ``gitlab`` when GitLab's way differs,
    e.g. a masked CI/CD variable for a secret, ``id_tokens:`` for an ID token) and at a
    terminal (``terminal``)."""

    ci: str
    terminal: str
    gitlab: str = ""

    def form(self, platform: str) -> str:
        """The form for the platform of that :attr:`Platform.name` ("local": a terminal)."""
        if platform == Platform.name:
            return self.terminal
        return self.gitlab if platform == GITLAB_PLATFORM and self.gitlab else self.ci

    def text(self, platform: Platform) -> str:
        """The form for the run's platform: the CI's in CI, else the terminal's."""
        return self.form(platform.name) if platform.ci else self.terminal
