from __future__ import annotations

import httpx
import pytest

from pmcp_action.errors import RemoteApiError
from pmcp_action.http import HttpClientFactory, RetryPolicy
from pmcp_action.rest import RestApi, TransportFailure


class Envelope:
    """A provider that answers 200 with ``{"ok": false}`` for a failure."""

    def failed(self, response: httpx.Response) -> bool:
        return response.status_code >= 400 or response.json().get("ok") is False

    def error(self, response: httpx.Response, doing: str) -> RemoteApiError:
        return RemoteApiError(f"{doing}: refused", status=response.status_code)


def _api(handler, *, attempts: int = 3, envelope: Envelope | None = None) -> RestApi:
    client = HttpClientFactory(
        transport=httpx.MockTransport(handler),
        sleep=lambda _s: None,
        policy=RetryPolicy(attempts=attempts),
    )()
    return RestApi(
        client,
        "https://api.example.test/v1/",
        envelope=envelope,
        headers={"Authorization": "Bearer t"},
        reach_hint="override: EXAMPLE_URL",
    )


def test_a_call_sends_the_headers_and_returns_the_object() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"name": "x"})

    assert _api(handler).call_json("GET", "/things/x", "reading x") == {"name": "x"}
    assert str(seen[0].url) == "https://api.example.test/v1/things/x"
    assert seen[0].headers["Authorization"] == "Bearer t"


def test_missing_ok_turns_404_into_none_and_the_envelope_names_failures() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/gone"):
            return httpx.Response(404, json={})
        return httpx.Response(200, json={"ok": False})

    api = _api(handler, envelope=Envelope())
    assert api.find_json("/gone", "reading gone") is None
    with pytest.raises(RemoteApiError, match="writing it: refused"):
        api.call_json("PUT", "/it", "writing it", json={})


def test_a_refused_connection_names_the_call_and_the_hint() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(TransportFailure) as caught:
        _api(handler, attempts=2).call("GET", "/things", "listing the things")
    assert caught.value.message.startswith("Listing the things got no answer after 2 attempts")
    assert "(override: EXAMPLE_URL)" in caught.value.remediation


def test_once_sends_a_mutation_exactly_once() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(503, json={})

    response = _api(handler).send("POST", "/versions", "creating a version", once=True)
    assert response.status_code == 503 and calls == ["POST"]


@pytest.mark.parametrize(("idempotent", "sent"), [(True, 2), (False, 1)])
def test_a_post_that_only_reads_is_sent_again_after_a_lost_answer(
    idempotent: bool, sent: int
) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) == 1:
            raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
        return httpx.Response(200, json={"data": {}})

    api = _api(handler)
    if idempotent:
        assert api.call_json("POST", "/graphql", "reading x", idempotent=True) == {"data": {}}
    else:
        with pytest.raises(TransportFailure, match="may have been carried out"):
            api.call_json("POST", "/graphql", "changing x")
    assert len(calls) == sent
