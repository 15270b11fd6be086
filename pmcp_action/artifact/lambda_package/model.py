"""The Lambda package a target uploads, a located bootstrap, and the packaging choice."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["BOOTSTRAP", "Found", "LambdaArtifact", "Packaging"]

#: The file name Lambda's provided.al2023 runtime starts.
BOOTSTRAP = "bootstrap"

#: ``"zip"``: always a deployment zip; ``"auto"``: the raw bootstrap unless
#: assets or a ``config.toml`` need a zip.
Packaging = Literal["zip", "auto"]


@dataclass(frozen=True)
class LambdaArtifact:
    """The file a target uploads, and where it came from."""

    path: Path
    #: The package form: ``"zip"`` (a deployment zip) or ``"bootstrap"`` (the raw binary).
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
    #: Bytes on disk, taken from its metadata before any of it was read.
    size: int
