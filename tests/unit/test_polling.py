"""polling: one schedule for every wait; the platform's longer Retry-After is honoured."""

from __future__ import annotations

import pytest

from pmcp_action.polling import OPERATION_POLL, Pending, PollSchedule


def test_the_operation_schedule_is_quick_at_first_then_every_3_s():
    planned = [OPERATION_POLL.interval(reads) for reads in range(1, 10)]
    assert planned == [0.5, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0]
    assert OPERATION_POLL.worst_lag == 3.0


def test_jitter_only_shortens_a_delay():
    def lowest(_a: float, _b: float) -> float:
        return _a

    def highest(_a: float, b: float) -> float:
        return b

    assert OPERATION_POLL.delay(6, uniform=highest) == 3.0
    assert OPERATION_POLL.delay(6, uniform=lowest) == pytest.approx(2.4)
    assert all(0.4 <= OPERATION_POLL.delay(1) <= 0.5 for _ in range(200))


def test_only_a_longer_retry_after_replaces_the_schedule_and_it_has_a_ceiling():
    assert OPERATION_POLL.delay(6, 10.0) == 10.0
    assert OPERATION_POLL.delay(6, 1.0) <= 3.0 and OPERATION_POLL.delay(6, 1.0) >= 2.4
    assert OPERATION_POLL.delay(1, 3600.0) == OPERATION_POLL.longest_retry_after == 60.0


@pytest.mark.parametrize(
    "kwargs", [{"intervals": ()}, {"intervals": (1.0, 0.0)}, {"jitter": 1.0}, {"jitter": -0.1}]
)
def test_a_schedule_that_cannot_work_is_refused(kwargs):
    with pytest.raises(ValueError):
        PollSchedule(**kwargs)


def test_pending_says_not_yet_with_or_without_a_pause():
    assert Pending().retry_after is None
    assert Pending(5.0).retry_after == 5.0
