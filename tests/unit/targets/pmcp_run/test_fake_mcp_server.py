"""The fake's served MCP servers, its faults and its control API."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fakes.pmcp_run import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    FakePmcpRun,
    create_fake,
)
from tests.fakes.server import serve

from .helpers import BASE

MCP_ACCEPT = "application/json, text/event-stream"


def _deploy_one(fake: FakePmcpRun) -> Any:
    """Create a live deployment through the fake's own resolvers."""
    key_t, key_b = "t.json", "b"
    from tests.fakes.pmcp_run import Upload

    template = json.dumps({"Resources": {"F": {"Type": "AWS::Lambda::Function"}}}).encode()
    fake.uploads[key_t] = Upload(key_t, "template", "srv", len(template), 0, 1, "x", data=template)
    fake.uploads[key_b] = Upload(key_b, "bootstrap", "srv", 1, 0, 1, "y")
    fake.create_deployment(
        BASE,
        {
            "templateS3Key": key_t,
            "bootstrapS3Key": key_b,
            "projectName": "srv",
            "serverVersion": "9.9.9",
        },
    )
    (deployment,) = fake.deployments.values()
    while deployment.status != "success":
        fake.advance(deployment)
    return deployment


def test_deployed_server_speaks_streamable_http(fake: FakePmcpRun, client: httpx.Client) -> None:
    deployment = _deploy_one(fake)
    url = deployment.url

    no_accept = client.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    init = client.post(
        url,
        headers={"Accept": MCP_ACCEPT},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": "1999-01-01", "capabilities": {}},
        },
    )
    no_session = client.post(
        url,
        headers={"Accept": MCP_ACCEPT},
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    )
    session = {"Accept": MCP_ACCEPT, "Mcp-Session-Id": init.headers["Mcp-Session-Id"]}
    call = client.post(
        url,
        headers={**session, "MCP-Protocol-Version": "2025-06-18"},
        json={
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "add", "arguments": {"a": 2, "b": 3}},
        },
    )
    get = client.get(url, headers=session)

    assert no_accept.status_code == 406
    result = init.json()["result"]
    assert result["protocolVersion"] == "2025-06-18"  # unsupported request → latest
    assert result["serverInfo"] == {"name": "srv", "version": "9.9.9"}
    assert "tools" in result["capabilities"]
    assert no_session.status_code == 400
    assert call.json()["result"]["content"] == [{"type": "text", "text": "5"}]
    assert get.status_code == 405


@pytest.mark.parametrize("mode", ["http_500", "garbage", "no_tools"])
def test_break_server_switch(fake: FakePmcpRun, client: httpx.Client, mode: str) -> None:
    deployment = _deploy_one(fake)
    fake.break_server(mode)

    response = client.post(
        deployment.url,
        headers={"Accept": MCP_ACCEPT},
        json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
    )
    health = client.get(deployment.url.replace("/mcp", "/health"))

    if mode == "http_500":
        assert response.status_code == 500 and health.status_code == 500
    elif mode == "garbage":
        assert response.headers["Content-Type"] == "text/html"
    else:
        session = {"Accept": MCP_ACCEPT, "Mcp-Session-Id": response.headers["Mcp-Session-Id"]}
        tools = client.post(
            deployment.url,
            headers=session,
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        )
        assert tools.json()["result"]["tools"] == []
        assert health.status_code == 200


def test_unknown_paths_and_dead_deployments_are_404(
    fake: FakePmcpRun, client: httpx.Client
) -> None:
    assert client.get("/nothing").status_code == 404
    assert client.post("/dep_missing/mcp").status_code == 404


def test_factory_and_state_snapshot_over_the_control_api() -> None:
    fake = create_fake()
    _deploy_one(fake)
    with serve(fake) as url, httpx.Client() as plain:
        state = plain.get(f"{url}/__fake__/state").json()

    (deployment,) = state["deployments"].values()
    assert deployment["projectName"] == "srv" and deployment["live"] is True
    assert fake.initial_clients == {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
