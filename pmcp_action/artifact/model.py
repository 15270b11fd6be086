"""The artifact a target uploads, a located input, and the option types."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["Architecture", "Artifact", "Found", "Packaging"]

Architecture = Literal["arm64", "x86_64"]
Packaging = Literal["zip", "auto"]


@dataclass(frozen=True)
class Artifact:
    """The file a target uploads, and where it came from."""

    path: Path
    kind: str
    content_type: str
    sha256: str
    size: int
    source: str
    bootstrap_sha256: str


@dataclass(frozen=True)
class Found:
    """A located bootstrap binary or deployment zip."""

    path: Path
    is_zip: bool
    source: str
