"""A call that is not idempotent, sent so that a lost answer never makes it happen twice.

Creating a version, a deployment or a build run is not idempotent: after a dropped
connection, a 429 or a 5xx the call may still have happened. :func:`create_once` asks
``find`` (a read) first and sends again only when the read proves it did not happen,
within the run's deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .http import transient_reason

if TYPE_CHECKING:
    from .context import RunContext

__all__ = ["CREATE_ATTEMPTS", "create_once"]

T = TypeVar("T")
#: Attempts of a create call whose answer was lost (each after a read proved it did not happen).
CREATE_ATTEMPTS = 3


def create_once(
    context: RunContext,
    send: Callable[[], T],
    find: Callable[[], T | None],
    what: str,
    *,
    transient: Callable[[Exception], str | None] = transient_reason,
    attempts: int = CREATE_ATTEMPTS,
) -> T:
    """Send a create call; after a lost or failed answer, read whether it happened."""
    attempt = 0
    while True:
        try:
            return send()
        except Exception as exc:
            reason = transient(exc)
            if reason is None:
                raise
            found = find()
            if found is not None:
                context.console.info(f"The answer to {what} was lost, but it happened.")
                return found
            attempt += 1
            delay = min(2.0**attempt, 10.0)
            if attempt >= attempts or delay >= context.deadline.remaining():
                raise
            context.console.info(
                f"Retrying {what} in {delay:.0f} s ({reason}; a read shows it did not happen)."
            )
            context.sleep(delay)
