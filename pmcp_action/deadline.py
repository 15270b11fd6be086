"""Overall deadlines and bounded polling."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from .errors import TimeoutExceededError
from .polling import Pending, PollSchedule

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
    probe: Callable[[], T | Pending | None],
    *,
    deadline: Deadline,
    what: str,
    initial_delay: float = 1.0,
    max_delay: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    tolerate: Callable[[Exception], str | None] | None = None,
    on_tolerated: Callable[[str], None] | None = None,
    schedule: PollSchedule | None = None,
    retry_after: float | None = None,
) -> T:
    """Call ``probe`` until it returns a value, pausing between calls.

    Without a ``schedule`` the pause starts at ``initial_delay`` and doubles up to
    ``max_delay`` (a retry's backoff), with a little jitter so parallel jobs do not poll in
    lockstep. With one (a wait for an operation to finish:
    :data:`~pmcp_action.polling.OPERATION_POLL`), the pauses are the schedule's. Raises
    :class:`TimeoutExceededError` when ``deadline`` passes first; every pause ends at the
    deadline at the latest, and the probe is called once more before giving up.

    ``probe`` answers None, or :class:`~pmcp_action.polling.Pending` with the pause the
    platform asked for (``Retry-After``), while it is not done; ``retry_after`` is the
    pause asked for before the first call (the answer that started the operation). A
    longer pause asked for is honoured with a schedule (and ignored by the backoff).

    ``tolerate`` names the failures of one probe that are worth another try
    (it returns a short reason, or None to let the error through): a read that
    timed out or a 503 does not end the wait while the deadline has time left.
    Each tolerated failure is reported to ``on_tolerated``.
    """
    if schedule is not None and retry_after:
        sleep(min(retry_after, schedule.longest_retry_after, deadline.remaining()))
    delay = initial_delay
    reads = 0
    last_failure = ""
    while True:
        asked: float | None = None
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
        reads += 1
        if isinstance(value, Pending):
            asked, value = value.retry_after, None
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
        if schedule is not None:
            pause = schedule.delay(reads, asked)
        else:
            pause = delay * random.uniform(0.8, 1.0)
            delay = min(delay * 2, max_delay)
        # Sleep at most until the deadline, then probe once more before giving up.
        sleep(min(pause, deadline.remaining()))
