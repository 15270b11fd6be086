"""Keep secrets out of every text the program writes.

Every secret value (inputs marked secret, minted tokens, session keys) is
registered here the moment it exists; every log line, summary, report and
error text passes through :meth:`Redactor.redact` before it is written.
Presigned URLs are recognised by their signature parameters and lose their
query string.
"""

from __future__ import annotations

import base64
import json
import re
import threading

__all__ = ["MIN_SECRET_LENGTH", "REDACTED", "Redactor", "redact_url"]

REDACTED = "***"

#: Query parameters that make a URL a bearer credential (S3/GCS/Azure presigning).
_SIGNED_URL = re.compile(
    r"(https?://[^\s\"'<>?]+)\?[^\s\"'<>]*"
    r"(?:X-Amz-Signature|X-Amz-Credential|Signature=|X-Goog-Signature|sig=|sv=|AWSAccessKeyId)"
    r"[^\s\"'<>]*",
    re.IGNORECASE,
)

#: Shortest value worth scrubbing; shorter "secrets" would shred ordinary text.
MIN_SECRET_LENGTH = 4


def redact_url(url: str) -> str:
    """A presigned URL without its credential-bearing query string."""
    return _SIGNED_URL.sub(lambda m: f"{m.group(1)}?{REDACTED}", url)


class Redactor:
    """A thread-safe registry of secret values and a scrubber for text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()

    def add(self, secret: str) -> list[str]:
        """Register a secret; return the new fragments (what a CI should mask).

        A multi-line secret is also registered line by line, and its base64
        and JSON-escaped forms are registered too, since they leak the same value.
        """
        fragments: list[str] = []
        if len(secret) < MIN_SECRET_LENGTH:
            return fragments
        candidates = [secret]
        candidates.extend(line.strip() for line in secret.splitlines())
        candidates.append(json.dumps(secret)[1:-1])
        candidates.append(base64.b64encode(secret.encode()).decode())
        with self._lock:
            for value in candidates:
                if len(value) >= MIN_SECRET_LENGTH and value not in self._values:
                    self._values.add(value)
                    fragments.append(value)
        return fragments

    @property
    def values(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._values)

    def redact(self, text: str) -> str:
        with self._lock:
            # Longest first, so a secret that contains another is removed whole.
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, REDACTED)
        return redact_url(text)
