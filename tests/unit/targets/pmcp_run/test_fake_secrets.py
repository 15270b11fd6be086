"""The fake's secret store is strict where pmcp.run's is, and takes exactly the operations the
target sends (validated against the schema): these tests keep it honest."""

from __future__ import annotations

import json
from typing import Any

import httpx

from pmcp_action.targets.pmcp_run.secret_api import (
    DELETE_SERVER_SECRET,
    GET_SERVER_SECRET,
    LIST_SERVER_SECRETS,
    SET_SERVER_SECRET,
)
from tests.fakes.pmcp_run import FakePmcpRun

from .helpers import call_tool
from .test_fake_mcp_server import _deploy_one


def _gql(client: httpx.Client, token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": token},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _set(client: httpx.Client, token: str, name: str, value: str, server: str = "srv") -> Any:
    data = _gql(
        client,
        token,
        SET_SERVER_SECRET,
        serverId=server,
        secretName=name,
        secretValue=value,
        description="d",
    )
    return data["setServerSecret"]


def test_set_is_a_put_and_list_gives_names_only(fake: FakePmcpRun, client: httpx.Client) -> None:
    token = fake.mint_access_token()

    first = _set(client, token, "API_KEY", "value-one")
    again = _set(client, token, "API_KEY", "value-two")
    _set(client, token, "DB_URL", "postgres://db")
    listed = _gql(client, token, LIST_SERVER_SECRETS, serverId="srv")["listServerSecrets"]
    got = _gql(client, token, GET_SERVER_SECRET, serverId="srv", secretName="API_KEY")
    absent = _gql(client, token, GET_SERVER_SECRET, serverId="srv", secretName="NOPE")

    assert first == {"success": True, "serverId": "srv", "secretName": "API_KEY", "error": None}
    assert again["success"] is True
    assert fake.secrets_of("srv") == {"API_KEY": "value-two", "DB_URL": "postgres://db"}
    assert fake.server_secrets[("srv", "mcp")]["API_KEY"].writes == 2
    assert listed["serverId"] == "srv"
    assert isinstance(listed["secrets"], str)  # AWSJSON: a JSON string, not a list
    assert json.loads(listed["secrets"]) == [
        {"name": "API_KEY", "hasValue": True},
        {"name": "DB_URL", "hasValue": True},
    ]
    assert "value-two" not in json.dumps(listed)
    assert got["getServerSecret"] == {
        "serverId": "srv",
        "secretName": "API_KEY",
        "secretValue": "value-two",
        "exists": True,
    }
    assert absent["getServerSecret"]["exists"] is False
    assert fake.secrets_of("other") == {}


def test_refusals_are_success_false_not_graphql_errors(
    fake: FakePmcpRun, client: httpx.Client
) -> None:
    token = fake.mint_access_token()
    fake.secret_failures["FLAKY"] = "Secrets Manager throttled the request"

    bad_name = _set(client, token, "HAS SPACE", "value")
    bad_server = _set(client, token, "OK", "value", server="-srv")
    too_big = _set(client, token, "BIG", "x" * (64 * 1024 + 1))
    just_fits = _set(client, token, "FITS", "x" * (64 * 1024))
    failing = _set(client, token, "FLAKY", "value")
    deleted = _gql(client, token, DELETE_SERVER_SECRET, serverId="srv", secretName="FITS")
    missing = _gql(client, token, DELETE_SERVER_SECRET, serverId="srv", secretName="FITS")

    assert bad_name["success"] is False and "Invalid secret name" in bad_name["error"]
    assert bad_server["success"] is False and "Invalid server id" in bad_server["error"]
    assert too_big["success"] is False and "exceeds 65536 bytes" in too_big["error"]
    assert just_fits["success"] is True
    assert failing == {
        "success": False,
        "serverId": None,
        "secretName": None,
        "error": "Secrets Manager throttled the request",
    }
    assert deleted["deleteServerSecret"] == {"success": True, "error": None}
    assert missing["deleteServerSecret"]["success"] is False
    assert fake.secrets_of("srv") == {}


def test_the_schema_refuses_a_value_of_the_wrong_type_and_keeps_audiences_apart(
    fake: FakePmcpRun, client: httpx.Client
) -> None:
    token = fake.mint_access_token()
    untyped = client.post(
        "/graphql",
        json={
            "query": 'mutation($v: String) { setServerSecret(serverId: "s", secretName: "A", '
            "secretValue: $v) { success } }",
            "variables": {"v": "x"},
        },
        headers={"Authorization": token},
    )
    billing = _gql(
        client,
        token,
        'mutation { setServerSecret(serverId: "srv", secretName: "STRIPE_KEY", '
        'secretValue: "sk-test", audience: billing) { success } }',
    )

    assert untyped.status_code == 400  # String where String! is required
    assert billing["setServerSecret"]["success"] is True
    assert fake.secrets_of("srv") == {}
    assert fake.secrets_of("srv", "billing") == {"STRIPE_KEY": "sk-test"}


def test_a_deployment_sees_the_secrets_its_server_had_when_it_was_created(
    fake: FakePmcpRun, client: httpx.Client
) -> None:
    token = fake.mint_access_token()
    _set(client, token, "API_KEY", "value-one")

    deployment = _deploy_one(fake)
    _set(client, token, "LATER", "value-two")

    assert call_tool(fake, deployment.url, "has_env", {"name": "API_KEY"}) == "true"
    assert call_tool(fake, deployment.url, "has_env", {"name": "LATER"}) == "false"
    assert call_tool(fake, deployment.url, "has_env", {"name": "NOT_THERE"}) == "false"
