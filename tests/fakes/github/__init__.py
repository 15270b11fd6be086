"""A stateful contract fake of GitHub's REST API, as much as a preview uses of it.

- :mod:`.fake` — :class:`FakeGitHub`: a repository's pull requests, their issue comments,
  deployments and deployment statuses; tokens with a scope (401 without one, 403 for a
  read-only one, as a fork's pull request gets); ``Link`` header pagination; strict request
  bodies (422 for a field GitHub does not take). Checked against PyGithub
  (tests/unit/fakes/test_github_peer.py).
"""

from __future__ import annotations

from .fake import READ, WRITE, Deployment, FakeGitHub, IssueComment

__all__ = ["READ", "WRITE", "Deployment", "FakeGitHub", "IssueComment"]
