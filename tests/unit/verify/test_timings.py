"""verify.timings: the round trips of a verification and the cold start of its first answer."""

from __future__ import annotations

from pmcp_action.verify.timings import RoundTrips


def test_the_first_answer_of_a_cold_server_is_timed_from_the_first_request() -> None:
    now = [100.0]
    trips = RoundTrips(clock=lambda: now[0])
    sent = trips.sending()
    now[0] += 2.0
    trips.answered(sent, result=False)  # a 503 while it starts
    sent = trips.sending()
    now[0] += 0.5
    trips.answered(sent, result=True)
    latency = trips.latency()
    assert latency is not None
    assert (latency.round_trips, latency.p50_ms, latency.max_ms) == (2, 1250.0, 2000.0)
    assert latency.cold_start_ms == 2500.0
    assert RoundTrips().latency() is None
