"""The fake's discovery, token endpoint, GraphQL API and uploads are strict where the real
service is: these tests keep it honest."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx

from pmcp_action.targets.pmcp_run.api import GET_UPLOAD_URLS
from tests.fakes.pmcp_run import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
    FakePmcpRun,
)
from tests.fakes.server import serve


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
