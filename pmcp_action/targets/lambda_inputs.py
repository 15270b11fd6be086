"""Inputs and texts shared by the targets that run the server on AWS Lambda.

Both ``pmcp-run`` and ``aws-lambda`` deploy a Lambda ``bootstrap``; they declare
the same :data:`ARCHITECTURE` spec (the registry accepts one spec declared by
several targets only when it is the same) and describe ``artifact`` alike.
"""

from __future__ import annotations

from ..settings.spec import InputKind, InputSpec

__all__ = ["ARCHITECTURE", "LAMBDA_ARTIFACT_NOTE"]

ARCHITECTURE = InputSpec(
    "architecture",
    "Lambda architecture: arm64 or x86_64 (pmcp.run runs arm64 only).",
    kind=InputKind.CHOICE,
    choices=("arm64", "x86_64"),
    env=("PMCP_ARCHITECTURE",),
    noun="architecture",
)

LAMBDA_ARTIFACT_NOTE = (
    "a prebuilt bootstrap binary, a deployment zip, or a directory holding bootstrap. "
    "Default: cargo-lambda's output under target/lambda/, else a `cargo lambda build` when "
    "cargo-lambda is installed."
)
