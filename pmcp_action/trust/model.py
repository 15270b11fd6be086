"""What a target answers ``trust`` with: documents, commands, notes; what ``--apply`` did."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import PmcpActionError
from .subjects import TokenSource

__all__ = [
    "Applied",
    "Outcome",
    "TrustDiffers",
    "TrustDocument",
    "TrustPlan",
    "TrustRequest",
    "differences",
]


class TrustDiffers(PmcpActionError):
    """Something trust would create exists and differs: it was left as it is."""

    title = "Trust differs"


@dataclass(frozen=True)
class TrustRequest:
    """Whose tokens to trust, and whether to create what is missing."""

    source: TokenSource
    apply: bool = False


@dataclass(frozen=True)
class TrustDocument:
    """One thing the cloud needs, as the JSON its API takes."""

    #: What it is, e.g. "IAM role trust policy".
    title: str
    #: Its name or address in the cloud (a role name, a provider's resource name).
    name: str
    body: Mapping[str, Any]

    def json(self) -> str:
        return json.dumps(self.body, indent=2, sort_keys=False)


@dataclass(frozen=True)
class TrustPlan:
    """Everything the cloud needs for one target and one scope of one repository."""

    #: One paragraph: what is set up and why.
    summary: str
    documents: tuple[TrustDocument, ...] = ()
    #: The shell commands that create the documents (the cloud's own CLI).
    commands: tuple[str, ...] = ()
    #: What else to know (what a cloud cannot match, a secret to create instead).
    notes: tuple[str, ...] = ()
    #: Whether ``--apply`` can create it.
    applies: bool = False


class Outcome(StrEnum):
    """What an apply did with one thing."""

    CREATED = "created"
    UNCHANGED = "unchanged"
    #: There, and not as trust would make it: left as it is.
    DIFFERS = "differs"


@dataclass(frozen=True)
class Applied:
    """One thing an apply looked at."""

    what: str
    outcome: Outcome
    #: What differs (for DIFFERS).
    detail: str = ""
    extra: tuple[str, ...] = field(default=())


def differences(have: Any, want: Any, path: str = "") -> list[str]:
    """The places where ``have`` lacks or differs from ``want`` (lists compared as sets of
    their JSON texts; keys ``have`` has beyond ``want`` are not differences)."""
    if isinstance(want, Mapping) and isinstance(have, Mapping):
        found: list[str] = []
        for key, value in want.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in have:
                found.append(f"{where} is missing (wanted {json.dumps(value)})")
            else:
                found += differences(have[key], value, where)
        return found
    if isinstance(want, list) and isinstance(have, list):
        have_texts = {json.dumps(item, sort_keys=True) for item in have}
        return [
            f"{path or 'the list'} lacks {json.dumps(item)}"
            for item in want
            if json.dumps(item, sort_keys=True) not in have_texts
        ]
    if have != want:
        return [f"{path or 'the value'} is {json.dumps(have)}, wanted {json.dumps(want)}"]
    return []
