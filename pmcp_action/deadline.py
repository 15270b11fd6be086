"""Overall deadlines and bounded polling."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from .errors import TimeoutExceededError

__all__ = ["Deadline", "poll_until"]

T = TypeVar("T")


class Deadline:
    """A point in monotonic time after which waiting must stop."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.seconds = seconds
        self._ends_at = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._ends_at - self._clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def check(self, what: str) -> None:
        if self.expired:
            raise TimeoutExceededError(
                f"Gave up waiting for {what}: the deadline of {self.seconds:.0f} s passed.",
                remediation="Raise timeout-minutes if the target is just slow, or look at the "
                "target's console for what is stuck.",
            )


def poll_until(
    probe: Callable[[], T | None],
    *,
    deadline: Deadline,
    what: str,
    initial_delay: float = 1.0,
    max_delay: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``probe`` until it returns a value, backing off between calls.

    The delay starts at ``initial_delay`` and doubles up to ``max_delay``, with
    a little jitter so parallel jobs do not poll in lockstep. Raises
    :class:`TimeoutExceededError` when ``deadline`` passes first.
    """
    delay = initial_delay
    while True:
        value = probe()
        if value is not None:
            return value
        deadline.check(what)
        # Sleep at most until the deadline, then probe once more before giving up.
        sleep(min(delay * random.uniform(0.8, 1.0), deadline.remaining()))
        delay = min(delay * 2, max_delay)
