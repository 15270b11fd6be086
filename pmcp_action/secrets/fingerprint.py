"""A secret's fingerprint: how a run knows a stored value is the one it was given, without
keeping the value or a hash of it cheap enough to guess.

scrypt (N=2^14, r=8, p=1) over the value, salted with where it is stored (target, server,
name), 32 bytes in hex: a platform annotation or tag can hold it in the open. Guessing a
value from it costs a guesser scrypt per try and per secret.
"""

from __future__ import annotations

import hashlib

__all__ = ["fingerprint"]

PREFIX = "s1:"


def fingerprint(value: str, *, salt: str) -> str:
    """``s1:`` and 64 hex digits; the same value and salt give the same fingerprint."""
    digest = hashlib.scrypt(
        value.encode("utf-8"), salt=salt.encode("utf-8"), n=2**14, r=8, p=1, dklen=32
    )
    return PREFIX + digest.hex()
