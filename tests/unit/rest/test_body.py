from __future__ import annotations

import httpx
import pytest

from pmcp_action.errors import RemoteApiError
from pmcp_action.rest import json_object, json_or_none

REQUEST = httpx.Request("GET", "https://api.example.test/x")


def _answer(status: int, content: bytes) -> httpx.Response:
    return httpx.Response(status, content=content, request=REQUEST)


def test_an_object_is_returned() -> None:
    assert json_object(_answer(200, b'{"a": 1}'), "reading x") == {"a": 1}


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"", "an empty body"), (b"<html>proxy</html>", "not a JSON object"), (b"[1]", "not a JSON")],
)
def test_anything_else_names_the_host_the_call_and_the_status(content: bytes, what: str) -> None:
    with pytest.raises(RemoteApiError) as caught:
        json_object(_answer(200, content), "reading service x")
    assert caught.value.message.startswith("Reading service x: api.example.test answered HTTP 200")
    assert what in caught.value.message
    assert caught.value.status == 200


def test_json_or_none() -> None:
    assert json_or_none(_answer(200, b"")) is None
    assert json_or_none(_answer(500, b"oops")) is None
    assert json_or_none(_answer(200, b'["a"]')) == ["a"]
