"""The AWS world the aws-lambda tests deploy into (moto's default account) at every level."""

from __future__ import annotations

from tests.fakes.artifacts import EM_AARCH64, stand_in_bootstrap

__all__ = ["ACCOUNT", "DEPLOYER_ROLE", "REGION", "elf_bootstrap"]

ACCOUNT = "123456789012"
DEPLOYER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/gh-deployer"
REGION = "us-east-1"


def elf_bootstrap(marker: bytes, machine: int = EM_AARCH64) -> bytes:
    """A stand-in arm64 (or ``machine``) bootstrap carrying ``marker``."""
    return stand_in_bootstrap(marker, machine=machine)
