"""A protected server verified with client credentials: the metadata found and checked,
the token asked for with the endpoint as resource, and what is missing said plainly."""

from __future__ import annotations

from unittest import mock

import httpx
import pytest

from pmcp_action.errors import CredentialExchangeError
from pmcp_action.http import HttpClientFactory
from pmcp_action.verify.oauth import ClientCredentials, client_credentials_token, metadata_urls
from tests.fakes.oauth_server import FakeAuthorizationServer, serve_protected_mcp

pytestmark = pytest.mark.timeout(60)

CLIENT, SECRET = "verifier", "s3cret-client-value"


def _challenge(url: str) -> str:
    answer = httpx.post(
        url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert answer.status_code == 401
    return answer.headers["www-authenticate"]


def test_metadata_urls_in_the_order_a_client_tries_them() -> None:
    assert metadata_urls("https://h.example/a/mcp", 'Bearer resource_metadata="https://m/x"') == [
        "https://m/x",
        "https://h.example/.well-known/oauth-protected-resource/a/mcp",
        "https://h.example/.well-known/oauth-protected-resource",
    ]


@pytest.mark.parametrize("form_auth", [False, True], ids=["basic", "form"])
def test_a_token_from_the_servers_own_authorization_server(form_auth: bool) -> None:
    issuer = FakeAuthorizationServer(form_auth=form_auth)
    issuer.clients[CLIENT] = SECRET
    masked: list[str] = []
    with serve_protected_mcp(issuer) as protected, HttpClientFactory()(timeout=10) as client:
        url = protected.mcp.url
        token = client_credentials_token(
            client,
            url,
            _challenge(url),
            ClientCredentials(CLIENT, SECRET, scope="mcp.read"),
            strict=False,
            mask=masked.append,
        )
        listed = httpx.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            },
            headers={
                "Accept": "application/json, text/event-stream",
                "Authorization": f"Bearer {token.access_token}",
            },
        )
    assert listed.status_code == 200
    assert masked == [token.access_token] and token.findings == ()
    assert token.metadata_url.endswith("/.well-known/oauth-protected-resource/mcp")
    grant = issuer.issued[token.access_token]
    assert grant["resource"] == url and grant["scope"] == "mcp.read"
    assert SECRET not in repr(token) and token.access_token not in repr(token)


def test_metadata_naming_another_resource_is_a_warning_or_a_failure() -> None:
    issuer = FakeAuthorizationServer()
    issuer.clients[CLIENT] = SECRET
    with serve_protected_mcp(issuer, resource_path="other") as protected:
        url = protected.mcp.url
        with HttpClientFactory()(timeout=10) as client:
            for strict in (False, True):
                token = client_credentials_token(
                    client,
                    url,
                    _challenge(url),
                    ClientCredentials(CLIENT, SECRET),
                    strict=strict,
                    mask=lambda _t: None,
                )
                (finding,) = token.findings
                assert finding.rule == "prm-resource"
                assert finding.severity == ("failure" if strict else "warning")
                assert "/other" in finding.message and "RFC 9728" in finding.message


def test_wrong_credentials_and_no_client_credentials_grant_say_what_to_fix() -> None:
    issuer = FakeAuthorizationServer()
    issuer.clients[CLIENT] = SECRET
    with serve_protected_mcp(issuer) as protected, HttpClientFactory()(timeout=10) as client:
        url = protected.mcp.url
        with pytest.raises(CredentialExchangeError) as caught:
            client_credentials_token(
                client,
                url,
                _challenge(url),
                ClientCredentials(CLIENT, "wrong"),
                strict=False,
                mask=lambda _t: None,
            )
        assert "refused the client credentials (HTTP 401, invalid_client" in caught.value.message
        assert "verify-oauth-client-id" in caught.value.remediation
        assert "wrong" not in caught.value.diagnostics()
        issuer.grants = ("authorization_code",)
        with pytest.raises(CredentialExchangeError, match="does not offer the client_credentials"):
            client_credentials_token(
                client,
                url,
                _challenge(url),
                ClientCredentials(CLIENT, SECRET),
                strict=False,
                mask=lambda _t: None,
            )


def test_a_server_without_metadata_cannot_be_verified_with_client_credentials() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401 if request.method == "POST" else 404, headers={"WWW-Authenticate": "Bearer"}
        )

    client = HttpClientFactory(transport=httpx.MockTransport(handler))(timeout=5)
    with client, pytest.raises(CredentialExchangeError) as caught:
        client_credentials_token(
            client,
            "https://mcp.example.test/mcp",
            "Bearer",
            ClientCredentials(CLIENT, SECRET),
            strict=False,
            mask=mock.Mock(),
        )
    assert "publishes no OAuth protected-resource metadata (RFC 9728)" in caught.value.message
    assert "verify-bearer-token" in caught.value.remediation
