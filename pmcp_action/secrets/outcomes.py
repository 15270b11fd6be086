"""What a deploy does with each secret, decided the same way on every platform.

A target knows which secrets it stored earlier for this server and, for each, the
fingerprint it recorded (or "" when the platform cannot tell). :func:`secret_outcomes`
turns that and the run's values into one status per name; the target writes what is
``set`` and removes what is ``removed``, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

from .fingerprint import fingerprint
from .model import SecretOutcome, SecretStatus, ServerSecrets

__all__ = ["secret_outcomes"]


def secret_outcomes(
    secrets: ServerSecrets, stored: Mapping[str, str], *, salt: str
) -> tuple[SecretOutcome, ...]:
    """Each name's status; ``stored`` maps the names this action stored to their recorded
    fingerprints ("" when unknown: the value is then written again); ``salt`` is the
    target's ``<target>/<server>`` (each name is added to it)."""
    outcomes = []
    for name in sorted(set(secrets.values) | set(stored)):
        if name in secrets.values:
            recorded = stored.get(name)
            same = bool(recorded) and recorded == fingerprint(
                secrets.values[name], salt=f"{salt}/{name}"
            )
            status = SecretStatus.UNCHANGED if same else SecretStatus.SET
        elif secrets.prune and name not in secrets.required:
            status = SecretStatus.REMOVED
        else:
            status = SecretStatus.KEPT
        outcomes.append(SecretOutcome(name, status))
    return tuple(outcomes)
