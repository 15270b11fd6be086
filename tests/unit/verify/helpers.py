"""Builders shared by the verify tests: a fake clock, one verification, request checks."""

from __future__ import annotations

from typing import Any

from pmcp_action.http import HttpClientFactory
from pmcp_action.verify import (
    LATEST_STATELESS_VERSION,
    VerifyOptions,
    discover_payload,
    verify_server,
)
from tests.fakes.mcp_servers import (
    RecordedRequest,
    RunningServer,
)

TOKEN = "tok-3f9a1c7e5b2d4a60"


class FakeTime:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def run_verify(http: HttpClientFactory, url: str, **options: Any) -> Any:
    logs: list[str] = []
    options.setdefault("timeout_seconds", 15)  # never wait the real 120 s by accident
    fake: FakeTime | None = options.pop("fake", None)
    kwargs: dict[str, Any] = {"http": http, "log": logs.append}
    if fake is not None:
        kwargs.update(sleep=fake.sleep, clock=fake.clock)
    result = verify_server(VerifyOptions(url, **options), **kwargs)
    return result, logs


def since(server: RunningServer, start: int) -> list[RecordedRequest]:
    return list(server.requests)[start:]


def assert_envelope(request: RecordedRequest, method: str) -> None:
    """A 2026-07-28 request: its version and method in headers and in the ``_meta`` envelope."""
    assert request.method == "POST"
    assert request.rpc_method == method
    assert request.headers["mcp-protocol-version"] == LATEST_STATELESS_VERSION
    assert request.headers["mcp-method"] == method
    assert request.headers["accept"] == "application/json, text/event-stream"
    assert request.headers["content-type"] == "application/json"
    assert "mcp-session-id" not in request.headers
    meta = request.json["params"]["_meta"]
    assert meta["io.modelcontextprotocol/protocolVersion"] == LATEST_STATELESS_VERSION
    assert meta["io.modelcontextprotocol/clientCapabilities"] == {}
    assert meta["io.modelcontextprotocol/clientInfo"]["name"] == "pmcp-deploy-action"


def assert_probe(request: RecordedRequest) -> None:
    assert_envelope(request, "server/discover")
    assert request.json == discover_payload()
