"""azure-identity against the Entra ID fake, over HTTPS on 127.0.0.1: what MSAL sends, the
fake answers as Entra ID does; our own sign-in posts the form MSAL posts.

azure-identity insists on an https authority, so the fake is served with a throwaway
trustme CA, trusted through ``connection_verify``; instance discovery is off, so nothing
leaves loopback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
)

# azure.core.pipeline.transport re-exports it lazily (untyped for mypy); its module is typed.
from pmcp_action.targets.azure_container_apps.credentials import sign_in
from tests.fakes.oidc_issuer import FakeOidcIssuer

from .helpers import (
    CLIENT,
    EXCHANGE,
    PEER_SECRET,
    TENANT,
    Peer,
    assertion_credential,
    resolved,
    secret_credential,
    tls_client,
)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _token_form(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


def test_client_secret_credential_gets_an_arm_token(peer: Peer) -> None:
    token = secret_credential(peer).get_token(peer.scope)
    assert peer.fake.entra.issued.get(token.token) == CLIENT
    assert token.expires_on > time.time() + 3000
    # MSAL reads the tenant's OpenID configuration, then posts the client-credentials form.
    discovery, post = peer.fake.requests
    assert (discovery.method, discovery.path) == (
        "GET",
        f"/{TENANT}/v2.0/.well-known/openid-configuration",
    )
    assert (post.method, post.path) == ("POST", f"/{TENANT}/oauth2/v2.0/token")
    form = {k: v[0] for k, v in parse_qs(post.body.decode()).items()}
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == peer.scope
    assert form["client_id"] == CLIENT and form["client_secret"] == PEER_SECRET


def test_a_wrong_secret_is_aadsts7000215_through_the_credential(peer: Peer) -> None:
    with pytest.raises(ClientAuthenticationError) as caught:
        secret_credential(peer, secret="not-the-secret").get_token(peer.scope)
    assert "AADSTS7000215" in str(caught.value)
    assert peer.fake.entra.issued == {}


def test_an_unknown_tenant_fails_at_discovery_before_any_secret_is_sent(peer: Peer) -> None:
    other = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientAuthenticationError) as caught:
        secret_credential(peer, tenant=other).get_token(peer.scope)
    assert other in str(caught.value)
    assert [(r.method, r.path) for r in peer.fake.requests] == [
        ("GET", f"/{other}/v2.0/.well-known/openid-configuration")
    ]


def test_client_assertion_credential_exchanges_the_ci_token(peer: Peer) -> None:
    token = assertion_credential(peer, peer.issuer).get_token(peer.scope)
    assert peer.fake.entra.issued.get(token.token) == CLIENT
    assert peer.issuer.audiences == [EXCHANGE]
    post = peer.sent("POST", "/oauth2/v2.0/token")[-1]
    form = {k: v[0] for k, v in parse_qs(post.body.decode()).items()}
    assert form["client_assertion_type"] == JWT_BEARER
    assert form["client_assertion"] == peer.issuer.issued[-1].token
    assert "client_secret" not in form


def test_an_unmatched_federated_credential_is_aadsts70021_through_the_credential(
    peer: Peer,
) -> None:
    feature = FakeOidcIssuer(ref="refs/heads/feature")  # the table trusts refs/heads/main
    with pytest.raises(ClientAuthenticationError) as caught:
        assertion_credential(peer, feature).get_token(peer.scope)
    text = str(caught.value)
    assert "AADSTS70021" in text
    assert "repo:octo-org/octo-repo:ref:refs/heads/feature" in text
    assert peer.fake.entra.issued == {}


def test_an_expired_ci_token_is_aadsts700024_through_the_credential(peer: Peer) -> None:
    stale = FakeOidcIssuer(clock=lambda: time.time() - 3600)
    with pytest.raises(ClientAuthenticationError) as caught:
        assertion_credential(peer, stale).get_token(peer.scope)
    assert "AADSTS700024" in str(caught.value)


@pytest.mark.parametrize("mode", ["oidc", "client-secret"])
def test_our_sign_in_posts_the_form_msal_posts(peer: Peer, tmp_path: Path, mode: str) -> None:
    secret = {"azure-client-secret": PEER_SECRET} if mode == "client-secret" else {}
    context, config, problems = resolved(
        tmp_path,
        secret,
        environ={"PMCP_AZURE_LOGIN_URL": peer.base, "PMCP_AZURE_ARM_URL": peer.base},
        id_token=peer.issuer.issue,
    )
    assert problems == []
    with tls_client(peer) as http:
        session = sign_in(context, config, http)
    assert session.mode == mode and session.access_token in peer.fake.entra.issued
    credential = (
        secret_credential(peer)
        if mode == "client-secret"
        else assertion_credential(peer, peer.issuer)
    )
    credential.get_token(config.scope)
    ours_post, msal_post = peer.sent("POST", "/oauth2/v2.0/token")
    assert ours_post.path == msal_post.path == f"/{TENANT}/oauth2/v2.0/token"
    for post in (ours_post, msal_post):
        assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    ours_form, msal_form = _token_form(ours_post), _token_form(msal_post)
    # The same fields; MSAL's secret flow adds client_info=1 (its account-info ask).
    assert set(msal_form) - {"client_info"} == set(ours_form)
    assertions = {"client_assertion"}  # a fresh CI token each time
    assert {k: v for k, v in ours_form.items() if k not in assertions} == {
        k: v for k, v in msal_form.items() if k not in assertions | {"client_info"}
    }
