"""pmcp-run credentials: each kind, expiry, refresh, conflicts, and secrets kept out of logs."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest

from pmcp_action.errors import CredentialExchangeError, NotSupportedError, ValidationError
from pmcp_action.targets.pmcp_run.credentials import jwt_expiry, parse_credentials_file
from tests.fakes.pmcp_run import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
    FakePmcpRun,
)
from tests.unit.pmcp_run_helpers import FakeClock, make_harness, secret_values


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.c2ln"


def _graphql_tokens(fake: FakePmcpRun) -> list[str]:
    return [r.headers.get("Authorization", "") for r in fake.requests_to("/graphql")]


def _problem_texts(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return "\n".join(p.render() for p in excinfo.value.problems)


def test_client_credentials_use_basic_auth_and_no_scope(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    result = h.target.deploy()

    (token_request,) = h.fake.requests_to("/oauth2/token")
    expected = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert h.fake.token_requests == [{"grant_type": "client_credentials"}]  # no scope
    assert result.identity == f"client {DEFAULT_CLIENT_ID}"


def test_graphql_gets_the_raw_token_never_bearer(tmp_path: Path) -> None:
    h = make_harness(tmp_path)

    h.target.deploy()

    tokens = _graphql_tokens(h.fake)
    assert len(tokens) >= 5
    for token in tokens:
        assert not token.lower().startswith("bearer")
        assert token.count(".") == 2  # the JWT itself
    assert len(set(tokens)) == 1  # minted once per run


def test_access_token_is_used_as_is(tmp_path: Path) -> None:
    h = make_harness(tmp_path, credentials="token")

    result = h.target.deploy()

    assert h.fake.requests_to("/oauth2/token") == []
    assert set(_graphql_tokens(h.fake)) == {h.context.settings.inputs.text("pmcp-access-token")}
    assert result.identity == "access token"


def test_expired_access_token_fails_before_any_request(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    expired = fake.mint_access_token(ttl=-60)
    h = make_harness(tmp_path, fake, credentials="raw", settings={"pmcp_access_token": expired})

    assert "expired" in h.target.validate()[0].what
    with pytest.raises(ValidationError) as caught:
        h.target.deploy()

    assert "the pmcp.run access token expired at" in _problem_texts(caught)
    assert "client credentials" in _problem_texts(caught)
    assert fake.requests == []


def test_opaque_access_token_is_not_judged(tmp_path: Path) -> None:
    h = make_harness(tmp_path, credentials="raw", settings={"pmcp_access_token": "opaque-token"})

    assert h.target.validate() == []
    with pytest.raises(CredentialExchangeError, match="refused the credentials"):
        h.target.deploy()  # the fake (like AppSync) rejects it, with a clear message


def test_credentials_file_with_a_fresh_token_needs_no_token_call(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    content = fake.credentials_toml()
    h = make_harness(tmp_path, fake, credentials="raw", settings={"pmcp_credentials": content})

    result = h.target.deploy()

    stored = parse_credentials_file(content)
    assert fake.requests_to("/oauth2/token") == []
    assert set(_graphql_tokens(fake)) == {stored.access_token}
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
    tokens = set(_graphql_tokens(fake))
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


def test_expired_credentials_file_without_refresh_token_is_refused_offline(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    tokens = fake.issue_user_tokens(expires_in=-120)
    content = f'[pmcp-run]\naccess_token = "{tokens["access_token"]}"\n'
    content += f'expires_at = "{tokens["expires_at"]}"\n'
    h = make_harness(tmp_path, fake, credentials="raw", settings={"pmcp_credentials": content})

    with pytest.raises(ValidationError) as caught:
        h.target.deploy()

    assert "no refresh_token" in _problem_texts(caught)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[pmcp-run\naccess_token = 'x'", "not valid TOML"),
        ('[other]\naccess_token = "abc"\n', "no [pmcp-run] table"),
        ('[pmcp-run]\nrefresh_token = "abc"\n', "access_token is missing"),
        ('[pmcp-run]\naccess_token = "abc"\nexpires_at = "yesterday"\n', "not an RFC 3339 time"),
    ],
)
def test_malformed_credentials_file_is_refused_offline(
    tmp_path: Path, content: str, expected: str
) -> None:
    h = make_harness(tmp_path, credentials="raw", settings={"pmcp_credentials": content})

    (problem,) = h.target.validate()
    with pytest.raises(ValidationError) as caught:
        h.target.deploy()

    assert "malformed" in problem.what and expected in problem.what
    assert expected in _problem_texts(caught)
    assert h.fake.requests == []


@pytest.mark.parametrize(
    "settings",
    [
        {"pmcp_access_token": "tok-123456"},
        {"pmcp_credentials": "[pmcp-run]\naccess_token = 'abc'\n"},
    ],
)
def test_two_credential_kinds_at_once_are_refused(tmp_path: Path, settings: dict[str, str]) -> None:
    # The client id comes from the environment, the secret from an input: both are named.
    h = make_harness(
        tmp_path,
        settings={**settings, "pmcp_client_id": ""},
        environ={"PMCP_CLIENT_ID": DEFAULT_CLIENT_ID},
    )

    with pytest.raises(ValidationError) as caught:
        h.target.deploy()

    text = _problem_texts(caught)
    assert "2 kinds were given at once" in text
    assert "client credentials from environment variable PMCP_CLIENT_ID" in text
    assert "keep exactly one" in text
    assert "client_credentials OAuth grant" in text  # how to create the app client
    assert h.fake.requests == []


def test_no_credentials_says_which_secrets_to_set(tmp_path: Path) -> None:
    h = make_harness(tmp_path, credentials="none")

    (problem,) = h.target.validate()

    assert "none were given" in problem.what
    assert "pmcp-client-id and pmcp-client-secret" in problem.fix
    assert "client_credentials OAuth grant" in problem.fix


def test_client_id_without_secret_is_refused(tmp_path: Path) -> None:
    h = make_harness(tmp_path, credentials="raw", settings={"pmcp_client_id": DEFAULT_CLIENT_ID})

    (problem,) = h.target.validate()

    assert problem.what == "pmcp-client-id is set but pmcp-client-secret is not"


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


def test_oidc_is_refused_with_an_explanation(tmp_path: Path) -> None:
    h = make_harness(tmp_path, settings={"auth": "oidc"})

    (problem,) = h.target.validate()
    with pytest.raises(NotSupportedError) as caught:
        h.target.deploy()

    assert "no documented OIDC federation" in problem.what
    assert "no documented OIDC federation" in caught.value.message
    assert h.fake.requests == []


def test_ambient_credentials_are_refused_with_an_explanation(tmp_path: Path) -> None:
    h = make_harness(tmp_path, settings={"auth": "ambient"})

    (problem,) = h.target.validate()
    with pytest.raises(NotSupportedError) as caught:
        h.target.deploy()

    assert problem.render() == (
        "input 'auth': pmcp.run has no ambient credentials a runner could have, so auth: "
        "ambient cannot be used with the pmcp-run target — set auth to auto or secrets and "
        "give pmcp.run credentials. " + problem.fix.split(". ", 1)[1]
    )
    assert caught.value.message == (
        "pmcp.run has no ambient credentials a runner could have; auth: ambient cannot be used "
        "with the pmcp-run target."
    )
    assert h.fake.requests == []


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


def test_jwt_expiry_reads_exp_and_ignores_opaque_tokens() -> None:
    assert jwt_expiry(_jwt({"exp": 2_000_000_000})).timestamp() == 2_000_000_000  # type: ignore[union-attr]
    assert jwt_expiry("opaque") is None
    assert jwt_expiry(_jwt({"sub": "no-exp"})) is None
    assert jwt_expiry("a.%%%.c") is None
    assert jwt_expiry(_jwt({"exp": time.time() - 1})).timestamp() < time.time()  # type: ignore[union-attr]
