"""The verification's round trips, timed: how many, their median and longest, and how long
a cold server took to give its first MCP answer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from ..result import Latency

__all__ = ["RoundTrips"]


class RoundTrips:
    """Every HTTP request of a verification that got an answer, across its checks."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.seconds: list[float] = []
        #: When the first request was sent, and when the first JSON-RPC result came back.
        self.first_sent: float | None = None
        self.first_answer: float | None = None

    def sending(self) -> float:
        """Note a request leaving; the time it left."""
        now = self.clock()
        if self.first_sent is None:
            self.first_sent = now
        return now

    def answered(self, sent_at: float, *, result: bool) -> None:
        """Note an answer to the request sent at ``sent_at``; ``result``: a JSON-RPC result."""
        now = self.clock()
        self.seconds.append(now - sent_at)
        if result and self.first_answer is None:
            self.first_answer = now

    def latency(self) -> Latency | None:
        """The figures so far (None before any answer)."""
        if not self.seconds:
            return None
        cold = None
        if self.first_sent is not None and self.first_answer is not None:
            cold = (self.first_answer - self.first_sent) * 1000
        return Latency(
            round_trips=len(self.seconds),
            p50_ms=statistics.median(self.seconds) * 1000,
            max_ms=max(self.seconds) * 1000,
            cold_start_ms=cold,
        )
