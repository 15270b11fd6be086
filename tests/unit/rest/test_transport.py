from __future__ import annotations

import httpx
import pytest

from pmcp_action.rest.transport import DOING, HINT, describe_transport_error, transport_failure


def _request(method: str = "GET", **extensions: str) -> httpx.Request:
    return httpx.Request(method, "https://api.example.test/v1/things?page=2", extensions=extensions)


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            "the host name api.example.test does not resolve (ConnectError)",
        ),
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            "api.example.test refused the connection (ConnectError)",
        ),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "the TLS handshake with api.example.test failed (ConnectError)",
        ),
        (httpx.ConnectTimeout("x"), "api.example.test did not accept the connection in time"),
        (httpx.ReadTimeout("x"), "api.example.test did not answer in time (ReadTimeout)"),
        (
            httpx.RemoteProtocolError("x"),
            "the connection to api.example.test closed before it answered",
        ),
        (httpx.ReadError("reset"), "the connection to api.example.test broke (ReadError)"),
    ],
)
def test_each_failure_is_described_by_what_happened(error: Exception, text: str) -> None:
    assert isinstance(error, httpx.TransportError)
    error.request = _request()
    assert describe_transport_error(error).startswith(text)


def test_a_failure_names_the_call_the_host_and_where_the_endpoint_comes_from() -> None:
    error = httpx.ConnectError("[Errno 111] Connection refused")
    error.request = _request("POST", **{DOING: "uploading version 3", HINT: "override: X_URL"})
    failure = transport_failure(error, attempts=3)
    assert failure.message == (
        "Uploading version 3 got no answer after 3 attempts: api.example.test refused the "
        "connection (ConnectError)."
    )
    assert not failure.may_have_happened  # never connected: nothing was sent
    assert "(override: X_URL)" in failure.remediation
    assert failure.host == "api.example.test" and failure.doing == "uploading version 3"


def test_a_sent_mutation_may_have_happened_a_read_not() -> None:
    dropped = httpx.RemoteProtocolError("closed")
    dropped.request = _request("POST")
    failure = transport_failure(dropped)
    assert failure.may_have_happened
    assert "may have been carried out" in failure.message
    assert "reads what is there before it changes anything" in failure.remediation

    read = httpx.ReadTimeout("slow")
    read.request = _request("GET")
    assert not transport_failure(read).may_have_happened

    query = httpx.ReadError("reset")
    query.request = _request("POST")
    query.request.extensions["pmcp_idempotent"] = True  # a POST that only reads
    assert not transport_failure(query).may_have_happened


def test_without_a_named_call_the_method_and_url_name_it_query_left_out() -> None:
    error = httpx.ReadError("reset")
    error.request = _request("DELETE")
    failure = transport_failure(error)
    assert failure.doing == "DELETE https://api.example.test/v1/things"
    assert "page=2" not in failure.message
