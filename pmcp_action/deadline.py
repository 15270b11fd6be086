"""Overall deadlines and bounded polling."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
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
    tolerate: Callable[[Exception], str | None] | None = None,
    on_tolerated: Callable[[str], None] | None = None,
    schedule: Sequence[float] = (),
) -> T:
    """Call ``probe`` until it returns a value, backing off between calls.

    The delay starts at ``initial_delay`` and doubles up to ``max_delay``, with
    a little jitter so parallel jobs do not poll in lockstep. Raises
    :class:`TimeoutExceededError` when ``deadline`` passes first.

    ``tolerate`` names the failures of one probe that are worth another try
    (it returns a short reason, or None to let the error through): a read that
    timed out or a 503 does not end the wait while the deadline has time left.
    Each tolerated failure is reported to ``on_tolerated``.

    ``schedule``, when given, replaces the doubling: the delays before the
    second, third, ... probe, its last entry repeated from then on (each with
    the same jitter, which only ever shortens a delay).
    """
    delays = iter(schedule)
    delay = next(delays, initial_delay)
    last_failure = ""
    while True:
        try:
            value = probe()
        except Exception as exc:
            reason = tolerate(exc) if tolerate is not None else None
            if reason is None:
                raise
            last_failure = reason
            if on_tolerated is not None:
                on_tolerated(f"{what}: {reason}; trying again")
            value = None
        if value is not None:
            return value
        if deadline.expired and last_failure:
            raise TimeoutExceededError(
                f"Gave up waiting for {what}: the deadline of {deadline.seconds:.0f} s passed; "
                f"the last check failed ({last_failure}).",
                remediation="Raise timeout-minutes if the target is just slow, or check that "
                "its API is reachable from this runner.",
            )
        deadline.check(what)
        # Sleep at most until the deadline, then probe once more before giving up.
        sleep(min(delay * random.uniform(0.8, 1.0), deadline.remaining()))
        delay = next(delays, delay) if schedule else min(delay * 2, max_delay)
