"""``Retry-After``: a number of seconds (``120``) or an HTTP date (``Wed, 21 Oct 2026
07:28:00 GMT``, the time to retry at), read once here."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping

__all__ = ["retry_after_seconds"]


def retry_after_seconds(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """How long the server asks to wait, never negative; None when it does not say."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; a bare one is read as such
        return None
    return max(0.0, when.timestamp() - now())
