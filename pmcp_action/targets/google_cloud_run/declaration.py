"""The ``google-cloud-run`` target is declared so its name is accepted, but not available yet.

Choosing it fails fast with "not available in this version" before anything is
touched. The target's issue fills in its inputs, outputs and factory here.
"""

from __future__ import annotations

from ...declare import TargetDeclaration

__all__ = ["DECLARATION"]

DECLARATION = TargetDeclaration(
    id="google-cloud-run",
    title="Google Cloud Run",
    summary="Not available in this version.",
    order=30,
)
