"""The Worker's secrets: ``secret_text`` bindings carried by each version.

Workers keeps secrets per version and returns their names, never their values. A new
version is uploaded with every secret this run gives (so each of them is ``set``); the same
bundle, bindings and secrets as the live version make no new version (each ``unchanged``: the
deploy tag covers the secrets through their scrypt digest). A secret the live version has and
this run does not give is ``kept`` (inherited with keep-bindings), else dropped (``removed``).
Workers cannot tell which secrets this action set, so ``prune-secrets`` is refused by the
config in favour of ``keep-bindings: false``.
"""

from __future__ import annotations

from ...secrets import SecretOutcome, SecretStatus
from .api import VersionInfo
from .config import WorkersConfig

__all__ = ["SECRET_TYPES", "live_secret_names", "secret_outcomes"]

#: The binding types that hold secrets.
SECRET_TYPES = ("secret_text", "secret_key")


def live_secret_names(live: VersionInfo | None) -> frozenset[str]:
    """The names of the secrets the live version carries."""
    if live is None:
        return frozenset()
    return frozenset(str(b.get("name")) for b in live.bindings if b.get("type") in SECRET_TYPES)


def secret_outcomes(
    config: WorkersConfig, live: VersionInfo | None, *, new_version: bool
) -> tuple[SecretOutcome, ...]:
    """What a deploy does (or did) with each secret; ``new_version``: one is uploaded."""
    given = set(config.secrets)
    outcomes = []
    for name in sorted(given | live_secret_names(live)):
        if name in given:
            status = SecretStatus.SET if new_version else SecretStatus.UNCHANGED
        else:
            status = SecretStatus.KEPT if config.keep_bindings else SecretStatus.REMOVED
        outcomes.append(SecretOutcome(name, status))
    return tuple(outcomes)
