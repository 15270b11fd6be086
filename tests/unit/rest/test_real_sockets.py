"""The network failures the whole-program tests simulate are what real sockets give."""

from __future__ import annotations

import httpx
import pytest

from pmcp_action.http import HttpClientFactory, RetryPolicy
from pmcp_action.rest import TransportFailure
from tests.support.network_faults import (
    Fault,
    FaultyTransport,
    closed_port,
    reset_server,
    unresolvable,
)


def _client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    return HttpClientFactory(
        transport=transport, sleep=lambda _s: None, policy=RetryPolicy(attempts=1)
    )(timeout=5)


def _failure(url: str, transport: httpx.BaseTransport | None = None) -> TransportFailure:
    with _client(transport) as client, pytest.raises(TransportFailure) as caught:
        client.post(url, json={})
    return caught.value


def _simulated(fault: Fault) -> TransportFailure:
    fake = httpx.MockTransport(lambda _r: httpx.Response(200, json={}))
    transport = FaultyTransport(fake, lambda _r: True, fault)
    return _failure("http://127.0.0.1:9/x", transport)


def test_a_refused_port(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _failure(f"http://127.0.0.1:{closed_port()}/x")
    assert "refused the connection (ConnectError)" in real.message
    assert not real.may_have_happened
    simulated = _simulated(Fault.REFUSED)
    assert type(simulated.__cause__) is type(real.__cause__)
    assert "refused the connection (ConnectError)" in simulated.message


def test_a_name_that_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    unresolvable(monkeypatch, "localhost")
    real = _failure("http://localhost:9/x")
    assert "the host name localhost does not resolve (ConnectError)" in real.message
    assert not real.may_have_happened
    simulated = _simulated(Fault.DNS)
    assert type(simulated.__cause__) is type(real.__cause__)
    assert "does not resolve (ConnectError)" in simulated.message


def test_a_reset_in_the_middle_of_the_answer() -> None:
    with reset_server() as port:
        real = _failure(f"http://127.0.0.1:{port}/x")
    assert real.may_have_happened  # the request was sent: the server may have acted
    simulated = _simulated(Fault.RESET)
    assert simulated.may_have_happened
    assert isinstance(real.__cause__, (httpx.ReadError, httpx.RemoteProtocolError))
    assert isinstance(simulated.__cause__, httpx.ReadError)
