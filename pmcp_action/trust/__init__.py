"""``pmcp-action trust``: what the cloud must trust and grant so a CI job's OIDC ID token can
deploy, printed as documents and commands, or created with the terminal's own credentials.

- :mod:`.subjects` — whose tokens: the issuer and the ``sub`` of a repository's branch, tag,
  environment or pull requests, on GitHub or GitLab;
- :mod:`.model` — the request, the documents and commands a target answers with, what an
  apply did, and the refusals;
- :mod:`.command` — the command: find the target's ``trust`` module, print, apply.

A target says what it needs in its own ``trust`` module (optional in the anatomy):
``plan(target, request) -> TrustPlan`` and, where the cloud has an API for it,
``apply(target, request, plan) -> tuple[Applied, ...]``. Nothing is imported here.
"""
