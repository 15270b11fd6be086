"""A simulated monotonic clock for the waits: time moves only when the code under test sleeps.

``finished`` says whether an operation that ends at ``at`` seconds has ended by now; a
test gates a fake's answers with it ("in progress" before, the fake's own after) and
checks that the wait noticed the end within the schedule's worst lag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pmcp_action.deadline import Deadline

__all__ = ["FINISHING_TIMES", "SimClock"]

#: Points of a 10-minute operation at which the tests have it finish (seconds).
FINISHING_TIMES = (0.0, 0.3, 2.2, 7.7, 61.3, 299.9, 599.0)


@dataclass
class SimClock:
    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)
    #: When the operation under test ends (seconds; ``inf``: never).
    ends_at: float = float("inf")
    #: The times at which the gated fake was read.
    reads: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)

    def deadline(self, seconds: float) -> Deadline:
        return Deadline(seconds, clock=self)

    def finished(self) -> bool:
        """Whether the operation has ended by now (each call is one read of it)."""
        self.reads.append(self.now)
        return self.now >= self.ends_at

    @property
    def lag(self) -> float:
        """How long after the operation ended the wait returned."""
        return self.now - self.ends_at
