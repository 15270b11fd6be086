"""pmcp_action.oidc against a real-signing fake GitHub token endpoint on loopback."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator

import httpx
import id as id_lib
import jwt
import pytest

from pmcp_action.errors import InsecureEndpointError, OidcError, OidcPermissionError
from pmcp_action.oidc import decode_claims, describe_claims_for_error, fetch_id_token, render_claims
from tests.fakes.oidc_issuer import DEFAULT_REQUEST_TOKEN, GITLAB_ISSUER, FakeOidcIssuer
from tests.fakes.server import ServedUrl, serve

AUDIENCE = "sts.amazonaws.com"


@pytest.fixture
def issuer() -> FakeOidcIssuer:
    return FakeOidcIssuer(environment="production")


@pytest.fixture
def issuer_url(issuer: FakeOidcIssuer) -> Iterator[ServedUrl]:
    with serve(issuer) as url:
        yield url


@pytest.fixture
def github_env(monkeypatch: pytest.MonkeyPatch, issuer_url: ServedUrl) -> None:
    """What the runner injects into a job with ``id-token: write``."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{issuer_url}/token?api-version=2.0")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", DEFAULT_REQUEST_TOKEN)


class Calls:
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.sleeps: list[float] = []


@pytest.fixture
def calls() -> Calls:
    return Calls()


def fetch_github(calls: Calls, audience: str = AUDIENCE) -> str:
    return fetch_id_token(
        audience,
        environ=os.environ,
        platform_name="github-actions",
        on_token=calls.tokens.append,
        sleep=calls.sleeps.append,
    )


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- GitHub Actions ---------------------------------------------------------------


