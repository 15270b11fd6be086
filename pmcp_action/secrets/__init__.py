"""The server's own secrets, from a CI secret into the platform's secret store.

- :mod:`.model` — the run's secrets and what became of each (set, unchanged, kept, removed);
- :mod:`.resolve` — resolved offline from the ``secrets`` input, deploy.toml's ``[secrets]``
  and the run's environment;
- :mod:`.fingerprint` — how a stored value is recognised without keeping it;
- :mod:`.outcomes` — each secret's status, decided the same way on every platform.
"""

from __future__ import annotations

from .fingerprint import fingerprint
from .model import SecretOutcome, SecretStatus, ServerSecrets
from .outcomes import secret_outcomes
from .resolve import Resolved, missing_problem, resolve_secrets

__all__ = [
    "Resolved",
    "SecretOutcome",
    "SecretStatus",
    "ServerSecrets",
    "fingerprint",
    "missing_problem",
    "resolve_secrets",
    "secret_outcomes",
]
