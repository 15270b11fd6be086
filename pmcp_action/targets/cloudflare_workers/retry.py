"""Create calls whose answer was lost: read whether they happened before sending again.

A version upload or a deployment is not idempotent; after a transport error, a 429 or
a 5xx the call may still have happened, so :func:`create_once` asks ``find`` first and
sends again only when the read proves it did not, within the run's deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ...context import RunContext
from ...rest import TransportFailure
from .failures import CloudflareApiError

__all__ = ["CREATE_ATTEMPTS", "create_once"]

T = TypeVar("T")
#: Attempts of a create call whose answer was lost (each after a read proved it did not happen).
CREATE_ATTEMPTS = 3


def create_once(
    context: RunContext, send: Callable[[], T], find: Callable[[], T | None], what: str
) -> T:
    """Send a create call; after a lost or failed answer, read whether it happened."""
    attempt = 0
    while True:
        try:
            return send()
        except (CloudflareApiError, TransportFailure) as exc:
            transient = isinstance(exc, TransportFailure) or (
                exc.status is not None and (exc.status >= 500 or exc.status == 429)
            )
            if not transient:
                raise
            found = find()
            if found is not None:
                context.console.info(f"The answer to {what} was lost, but it happened.")
                return found
            attempt += 1
            delay = min(2.0**attempt, 10.0)
            if attempt >= CREATE_ATTEMPTS or delay >= context.deadline.remaining():
                raise
            context.console.info(f"Retrying {what} in {delay:.0f} s ({type(exc).__name__}).")
            context.sleep(delay)
