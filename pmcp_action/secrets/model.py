"""The server's own secrets: what a run was given, what the server requires, and what became
of each on the platform."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = ["SecretOutcome", "SecretStatus", "ServerSecrets"]


class SecretStatus(StrEnum):
    """What a run did with one secret; the only thing the summary, report and outputs say."""

    #: Written this run: new, or its value changed.
    SET = "set"
    #: Given, and the platform already stores this very value: nothing written.
    UNCHANGED = "unchanged"
    #: Stored earlier, not given this run: left as it is.
    KEPT = "kept"
    #: Stored earlier by this action, not given, and ``prune-secrets`` asked: removed.
    REMOVED = "removed"


@dataclass(frozen=True)
class SecretOutcome:
    name: str
    status: SecretStatus


@dataclass(frozen=True)
class ServerSecrets:
    """The secrets of one run, resolved offline (every value already masked)."""

    #: Name -> value, from the ``secrets`` input or the run's environment variable.
    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    #: Where each value came from ("input 'secrets'", "environment variable API_KEY").
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The names deploy.toml's ``[secrets]`` table requires.
    required: tuple[str, ...] = ()
    #: Required names this run has no value for (the platform may store them already).
    missing: tuple[str, ...] = ()
    #: ``prune-secrets``: remove the secrets this action stored that this run does not give.
    prune: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.values))

    def __bool__(self) -> bool:
        return bool(self.values or self.required or self.prune)
