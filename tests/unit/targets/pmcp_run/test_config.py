"""What pmcp.run would refuse, refused offline: credentials that are missing, mixed,
malformed or expired; names, architectures and Lambda limits it cannot take."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmcp_action.errors import ValidationError
from pmcp_action.targets.pmcp_run.credential_inputs import (
    MISSING_HINT,
    CredentialInputs,
    credential_problems,
)
from tests.fakes.pmcp_run import (
    DEFAULT_CLIENT_ID,
    FakePmcpRun,
)

from .helpers import make_harness, named_toml


def _problem_texts(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return "\n".join(p.render() for p in excinfo.value.problems)


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


def test_no_credentials_says_which_secrets_to_set_in_ci_and_which_login_at_a_terminal(
    tmp_path: Path,
) -> None:
    h = make_harness(tmp_path, credentials="none")  # a local console: a person's terminal

    (problem,) = h.target.validate()

    assert "none were given" in problem.what
    assert problem.fix == MISSING_HINT.terminal
    assert "cargo pmcp deploy login" in problem.fix and "--auth ambient" in problem.fix
    (in_ci,) = credential_problems(CredentialInputs(platform="github-actions"), now=0)
    assert in_ci.what == problem.what
    assert "pmcp-client-id and pmcp-client-secret" in in_ci.fix
    assert "client_credentials OAuth grant" in in_ci.fix


def test_client_id_without_secret_is_refused(tmp_path: Path) -> None:
    h = make_harness(tmp_path, credentials="raw", settings={"pmcp_client_id": DEFAULT_CLIENT_ID})

    (problem,) = h.target.validate()

    assert problem.what == "pmcp-client-id is set but pmcp-client-secret is not"


def test_oidc_is_refused_with_an_explanation(tmp_path: Path) -> None:
    h = make_harness(tmp_path, settings={"auth": "oidc"})

    (problem,) = h.target.validate()
    with pytest.raises(ValidationError) as caught:
        h.target.deploy()

    assert "no documented OIDC federation" in problem.what
    assert list(caught.value.problems) == [problem]
    assert h.fake.requests == []


def test_ambient_reads_the_persons_own_sign_in_and_deploys_with_it(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    home = tmp_path / "home"
    (home / ".pmcp").mkdir(parents=True)
    (home / ".pmcp" / "credentials.toml").write_text(fake.credentials_toml(expires_in=-120))
    tokens = (home / ".pmcp" / "credentials.toml").read_text()
    h = make_harness(
        tmp_path,
        fake,
        credentials="none",
        settings={"auth": "ambient"},
        environ={"HOME": str(home)},
    )

    assert h.target.validate() == ()
    result = h.target.deploy()

    assert result.url  # the expired access token was refreshed with the file's refresh token
    for line in tokens.splitlines():
        value = line.partition("=")[2].strip().strip('"')
        if value.startswith(("rt-", "ey")):
            assert value not in h.output + repr(result)


def test_ambient_without_a_sign_in_names_the_file_and_the_login(tmp_path: Path) -> None:
    h = make_harness(
        tmp_path, credentials="none", settings={"auth": "ambient"}, environ={"HOME": str(tmp_path)}
    )

    (problem,) = h.target.validate()

    assert problem.where == "input 'auth'"
    assert f"{tmp_path}/.pmcp/credentials.toml, which is not a readable file" in problem.what
    assert problem.fix == "sign in with cargo pmcp deploy login --target pmcp-run"
    assert h.fake.requests == []


def test_ambient_beside_a_machine_client_is_one_kind_too_many(tmp_path: Path) -> None:
    fake = FakePmcpRun()
    (tmp_path / ".pmcp").mkdir()
    (tmp_path / ".pmcp" / "credentials.toml").write_text(fake.credentials_toml())
    h = make_harness(tmp_path, fake, settings={"auth": "ambient"}, environ={"HOME": str(tmp_path)})

    (problem,) = h.target.validate()

    assert "2 kinds were given at once" in problem.what
    assert "credentials file from ~/.pmcp/credentials.toml (auth: ambient)" in problem.what


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"A": "1"}, "not a valid Lambda environment variable name"),
        ({"1ABC": "1"}, "not a valid Lambda environment variable name"),
        ({"AWS_REGION": "eu-west-1"}, "Lambda reserves AWS_REGION"),
        ({"BIG": "x" * 5000}, "Lambda allows 4096 in total"),
    ],
)
def test_invalid_environment_is_refused_offline(
    tmp_path: Path, environment: dict[str, str], expected: str
) -> None:
    h = make_harness(tmp_path, environment=environment)

    assert any(expected in p.what for p in h.target.validate())


def test_lambda_limits_are_refused_before_any_call(tmp_path: Path) -> None:
    toml = named_toml("weather").replace("[environment]", "memory_mb = 64\n[environment]")
    h = make_harness(tmp_path, deploy_toml=toml)

    (problem,) = h.target.validate()
    with pytest.raises(ValidationError):
        h.target.deploy()

    assert problem.what == "64 MB is outside Lambda's range"
    assert h.fake.requests == []


@pytest.mark.parametrize("name", ["a" * 64, "weather-", "weather_"])
def test_a_name_that_cannot_be_a_project_name_is_refused(tmp_path: Path, name: str) -> None:
    h = make_harness(tmp_path, deploy_toml=named_toml(name))

    (problem,) = h.target.validate()

    assert problem.where == "server name"
    assert problem.what.endswith("cannot be a pmcp.run projectName")


def test_upper_case_in_the_name_is_a_warning_not_a_problem(tmp_path: Path) -> None:
    h = make_harness(tmp_path, deploy_toml=named_toml("Weather_Api"))

    assert list(h.target.validate()) == []
    assert "warning: pmcp.run project name: The server name 'Weather_Api'" in h.output


def test_x86_64_is_refused_naming_the_input(tmp_path: Path) -> None:
    h = make_harness(tmp_path, settings={"architecture": "x86_64"})

    (problem,) = h.target.validate()

    assert problem.render().startswith(
        "input 'architecture': pmcp.run runs arm64 Lambdas only, not x86_64"
    )
