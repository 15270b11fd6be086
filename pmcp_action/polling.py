"""How often a wait reads whether an operation finished: one schedule for every target.

A deploy waits on operations it cannot see finish: a deployment, a long-running operation,
a build, an update being applied, a revision becoming ready. Each wait reads the state at
once, then after :data:`OPERATION_POLL`'s delays: quick at first (a small change is often
done within seconds), then every 3 s, so an operation that finishes at any point is noticed
within 3 s. A platform that asks for a longer pause (``Retry-After``) gets it. The loop
itself, bounded by the run's deadline, is :func:`pmcp_action.deadline.poll_until`; a retry
(a call sent again after a passing failure) keeps that loop's doubling backoff instead.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["OPERATION_POLL", "Pending", "PollSchedule"]


@dataclass(frozen=True)
class Pending:
    """A probe's "not finished yet", with the pause the platform asked for (``Retry-After``,
    seconds; None when it did not say)."""

    retry_after: float | None = None


@dataclass(frozen=True)
class PollSchedule:
    """The delays between the reads of a wait: ``intervals``, its last one repeated.

    Each delay is shortened by up to ``jitter`` (a fraction) so parallel jobs do not read in
    lockstep, never lengthened: an operation that ends between two reads is seen at most
    :attr:`worst_lag` seconds later. A longer ``Retry-After`` from the platform is honoured,
    up to ``longest_retry_after`` seconds (a wait is bounded by its deadline either way).
    """

    intervals: tuple[float, ...] = (0.5, 1.0, 1.0, 2.0, 2.0, 3.0)
    jitter: float = 0.2
    longest_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if not self.intervals or min(self.intervals) <= 0:
            raise ValueError(f"a poll schedule needs positive intervals, not {self.intervals!r}")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError(f"jitter is a fraction in [0, 1), not {self.jitter!r}")

    @property
    def worst_lag(self) -> float:
        """The longest the end of an operation goes unnoticed (no ``Retry-After`` asked)."""
        return max(self.intervals)

    def interval(self, reads: int) -> float:
        """The planned delay after ``reads`` reads (1 for the first), before jitter."""
        return self.intervals[min(max(reads, 1), len(self.intervals)) - 1]

    def delay(
        self,
        reads: int,
        retry_after: float | None = None,
        *,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> float:
        """The pause after ``reads`` reads: the schedule's, or the platform's when longer."""
        planned = self.interval(reads) * uniform(1.0 - self.jitter, 1.0)
        if retry_after is not None and retry_after > planned:
            return min(retry_after, self.longest_retry_after)
        return planned


#: The schedule of every wait for an operation to finish: reads at 0, 0.5, 1.5, 2.5, 4.5,
#: 6.5 s, then every 3 s (worst detection lag 3 s; ``benchmarks/detection_lag.md``).
OPERATION_POLL = PollSchedule()
