"""The MCP Registry fake, held to the registry's contract: GitHub OIDC sign-in (signature,
issuer, audience, owner), publish (schema 422s, the registry's own 400s, immutable versions,
permissions), the read API's shapes and 404s, and the same over a real loopback socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.mcp_registry import CURRENT_SCHEMA, EMULATOR, FakeMcpRegistry
from tests.fakes.oidc_issuer import FakeOidcIssuer
from tests.fakes.server import serve

BASE = "https://registry.mcp.test"
NAME = "io.github.octo-org/weather"


def document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "$schema": CURRENT_SCHEMA,
        "name": NAME,
        "description": "Weather forecasts",
        "version": "1.0.0",
        "remotes": [{"type": "streamable-http", "url": "https://weather.example/mcp"}],
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


@pytest.fixture
def fake() -> FakeMcpRegistry:
    return FakeMcpRegistry()


@pytest.fixture
def client(fake: FakeMcpRegistry) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(fake), base_url=BASE) as made:
        yield made


def sign_in(client: httpx.Client, owner: str = "octo-org", audience: str = BASE) -> str:
    token = FakeOidcIssuer(repository=f"{owner}/repo").issue(audience)
    answer = client.post("/v0/auth/github-oidc", json={"oidc_token": token})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"registry_token", "expires_at"}
    return str(body["registry_token"])


def publish(client: httpx.Client, token: str, doc: dict[str, Any]) -> httpx.Response:
    return client.post("/v0/publish", json=doc, headers={"Authorization": f"Bearer {token}"})


def errors(answer: httpx.Response) -> list[str]:
    return [item["message"] for item in answer.json().get("errors", [])]


def test_a_published_version_reads_back_with_the_registrys_metadata(
    client: httpx.Client,
) -> None:
    token = sign_in(client)

    answer = publish(client, token, document())

    assert answer.status_code == 200, answer.text
    read = client.get(f"/v0.1/servers/{NAME.replace('/', '%2F')}/versions/1.0.0")
    assert read.status_code == 200
    body = read.json()
    assert body["server"] == document()
    official = body["_meta"]["io.modelcontextprotocol.registry/official"]
    assert official["status"] == "active" and official["isLatest"] is True
    assert answer.json()["server"] == body["server"]


def test_a_version_is_immutable(client: httpx.Client) -> None:
    token = sign_in(client)
    assert publish(client, token, document()).status_code == 200

    again = publish(client, token, document(description="Changed"))

    assert again.status_code == 400
    assert again.headers["Content-Type"] == "application/problem+json"
    assert again.json()["detail"] == "Failed to publish server"
    assert errors(again) == ["invalid version: cannot publish duplicate version"]


def test_latest_is_the_highest_version(client: httpx.Client) -> None:
    token = sign_in(client)
    for version in ("1.0.0", "2.0.0", "1.5.0"):
        assert publish(client, token, document(version=version)).status_code == 200
    latest = client.get(f"/v0.1/servers/{NAME.replace('/', '%2F')}/versions/latest")
    assert latest.json()["server"]["version"] == "2.0.0"
    listed = client.get(f"/v0.1/servers/{NAME.replace('/', '%2F')}/versions").json()
    assert [s["server"]["version"] for s in listed["servers"]] == ["1.5.0", "2.0.0", "1.0.0"]


def test_reads_of_what_is_not_there_are_404_problems(client: httpx.Client) -> None:
    answer = client.get("/v0.1/servers/io.github.x%2Fnone/versions/1.0.0")
    assert answer.status_code == 404
    assert answer.json() == {"title": "Not Found", "status": 404, "detail": "Server not found"}


@pytest.mark.parametrize(
    ("changes", "location", "message"),
    [
        ({"name": "weather"}, "body.name", "expected string to match pattern"),
        ({"description": "x" * 101}, "body.description", "expected length <= 100"),
        ({"version": None}, "body", "expected required property version to be present"),
        ({"homepage": "https://x.example"}, "body.homepage", "unexpected property"),
        (
            {"remotes": [{"type": "websocket", "url": "https://w.example"}]},
            "body.remotes[0].type",
            "expected value to be one of streamable-http, sse",
        ),
        (
            {"remotes": [{"type": "sse", "url": "ftp://w.example"}]},
            "body.remotes[0].url",
            "expected string to match pattern",
        ),
    ],
)
def test_the_schema_refuses_with_422_naming_the_field(
    client: httpx.Client, changes: dict[str, Any], location: str, message: str
) -> None:
    answer = publish(client, sign_in(client), document(**changes))

    assert answer.status_code == 422
    [item] = answer.json()["errors"]
    assert item["location"] == location and item["message"].startswith(message)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"$schema": None}, "$schema field is required"),
        ({"version": "latest"}, "version string 'latest' is reserved and cannot be used"),
        ({"version": "^1.2.0"}, 'version must be a specific version, not a range: "^1.2.0"'),
        ({"version": "1.x"}, 'version must be a specific version, not a range: "1.x"'),
        ({"name": "io.github.octo-org/-weather"}, "name '-weather' is invalid"),
        (
            {"remotes": [{"type": "streamable-http", "url": "http://weather.example/mcp"}]},
            "invalid remote URL: http://weather.example/mcp",
        ),
        (
            {"remotes": [{"type": "streamable-http", "url": "https://localhost/mcp"}]},
            "invalid remote URL: https://localhost/mcp",
        ),
    ],
)
def test_the_registrys_own_rules_refuse_with_400(
    client: httpx.Client, changes: dict[str, Any], message: str
) -> None:
    answer = publish(client, sign_in(client), document(**changes))

    assert answer.status_code == 400
    assert any(message in text for text in errors(answer)), errors(answer)


def test_a_private_registry_takes_a_loopback_remote() -> None:
    fake = FakeMcpRegistry(official=False)
    with httpx.Client(transport=httpx.MockTransport(fake), base_url=BASE) as client:
        doc = document(remotes=[{"type": "streamable-http", "url": "http://127.0.0.1:9/mcp"}])
        assert publish(client, sign_in(client), doc).status_code == 200


def test_a_remote_another_server_lists_is_refused(client: httpx.Client) -> None:
    token = sign_in(client)
    assert publish(client, token, document()).status_code == 200

    answer = publish(client, token, document(name="io.github.octo-org/other"))

    assert answer.status_code == 400
    assert errors(answer) == [
        f"remote URL https://weather.example/mcp is already used by server {NAME}"
    ]


def test_only_the_publishers_metadata_is_kept(client: httpx.Client) -> None:
    meta = {"io.modelcontextprotocol.registry/publisher-provided": {"tool": "t"}, "x.y": {}}
    answer = publish(client, sign_in(client), document(_meta=meta))
    assert answer.json()["server"]["_meta"] == {
        "io.modelcontextprotocol.registry/publisher-provided": {"tool": "t"}
    }


def test_publishing_outside_the_owners_namespace_is_forbidden(client: httpx.Client) -> None:
    answer = publish(client, sign_in(client, owner="someone"), document())

    assert answer.status_code == 403
    assert answer.json()["detail"] == (
        "You do not have permission to publish this server. You have permission to publish: "
        f"io.github.someone/*. Attempting to publish: {NAME}"
    )


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ({}, "Invalid Authorization header format. Expected 'Bearer <token>'"),
        ({"Authorization": "Bearer mcpreg_forged"}, "Invalid or expired Registry JWT token"),
    ],
)
def test_publishing_needs_a_registry_token(
    client: httpx.Client, header: dict[str, str], detail: str
) -> None:
    answer = client.post("/v0/publish", json=document(), headers=header)
    assert answer.status_code == 401
    assert answer.json()["detail"] == detail


def test_a_registry_token_expires() -> None:
    now = [1_000_000.0]
    fake = FakeMcpRegistry(clock=lambda: now[0])
    with httpx.Client(transport=httpx.MockTransport(fake), base_url=BASE) as client:
        token = sign_in(client)
        now[0] += 301
        assert publish(client, token, document()).status_code == 401


def test_the_sign_in_checks_the_audience_signature_and_owner(client: httpx.Client) -> None:
    issuer = FakeOidcIssuer(repository="octo-org/repo")
    wrong_audience = issuer.issue("mcp-registry")
    answer = client.post("/v0/auth/github-oidc", json={"oidc_token": wrong_audience})
    assert answer.status_code == 401
    assert errors(answer) == [
        f"failed to validate OIDC token: invalid audience: expected {BASE}, got mcp-registry"
    ]

    claims = issuer.github_claims(BASE)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": issuer.kid})
    assert client.post("/v0/auth/github-oidc", json={"oidc_token": forged}).status_code == 401

    claims.pop("repository_owner")
    no_owner = issuer.mint(claims)
    answer = client.post("/v0/auth/github-oidc", json={"oidc_token": no_owner})
    assert errors(answer) == ["repository owner claim is required"]

    answer = client.post("/v0/auth/github-oidc", json={"oidc_token": "x", "extra": 1})
    assert answer.status_code == 422


def test_served_on_loopback_the_audience_is_its_own_url() -> None:
    fake = FakeMcpRegistry()
    with serve(fake) as url, httpx.Client(base_url=str(url), timeout=10) as client:
        token = sign_in(client, audience=str(url))
        assert publish(client, token, document()).status_code == 200
        assert client.get("/v0/health").json()["status"] == "ok"


def test_the_emulator_serves_the_registry_and_the_token_endpoint() -> None:
    with EMULATOR.start() as running:
        url = running.env["PMCP_REGISTRY_URL"]
        request_url = running.env["ACTIONS_ID_TOKEN_REQUEST_URL"]
        token = httpx.get(
            f"{request_url}&audience={url}",
            headers={"Authorization": f"Bearer {running.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"},
            timeout=10,
        ).json()["value"]
        answer = httpx.post(f"{url}/v0/auth/github-oidc", json={"oidc_token": token}, timeout=10)
        assert answer.status_code == 200
