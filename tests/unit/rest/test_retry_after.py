from __future__ import annotations

import email.utils

import pytest

from pmcp_action.rest import retry_after_seconds

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), ("0", 0.0), ("-3", 0.0), (" 2.5 ", 2.5), ("", None), ("soon", None)],
)
def test_seconds_or_nothing(value: str, seconds: float | None) -> None:
    assert retry_after_seconds({"Retry-After": value}, now=lambda: NOW) == seconds


def test_an_http_date_counts_from_now() -> None:
    later = email.utils.formatdate(NOW + 42, usegmt=True)
    assert retry_after_seconds({"Retry-After": later}, now=lambda: NOW) == pytest.approx(42)


def test_a_date_in_the_past_means_no_wait() -> None:
    earlier = email.utils.formatdate(NOW - 60, usegmt=True)
    assert retry_after_seconds({"Retry-After": earlier}, now=lambda: NOW) == 0.0


def test_no_header() -> None:
    assert retry_after_seconds({}) is None
