"""deadline: polls back off within the run's deadline, tolerate passing failures, and say what
they waited for."""

from __future__ import annotations

import pytest

from pmcp_action.deadline import Deadline, poll_until
from pmcp_action.errors import TimeoutExceededError
from pmcp_action.polling import OPERATION_POLL, Pending, PollSchedule


def test_poll_until_backs_off_and_returns():
    answers = iter([None, None, "ready"])
    sleeps: list[float] = []
    value = poll_until(
        lambda: next(answers),
        deadline=Deadline(100),
        what="x",
        initial_delay=1,
        max_delay=3,
        sleep=sleeps.append,
    )
    assert value == "ready"
    assert len(sleeps) == 2
    assert 0.8 <= sleeps[0] <= 1.0 and 1.6 <= sleeps[1] <= 2.0


def test_poll_until_times_out_with_a_clear_message():
    now = [0.0]
    deadline = Deadline(5, clock=lambda: now[0])

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(TimeoutExceededError) as caught:
        poll_until(lambda: None, deadline=deadline, what="the deployment", sleep=sleep)
    assert "Gave up waiting for the deployment: the deadline of 5 s passed." in caught.value.message
    assert "timeout-minutes" in caught.value.remediation
    assert now[0] == pytest.approx(5.0)


def test_a_poll_tolerates_passing_failures_until_it_succeeds():
    import httpx

    from pmcp_action.errors import RemoteApiError
    from pmcp_action.http import transient_reason

    request = httpx.Request("POST", "https://api.example/graphql")
    outcomes: list[object] = [
        httpx.ReadTimeout("slow", request=request),
        RemoteApiError("busy", status=503),
        None,
        "done",
    ]
    told: list[str] = []

    def probe():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = poll_until(
        probe,
        deadline=Deadline(60),
        what="the deployment",
        sleep=lambda _s: None,
        tolerate=transient_reason,
        on_tolerated=told.append,
    )
    assert result == "done"
    assert told == [
        "the deployment: ReadTimeout talking to api.example; trying again",
        "the deployment: HTTP 503; trying again",
    ]


def test_a_poll_lets_real_errors_through_and_names_the_last_failure_at_the_deadline():
    from pmcp_action.errors import RemoteApiError
    from pmcp_action.http import transient_reason

    def refused():
        raise RemoteApiError("no", status=403)

    with pytest.raises(RemoteApiError):
        poll_until(refused, deadline=Deadline(60), what="x", tolerate=transient_reason)

    now = [0.0]

    def always_busy():
        now[0] += 10
        raise RemoteApiError("busy", status=503)

    with pytest.raises(TimeoutExceededError) as caught:
        poll_until(
            always_busy,
            deadline=Deadline(25, clock=lambda: now[0]),
            what="the deployment",
            sleep=lambda _s: None,
            tolerate=transient_reason,
        )
    assert "the last check failed (HTTP 503)" in caught.value.message


def test_poll_until_follows_a_schedule_and_repeats_its_last_delay():
    answers = iter([None] * 7 + ["ready"])
    sleeps: list[float] = []
    poll_until(
        lambda: next(answers),
        deadline=Deadline(100),
        what="x",
        schedule=PollSchedule((1, 1, 2, 2, 3)),
        sleep=sleeps.append,
    )
    expected = [1, 1, 2, 2, 3, 3, 3]
    assert len(sleeps) == len(expected)
    assert all(0.8 * want <= got <= want for got, want in zip(sleeps, expected, strict=True))


def test_pmcp_run_notices_the_end_within_3_s_at_any_point_of_a_10_minute_deploy():
    """P5: the lag between the backend finishing and the next status read is at most 3 s."""
    worst = 0.0
    for tenth in range(0, 6000, 7):  # the backend finishes at 0.0 s, 0.7 s, ... 599.9 s
        finished_at = tenth / 10
        now = [0.0]

        def probe(finished_at: float = finished_at, now: list[float] = now) -> float | None:
            return now[0] if now[0] >= finished_at else None

        def sleep(seconds: float, now: list[float] = now) -> None:
            now[0] += seconds

        def clock(now: list[float] = now) -> float:
            return now[0]

        seen = poll_until(
            probe,
            deadline=Deadline(660, clock=clock),
            what="x",
            schedule=OPERATION_POLL,
            sleep=sleep,
        )
        worst = max(worst, seen - finished_at)
    assert worst <= 3.0


def test_a_longer_retry_after_is_honoured_and_a_shorter_one_is_not():
    answers = iter([Pending(7.0), Pending(0.1), Pending(None), "ready"])
    sleeps: list[float] = []
    poll_until(
        lambda: next(answers),
        deadline=Deadline(100),
        what="x",
        schedule=OPERATION_POLL,
        sleep=sleeps.append,
        retry_after=4.0,
    )
    assert sleeps[:2] == [4.0, 7.0]  # before the first read, then after it
    assert 0.8 <= sleeps[2] <= 1.0 and 0.8 <= sleeps[3] <= 1.0  # the schedule's own


def test_a_retry_after_never_outlasts_the_deadline():
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(TimeoutExceededError) as caught:
        poll_until(
            lambda: Pending(45.0),
            deadline=Deadline(20, clock=lambda: now[0]),
            what="the operation",
            schedule=OPERATION_POLL,
            sleep=sleep,
        )
    assert "Gave up waiting for the operation: the deadline of 20 s passed." in caught.value.message
    assert now[0] == pytest.approx(20.0)
