from __future__ import annotations

import httpx
import pytest

from pmcp_action.deadline import Deadline
from pmcp_action.errors import InsecureEndpointError
from pmcp_action.http import USER_AGENT, HttpClientFactory, RetryPolicy
from pmcp_action.rest import TransportFailure


class FlakyServer:
    """Fails the first ``failures`` requests in the given way, then answers 200."""

    def __init__(self, failures: int, how: str = "503", retry_after: str | None = None) -> None:
        self.failures = failures
        self.how = how
        self.retry_after = retry_after
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if len(self.calls) <= self.failures:
            if self.how == "connect":
                raise httpx.ConnectError("refused", request=request)
            if self.how == "read-timeout":
                raise httpx.ReadTimeout("slow", request=request)
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return httpx.Response(int(self.how), headers=headers, text="busy")
        return httpx.Response(200, json={"ok": True, "ua": request.headers["User-Agent"]})


def make(server, *, attempts=5, deadline=None, sleeps=None):
    recorded = sleeps if sleeps is not None else []
    factory = HttpClientFactory(
        transport=httpx.MockTransport(server),
        policy=RetryPolicy(attempts=attempts, base_delay=0.5, max_delay=8),
        deadline=deadline,
        sleep=recorded.append,
    )
    return factory(base_url="https://api.example.test")


@pytest.mark.parametrize("how", ["429", "500", "502", "503", "504", "connect"])
def test_transient_failures_are_retried_until_success(how):
    server = FlakyServer(failures=3, how=how)
    sleeps: list[float] = []
    response = make(server, sleeps=sleeps).get("/x")
    assert response.status_code == 200
    assert len(server.calls) == 4
    assert len(sleeps) == 3
    # Full jitter: each pause is within [0, min(cap, base * 2**attempt)].
    for attempt, pause in enumerate(sleeps):
        assert 0.0 <= pause <= min(8, 0.5 * 2**attempt)


def test_gives_up_after_the_last_attempt_and_returns_the_last_response():
    server = FlakyServer(failures=10, how="503")
    client = make(server, attempts=3)
    assert client.get("/x").status_code == 503
    assert len(server.calls) == 3
    assert [outcome for _, _, outcome in client.attempt_log] == ["503", "503", "503"]


def test_connection_errors_are_raised_after_the_last_attempt():
    server = FlakyServer(failures=10, how="connect")
    with pytest.raises(TransportFailure) as caught:
        make(server, attempts=2).get("/x")
    assert len(server.calls) == 2
    failure = caught.value
    assert isinstance(failure.__cause__, httpx.ConnectError)
    assert failure.host == "api.example.test" and not failure.may_have_happened
    assert failure.message == (
        "GET https://api.example.test/x got no answer after 2 attempts: api.example.test "
        "refused the connection (ConnectError)."
    )


def test_retry_after_is_honoured():
    server = FlakyServer(failures=1, how="429", retry_after="7")
    sleeps: list[float] = []
    assert make(server, sleeps=sleeps).get("/x").status_code == 200
    assert sleeps == [7.0]


def test_post_is_not_replayed_after_a_read_timeout_but_get_is():
    post_server = FlakyServer(failures=1, how="read-timeout")
    with pytest.raises(TransportFailure) as caught:
        make(post_server).post("/mutate", json={})
    assert len(post_server.calls) == 1
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert caught.value.may_have_happened
    assert "may have been carried out" in caught.value.message

    get_server = FlakyServer(failures=1, how="read-timeout")
    assert make(get_server).get("/read").status_code == 200
    assert len(get_server.calls) == 2


def test_retries_stop_at_the_deadline():
    server = FlakyServer(failures=10, how="503")
    expired = Deadline(0.0)
    assert make(server, deadline=expired).get("/x").status_code == 503
    assert len(server.calls) == 1


def test_a_request_can_opt_out_of_retries():
    server = FlakyServer(failures=1, how="503")
    client = make(server)
    request = client.build_request("PUT", "/upload", extensions={"pmcp_retry": False})
    assert client.send(request).status_code == 503
    assert len(server.calls) == 1


def test_user_agent_carries_the_version():
    server = FlakyServer(failures=0)
    body = make(server).get("/x").json()
    assert body["ua"] == USER_AGENT
    assert USER_AGENT.startswith("pmcp-deploy-action/")


@pytest.mark.parametrize(
    "url", ["http://example.com/x", "http://10.0.0.1/x", "http://192.168.1.1/x", "ftp://h/x"]
)
def test_plain_http_to_non_loopback_hosts_is_refused(url):
    server = FlakyServer(failures=0)
    client = make(server)
    with pytest.raises(InsecureEndpointError):
        client.get(url)
    assert server.calls == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/x", "http://127.8.9.10/x", "http://localhost/x", "http://[::1]:8/x"]
)
def test_plain_http_to_loopback_is_allowed(url):
    server = FlakyServer(failures=0)
    assert make(server).get(url).status_code == 200


def test_factory_refuses_an_insecure_base_url():
    with pytest.raises(InsecureEndpointError) as caught:
        HttpClientFactory()(base_url="http://api.example.com")
    assert "Use an https:// URL" in caught.value.diagnostics()


def test_closing_one_client_leaves_an_injected_transport_open_for_the_next():
    class OwnedTransport(httpx.MockTransport):
        closed = 0

        def close(self) -> None:
            OwnedTransport.closed += 1

    factory = HttpClientFactory(transport=OwnedTransport(lambda r: httpx.Response(204)))
    with factory(base_url="https://api.example.test") as first:
        assert first.get("/a").status_code == 204
    with factory(base_url="https://api.example.test") as second:
        assert second.get("/b").status_code == 204
    assert OwnedTransport.closed == 0


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (httpx.ConnectError, "could not connect to api.example (ConnectError)"),
        (
            httpx.ConnectTimeout,
            "api.example did not accept the connection in time (ConnectTimeout)",
        ),
        (httpx.ReadTimeout, "api.example did not answer in time (ReadTimeout)"),
        (
            httpx.RemoteProtocolError,
            "the connection to api.example closed before it answered (RemoteProtocolError)",
        ),
        (httpx.ReadError, "the connection to api.example broke (ReadError)"),
    ],
)
def test_transport_errors_are_described_in_words(error, text):
    from pmcp_action.rest.transport import describe_transport_error

    request = httpx.Request("POST", "https://api.example/graphql")
    assert describe_transport_error(error("x", request=request)) == text