@pytest.mark.usefixtures("github_env")
def test_github_token_is_a_real_jwt_for_the_audience(
    issuer: FakeOidcIssuer, issuer_url: ServedUrl, calls: Calls
) -> None:
    token = fetch_github(calls)

    assert calls.tokens == [token]
    assert calls.sleeps == []
    # Verify as a cloud would: discovery document, then the JWKS it points at.
    config = httpx.get(f"{issuer_url}/.well-known/openid-configuration").json()
    assert config["jwks_uri"] == f"{issuer_url}/.well-known/jwks"
    jwks = jwt.PyJWKSet.from_dict(httpx.get(config["jwks_uri"]).json())
    signing_key = jwks[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(
        token, signing_key.key, algorithms=["RS256"], audience=AUDIENCE, issuer=config["issuer"]
    )
    assert claims["iss"] == "https://token.actions.githubusercontent.com"
    assert claims["sub"] == "repo:octo-org/octo-repo:environment:production"
    assert claims["exp"] - claims["iat"] == 300
    assert claims["iat"] - claims["nbf"] == 300
    # The request was the runner protocol: bearer request token, api-version kept, audience added.
    (request,) = issuer.requests_to("/token")
    assert request.headers["authorization"].lower() == f"bearer {DEFAULT_REQUEST_TOKEN}"
    assert request.params["api-version"] == "2.0"
    assert request.params["audience"] == AUDIENCE
    assert issuer.audiences == [AUDIENCE]
    with pytest.raises(jwt.InvalidAudienceError):
        issuer.verify(token, "api://AzureADTokenExchange")


@pytest.mark.usefixtures("github_env")
def test_github_fetches_a_fresh_token_per_call(issuer: FakeOidcIssuer, calls: Calls) -> None:
    first = fetch_github(calls, "sts.amazonaws.com")
    second = fetch_github(calls, "api://AzureADTokenExchange")

    assert first != second
    assert issuer.audiences == ["sts.amazonaws.com", "api://AzureADTokenExchange"]
    assert issuer.verify(second, "api://AzureADTokenExchange")["aud"] == (
        "api://AzureADTokenExchange"
    )
    assert calls.tokens == [first, second]


@pytest.mark.parametrize(
    "present",
    [(), ("ACTIONS_ID_TOKEN_REQUEST_URL",), ("ACTIONS_ID_TOKEN_REQUEST_TOKEN",)],
    ids=["both-missing", "token-missing", "url-missing"],
)
def test_github_without_id_token_permission(
    monkeypatch: pytest.MonkeyPatch, issuer: FakeOidcIssuer, calls: Calls, present: tuple[str, ...]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for name in present:
        monkeypatch.setenv(name, "http://127.0.0.1:9/token?api-version=2.0")

    with pytest.raises(OidcPermissionError) as info:
        fetch_github(calls)

    text = info.value.diagnostics()
    assert "permissions:\n  id-token: write" in text
    assert "fork" in text
    assert "Dependabot" in text
    for name in {"ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} - set(present):
        assert name in info.value.message
    assert calls.tokens == []


@pytest.mark.usefixtures("github_env")
def test_github_permission_error_from_id_is_mapped(
    monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    def refuse(audience: str) -> str:
        raise id_lib.GitHubOidcPermissionCredentialError("GitHub: missing permissions")

    monkeypatch.setattr(id_lib, "detect_credential", refuse)

    with pytest.raises(OidcPermissionError) as info:
        fetch_github(calls)

    assert "id-token: write" in info.value.diagnostics()
    assert isinstance(info.value.__cause__, id_lib.GitHubOidcPermissionCredentialError)
    assert calls.sleeps == []


@pytest.mark.usefixtures("github_env")
def test_github_wrong_request_token_is_not_retried(
    monkeypatch: pytest.MonkeyPatch, issuer: FakeOidcIssuer, calls: Calls
) -> None:
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "stale-request-token")

    with pytest.raises(OidcError) as info:
        fetch_github(calls)

    assert not isinstance(info.value, OidcPermissionError)
    assert "code=401" in info.value.message
    assert "refused the job's own request token" in info.value.remediation
    assert "id-token: write" in info.value.remediation
    assert calls.sleeps == []
    assert len(issuer.requests_to("/token")) == 1
    assert issuer.issued == []


@pytest.mark.usefixtures("github_env")
def test_github_error_text_never_echoes_the_request_token(
    issuer: FakeOidcIssuer, calls: Calls
) -> None:
    issuer.faults.status(400, body=f"bad request for {DEFAULT_REQUEST_TOKEN}")

    with pytest.raises(OidcError) as info:
        fetch_github(calls)

    assert "code=400" in info.value.message
    assert DEFAULT_REQUEST_TOKEN not in info.value.diagnostics()


@pytest.mark.usefixtures("github_env")
def test_github_503_twice_then_ok_is_retried(issuer: FakeOidcIssuer, calls: Calls) -> None:
    issuer.faults.status(503, times=2, path="/token")

    token = fetch_github(calls)

    assert [r.fault for r in issuer.requests_to("/token")] == ["status 503", "status 503", None]
    assert issuer.verify(token, AUDIENCE)["aud"] == AUDIENCE
    assert calls.tokens == [token]
    assert len(calls.sleeps) == 2
    assert 1.0 <= calls.sleeps[0] <= 1.5
    assert 2.0 <= calls.sleeps[1] <= 3.0


@pytest.mark.usefixtures("github_env")
def test_github_gives_up_after_three_attempts(issuer: FakeOidcIssuer, calls: Calls) -> None:
    issuer.faults.status(502, times=5)

    with pytest.raises(OidcError) as info:
        fetch_github(calls)

    assert "after 3 attempts" in info.value.message
    assert "code=502" in info.value.message
    assert len(issuer.requests_to("/token")) == 3
    assert len(calls.sleeps) == 2
    assert calls.tokens == []


@pytest.mark.usefixtures("github_env")
def test_github_dropped_connections_are_retried(issuer: FakeOidcIssuer, calls: Calls) -> None:
    # urllib3 (under `id`) retries a dropped connection 3 times by itself and then
    # reports it as "timed out"; 4 drops exhaust exactly one `id` call.
    issuer.faults.drop(times=4, path="/token")

    token = fetch_github(calls)

    assert issuer.faults.pending == 0
    assert len(calls.sleeps) == 1
    assert calls.tokens == [token]
    assert issuer.audiences == [AUDIENCE]


def test_github_unreachable_endpoint(monkeypatch: pytest.MonkeyPatch, calls: Calls) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    url = f"http://127.0.0.1:{unused_port()}/token?api-version=2.0"
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", DEFAULT_REQUEST_TOKEN)

    with pytest.raises(OidcError) as info:
        fetch_github(calls)

    assert "after 3 attempts" in info.value.message
    assert len(calls.sleeps) == 2


@pytest.mark.usefixtures("github_env")
@pytest.mark.parametrize("kind", ["json", "content-type", "truncated-json"])
def test_github_garbage_answer(issuer: FakeOidcIssuer, calls: Calls, kind: str) -> None:
    issuer.faults.garbage(kind)  # type: ignore[arg-type]

    with pytest.raises(OidcError) as info:
        fetch_github(calls)

    assert "malformed" in info.value.message
    assert calls.sleeps == []
    assert calls.tokens == []


def test_github_token_for_another_audience_is_refused(
    monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    issuer = FakeOidcIssuer(extra_claims={"aud": "someone-else"})
    with serve(issuer) as url:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{url}/token?api-version=2.0")
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", DEFAULT_REQUEST_TOKEN)

        with pytest.raises(OidcError) as info:
            fetch_github(calls)

    assert "audience" in info.value.message
    assert calls.tokens == []


def test_github_request_url_must_be_https_off_loopback(
    monkeypatch: pytest.MonkeyPatch, calls: Calls
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv(
        "ACTIONS_ID_TOKEN_REQUEST_URL", "http://pipelines.example.com/idtoken?api-version=2.0"
    )
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", DEFAULT_REQUEST_TOKEN)

    with pytest.raises(InsecureEndpointError) as info:
        fetch_github(calls)

    assert "ACTIONS_ID_TOKEN_REQUEST_URL" in info.value.message


@pytest.mark.usefixtures("github_env")
def test_github_refuses_an_environ_that_differs_from_the_process(
    issuer: FakeOidcIssuer, calls: Calls
) -> None:
    environ = dict(os.environ)
    environ["ACTIONS_ID_TOKEN_REQUEST_URL"] = "https://elsewhere.example.com/token?api-version=2.0"

    with pytest.raises(OidcError, match="ACTIONS_ID_TOKEN_REQUEST_URL differs"):
        fetch_id_token(
            AUDIENCE, environ=environ, platform_name="github-actions", on_token=calls.tokens.append
        )

    assert issuer.requests == []


@pytest.mark.usefixtures("github_env")
def test_github_token_never_reaches_the_logs(
    caplog: pytest.LogCaptureFixture, calls: Calls
) -> None:
    caplog.set_level(logging.DEBUG)

    token = fetch_github(calls)

    assert caplog.records  # `id` does log its steps at debug level
    signature = token.rsplit(".", 1)[1]
    assert all(signature not in record.getMessage() for record in caplog.records)


# --- GitLab CI ----------------------------------------------------------------------


def test_gitlab_token_from_the_variable(issuer: FakeOidcIssuer, calls: Calls) -> None:
    token = issuer.mint_gitlab_token("https://pmcp.run")

    got = fetch_id_token(
        "https://pmcp.run",
        environ={"PMCP_ID_TOKEN": token},
        platform_name="gitlab-ci",
        on_token=calls.tokens.append,
    )

    assert got == token
    assert calls.tokens == [token]
    claims = issuer.verify(got, "https://pmcp.run", issuer=GITLAB_ISSUER)
    assert claims["sub"] == "project_path:group/project:ref_type:branch:ref:main"
    assert claims["ref"] == "main"


def test_gitlab_custom_variable_and_audience_list(issuer: FakeOidcIssuer, calls: Calls) -> None:
    token = issuer.mint_gitlab_token(["https://pmcp.run", "sts.amazonaws.com"])

    got = fetch_id_token(
        "sts.amazonaws.com",
        environ={"AWS_ID_TOKEN": token, "PMCP_ID_TOKEN": "not-this-one"},
        platform_name="gitlab-ci",
        gitlab_variable="AWS_ID_TOKEN",
        on_token=calls.tokens.append,
    )

    assert got == token


@pytest.mark.parametrize(
    ("audience", "variable", "yaml"),
    [
        (
            "https://pmcp.run",
            "PMCP_ID_TOKEN",
            "id_tokens:\n  PMCP_ID_TOKEN:\n    aud: https://pmcp.run\n",
        ),
        (
            "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/g",
            "GCP_ID_TOKEN",
            'id_tokens:\n  GCP_ID_TOKEN:\n    aud: "//iam.googleapis.com/projects/1/locations/'
            'global/workloadIdentityPools/p/providers/g"\n',
        ),
    ],
)
def test_gitlab_missing_variable_shows_the_yaml(
    calls: Calls, audience: str, variable: str, yaml: str
) -> None:
    with pytest.raises(OidcError) as info:
        fetch_id_token(
            audience,
            environ={"GITLAB_CI": "true", variable: "  "},
            platform_name="gitlab-ci",
            gitlab_variable=variable,
            on_token=calls.tokens.append,
        )

    assert not isinstance(info.value, OidcPermissionError)
    assert variable in info.value.message
    assert yaml in info.value.remediation
    assert calls.tokens == []


def test_gitlab_token_for_another_audience(issuer: FakeOidcIssuer, calls: Calls) -> None:
    token = issuer.mint_gitlab_token("https://pmcp.run")

    with pytest.raises(OidcError) as info:
        fetch_id_token(
            "sts.amazonaws.com",
            environ={"PMCP_ID_TOKEN": token},
            platform_name="gitlab-ci",
            on_token=calls.tokens.append,
        )

    assert calls.tokens == [token]  # masked before anything else happened
    assert "'https://pmcp.run'" in info.value.message
    assert "aud: sts.amazonaws.com" in info.value.remediation
    # The component's way: its target input picks the audience, or its audience input.
    assert "`audience` input to sts.amazonaws.com." in info.value.remediation
    assert "project_path" in info.value.details
    assert token not in info.value.diagnostics()


def test_gitlab_variable_that_is_not_a_jwt(calls: Calls) -> None:
    with pytest.raises(OidcError, match="does not hold a JWT"):
        fetch_id_token(
            "https://pmcp.run",
            environ={"PMCP_ID_TOKEN": "glpat-not-a-jwt"},
            platform_name="gitlab-ci",
            on_token=calls.tokens.append,
        )

    assert calls.tokens == ["glpat-not-a-jwt"]


# --- anywhere else ----------------------------------------------------------------


@pytest.mark.parametrize("platform", ["local", "circleci"])
def test_oidc_elsewhere_is_an_error(calls: Calls, platform: str) -> None:
    with pytest.raises(OidcError) as info:
        fetch_id_token(
            AUDIENCE,
            environ={"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x.example/token"},
            platform_name=platform,
            on_token=calls.tokens.append,
        )

    assert "GitHub Actions or GitLab CI" in info.value.message
    assert "secrets" in info.value.remediation
    assert calls.tokens == []


# --- claims ---------------------------------------------------------------------------


def test_render_claims_github(issuer: FakeOidcIssuer) -> None:
    token = issuer.issue(AUDIENCE)

    text = render_claims(token)

    assert "sub" in text and "repo:octo-org/octo-repo:environment:production" in text
    assert f"aud               {AUDIENCE}" in text
    assert "repository        octo-org/octo-repo" in text
    assert "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main" in text
    assert "https://token.actions.githubusercontent.com" in text
    header, payload, signature = token.split(".")
    assert token not in text
    assert signature not in text
    assert payload not in text


def test_render_claims_gitlab(issuer: FakeOidcIssuer) -> None:
    token = issuer.mint_gitlab_token(
        ["https://pmcp.run", "sts.amazonaws.com"], environment="production"
    )

    text = render_claims(token)

    for expected in (
        "project_path:group/project:ref_type:branch:ref:main",
        "https://pmcp.run, sts.amazonaws.com",
        "project_path     group/project",
        "ref_type         branch",
        "pipeline_source  push",
        "environment      production",
        "https://gitlab.example.com",
    ):
        assert expected in text
    assert "repository" not in text
    assert token.split(".")[2] not in text


def test_render_claims_flattens_hostile_values(issuer: FakeOidcIssuer) -> None:
    token = issuer.mint(
        {"sub": "repo:a/b\n::error::injected", "aud": "x" * 500, "iss": "https://i"}
    )

    text = render_claims(token)

    assert "\n::error::" not in text
    assert "repo:a/b ::error::injected" in text
    assert max(len(line) for line in text.splitlines()) < 250


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.W10.", "...."])
def test_claims_of_garbage(garbage: str) -> None:
    assert decode_claims(garbage) == {}
    assert "could not be decoded" in render_claims(garbage)


def test_describe_claims_for_error(issuer: FakeOidcIssuer) -> None:
    token = issuer.issue("api://AzureADTokenExchange")

    text = describe_claims_for_error(token)

    assert text.startswith(render_claims(token))
    assert "case-sensitive" in text
    assert token.split(".")[2] not in text
