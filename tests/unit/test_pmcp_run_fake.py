"""The pmcp.run fake is strict where the real service is: these tests keep it honest."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
import pytest

from pmcp_action.targets.pmcp_run.api import GET_UPLOAD_URLS
from tests.fakes.pmcp_run import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
    FakePmcpRun,
    create_fake,
)
from tests.fakes.server import serve

BASE = "https://pmcp.test"
MCP_ACCEPT = "application/json, text/event-stream"


@pytest.fixture
def fake() -> FakePmcpRun:
    return FakePmcpRun()


@pytest.fixture
def client(fake: FakePmcpRun) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(fake), base_url=BASE)


def _gql(
    client: httpx.Client, token: str, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": token},
    )


def _upload_slot(client: httpx.Client, token: str, template_size: int = 4) -> dict[str, Any]:
    response = _gql(
        client,
        token,
        GET_UPLOAD_URLS,
        {"projectName": "p", "templateSize": template_size, "bootstrapSize": 3},
    )
    data: dict[str, Any] = response.json()["data"]["getUploadUrls"]
    return data


def test_discovery_gives_a_bare_host_over_https_and_an_origin_on_loopback(
    fake: FakePmcpRun, client: httpx.Client
) -> None:
    document = client.get("/.well-known/pmcp-config").json()
    with serve(fake) as url, httpx.Client() as plain:
        served = plain.get(f"{url}/.well-known/pmcp-config").json()

    assert document["cognito_domain"] == "pmcp.test"
    assert document["graphql_url"] == "https://pmcp.test/graphql"
    assert document["cognito_client_id"] == PUBLIC_CLIENT_ID
    assert served["cognito_domain"] == url
    assert served["graphql_url"] == f"{url}/graphql"


def test_token_endpoint_behaves_like_cognito(client: httpx.Client) -> None:
    good = client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
    )
    wrong = client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(DEFAULT_CLIENT_ID, "no")
    )
    no_basic = client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": DEFAULT_CLIENT_ID},
    )
    as_json = client.post("/oauth2/token", json={"grant_type": "client_credentials"})
    bad_refresh = client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": PUBLIC_CLIENT_ID},
    )

    assert good.status_code == 200
    claims = json.loads(base64.urlsafe_b64decode(good.json()["access_token"].split(".")[1] + "=="))
    assert claims["client_id"] == DEFAULT_CLIENT_ID and claims["exp"] > claims["iat"]
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_client"})
    assert no_basic.json() == {"error": "invalid_client"}
    assert as_json.json() == {"error": "invalid_request"}
    assert bad_refresh.json() == {"error": "invalid_grant"}


def test_graphql_rejects_bearer_expired_and_foreign_tokens(
    fake: FakePmcpRun, client: httpx.Client
) -> None:
    token = fake.mint_access_token()
    query = "query { listDeployments { items { id } } }"

    ok = _gql(client, token, query)
    bearer = _gql(client, f"Bearer {token}", query)
    expired = _gql(client, fake.mint_access_token(ttl=-1), query)
    foreign = _gql(client, FakePmcpRun().mint_access_token(), query)
    missing = client.post("/graphql", json={"query": query})

    assert ok.json() == {"data": {"listDeployments": {"items": []}}}
    for response in (bearer, expired, foreign, missing):
        assert response.status_code == 401
        assert response.json()["errors"][0]["errorType"] == "UnauthorizedException"
    assert expired.json()["errors"][0]["message"] == "Token has expired."


def test_graphql_validates_every_query_against_the_schema(
    fake: FakePmcpRun, client: httpx.Client
) -> None:
    token = fake.mint_access_token()

    unknown_field = _gql(client, token, "query { listDeployments { items { id colour } } }")
    wrong_type = _gql(
        client,
        token,
        "mutation($n: String) { getUploadUrls(projectName: $n, templateSize: 1, "
        "bootstrapSize: 1) { templateS3Key } }",
    )
    missing_variable = _gql(client, token, GET_UPLOAD_URLS, {"projectName": "p"})

    assert unknown_field.status_code == 400
    assert unknown_field.json()["errors"][0]["message"].startswith(
        "Validation error of type FieldUndefined: Cannot query field 'colour'"
    )
    assert wrong_type.status_code == 400  # String where String! is required
    assert missing_variable.json()["data"] is None
    assert "templateSize" in missing_variable.json()["errors"][0]["message"]
    assert fake.uploads == {}


def test_presigned_uploads_check_method_signature_length_and_type(
    fake: FakePmcpRun, client: httpx.Client
) -> None:
    slot = _upload_slot(client, fake.mint_access_token())
    url = slot["templateUploadUrl"]
    json_type = {"Content-Type": "application/json"}

    post = client.post(url, content=b"{}  ", headers=json_type)
    forged = client.put(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), content=b"{}  ")
    too_long = client.put(url, content=b"{}    ", headers=json_type)
    wrong_type = client.put(url, content=b"{}  ", headers={"Content-Type": "text/plain"})
    with_auth = client.put(url, content=b"{}  ", headers={**json_type, "Authorization": "tok"})
    chunked = client.put(url, content=iter([b"{}", b"  "]), headers=json_type)
    stored_before = fake.uploads[slot["templateS3Key"]].stored
    good = client.put(url, content=b"{}  ", headers=json_type)

    assert post.status_code == 405
    assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content
    assert too_long.status_code == 403 and b"differs from the signed size" in too_long.content
    assert wrong_type.status_code == 403
    assert with_auth.status_code == 400
    assert chunked.status_code == 501
    assert not stored_before
    assert good.status_code == 200
    upload = fake.uploads[slot["templateS3Key"]]
    assert upload.sha256 == hashlib.sha256(b"{}  ").hexdigest()
    assert upload.content_type == "application/json"


def test_deployment_needs_both_uploads(fake: FakePmcpRun, client: httpx.Client) -> None:
    token = fake.mint_access_token()
    slot = _upload_slot(client, token)
    mutation = (
        "mutation($t: String!, $b: String!) { createDeploymentFromS3(templateS3Key: $t, "
        'bootstrapS3Key: $b, projectName: "p") { deploymentId } }'
    )

    response = _gql(
        client, token, mutation, {"t": slot["templateS3Key"], "b": slot["bootstrapS3Key"]}
    )

    error = response.json()["errors"][0]
    assert error["errorType"] == "BadRequestException"
    assert "The template was not uploaded" in error["message"]
    assert fake.deployments == {}


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
