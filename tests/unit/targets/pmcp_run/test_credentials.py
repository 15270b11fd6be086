"""Sign-in: each credential kind against the token endpoint, refresh, renewal mid-run, and
secrets kept out of logs and results."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from pmcp_action.errors import CredentialExchangeError
from pmcp_action.targets.pmcp_run.credential_inputs import parse_credentials_file
from tests.fakes.pmcp_run import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
    FakePmcpRun,
)

from .helpers import FakeClock, graphql_tokens, make_harness, secret_values


def test_client_credentials_use_basic_auth_and_no_scope(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    result = h.target.deploy()

    (token_request,) = h.fake.requests_to("/oauth2/token")
    expected = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert h.fake.token_requests == [{"grant_type": "client_credentials"}]  # no scope
    assert result.identity == f"client {DEFAULT_CLIENT_ID}"


def test_access_token_is_used_as_is(tmp_path: Path) -> None:
    h = make_harness(tmp_path, credentials="token")

    result = h.target.deploy()

    assert h.fake.requests_to("/oauth2/token") == []
    assert set(graphql_tokens(h.fake)) == {h.context.settings.inputs.text("pmcp-access-token")}
    assert result.identity == "access token"


def test_opaque_access_token_is_not_judged(tmp_path: Path) -> None:
    h = make_harness(tmp_path, credentials="raw", settings={"pmcp_access_token": "opaque-token"})

    assert list(h.target.validate()) == []
    with pytest.raises(CredentialExchangeError, match="refused the credentials"):
        h.target.deploy()  # the fake (like AppSync) rejects it, with a clear message


def test_credentials_file_with_a_fresh_token_needs_no_token_call(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    content = fake.credentials_toml()
    h = make_harness(tmp_path, fake, credentials="raw", settings={"pmcp_credentials": content})

    result = h.target.deploy()

    stored = parse_credentials_file(content)
    assert fake.requests_to("/oauth2/token") == []
    assert set(graphql_tokens(fake)) == {stored.access_token}
    assert result.identity == "credentials file"


def test_expired_credentials_file_is_refreshed_with_the_public_client(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    content = fake.credentials_toml(expires_in=-120)
    stored = parse_credentials_file(content)
    h = make_harness(tmp_path, fake, credentials="raw", settings={"pmcp_credentials": content})

    h.target.deploy()

    (token_request,) = fake.requests_to("/oauth2/token")
    form = dict(part.split("=", 1) for part in token_request.body.decode().split("&"))
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": stored.refresh_token,
        "client_id": PUBLIC_CLIENT_ID,
    }
    assert "Authorization" not in token_request.headers
    tokens = set(graphql_tokens(fake))
    assert len(tokens) == 1 and stored.access_token not in tokens
    assert "refreshed the stored token" in h.output


def test_revoked_refresh_token_is_a_clear_error(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    content = fake.credentials_toml(expires_in=-120)
    fake.refresh_tokens.clear()
    h = make_harness(tmp_path, fake, credentials="raw", settings={"pmcp_credentials": content})

    with pytest.raises(CredentialExchangeError) as caught:
        h.target.deploy()

    assert "Failed to refresh token: HTTP 400 (invalid_grant)" in caught.value.message
    assert "cargo pmcp deploy login" in caught.value.remediation
    assert fake.requests_to("/graphql") == []


def test_wrong_client_secret_explains_the_checklist(tmp_path: Path) -> None:
    h = make_harness(
        tmp_path,
        credentials="raw",
        settings={"pmcp_client_id": DEFAULT_CLIENT_ID, "pmcp_client_secret": "wrong-secret-value"},
    )

    with pytest.raises(CredentialExchangeError) as caught:
        h.target.deploy()

    assert "HTTP 400 (invalid_client)" in caught.value.message
    assert "client_credentials grant" in caught.value.remediation
    assert "wrong-secret-value" not in caught.value.diagnostics()
    assert "wrong-secret-value" not in h.output


def test_expired_token_mid_run_is_renewed_once(tmp_path: Path) -> None:
    clock = FakeClock()
    fake = FakePmcpRun(clock=clock, token_ttl=2)
    h = make_harness(tmp_path, fake, clock=clock)

    h.target.deploy()

    assert len(fake.requests_to("/oauth2/token")) >= 2
    assert "refused the access token" in h.output
    assert fake.live_deployment("weather") is not None


def test_no_secret_reaches_the_log_or_the_result(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    h = make_harness(tmp_path, fake, settings={"debug": True})
    h.target.deploy()
    h.target.outputs()
    h.target.destroy()
    refresh = make_harness(
        tmp_path / "refresh",
        fake,
        credentials="raw",
        settings={"pmcp_credentials": fake.credentials_toml(expires_in=-5)},
    )
    result = refresh.target.deploy()

    secrets = secret_values(h) + secret_values(refresh)
    secrets += [refresh.context.settings.inputs.text("pmcp-credentials")]
    stored = parse_credentials_file(refresh.context.settings.inputs.text("pmcp-credentials"))
    secrets += [stored.access_token, stored.refresh_token, stored.id_token]
    signatures = [
        r.params["X-Amz-Signature"]
        for r in fake.requests_to("/uploads/")
        if "X-Amz-Signature" in r.params
    ]
    assert len(secrets) >= 8 and signatures
    everything = h.output + refresh.output + repr(result)
    for secret in secrets + signatures:
        assert secret not in everything
