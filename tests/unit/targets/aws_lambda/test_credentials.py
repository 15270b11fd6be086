"""Signing in: OIDC web identity, access keys, the runner's own credentials, the caller
identity and allowed-account-ids; secrets never shown."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import jwt
import pytest

from pmcp_action.errors import CredentialExchangeError
from pmcp_action.targets.aws_lambda.config import (
    resolve,
)
from pmcp_action.targets.aws_lambda.credentials import choose_auth, trust_policy_hint
from tests.fakes.aws_lambda import sts_error
from tests.support.aws import ACCOUNT, DEPLOYER_ROLE

from .helpers import Harness, offline_context


@pytest.mark.parametrize(
    ("auth", "role", "keys", "environ", "expected"),
    [
        ("auto", "r", False, {"ACTIONS_ID_TOKEN_REQUEST_URL": "u"}, "oidc"),
        ("auto", "r", True, {"ACTIONS_ID_TOKEN_REQUEST_URL": "u"}, "oidc"),
        ("auto", "r", True, {}, "keys"),
        ("auto", "r", False, {}, "oidc"),  # the only way; its error explains id-token
        ("auto", "r", True, {"PMCP_ID_TOKEN": "jwt"}, "oidc"),
        ("auto", "", True, {"ACTIONS_ID_TOKEN_REQUEST_URL": "u"}, "keys"),
        ("secrets", "r", True, {"ACTIONS_ID_TOKEN_REQUEST_URL": "u"}, "keys"),
        ("oidc", "r", True, {}, "oidc"),
    ],
)
def test_auth_choice(
    tmp_path: Path, auth: str, role: str, keys: bool, environ: dict[str, str], expected: str
) -> None:
    config, _ = resolve(
        offline_context(
            tmp_path,
            auth=auth,
            role_to_assume=role,
            aws_access_key_id="AKIA" if keys else "",
            aws_secret_access_key="secret" if keys else "",
        )
    )
    assert choose_auth(config, environ) == expected


def test_trust_policy_hint_for_a_github_environment_token() -> None:
    token = jwt.encode(
        {
            "iss": "https://token.actions.githubusercontent.com",
            "aud": "sts.amazonaws.com",
            "sub": "repo:org/repo:environment:prod",
        },
        "k" * 32,
        algorithm="HS256",
    )
    hint = trust_policy_hint(token, "arn:aws-cn:iam::123456789012:role/deploy", "sts.amazonaws.com")
    statement = json.loads(hint[hint.index("{") : hint.index("\n\nTo trust")])
    assert statement["Principal"]["Federated"] == (
        "arn:aws-cn:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    )
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert token not in hint
    assert '"repo:org/repo:*"' in hint


ACCESS_KEY = "ASIAFAKESESSIONKEY01"


SECRET_KEY = "fakeSessionSecret/Key+0123456789abcdefABCDEF"


SESSION_TOKEN = "FwoGZXIvYXdzEFAKESESSIONTOKEN//0123456789abcdefghijklmnopqrstuvwxyz=="


STATIC_KEY_ID = "AKIAFAKESTATICKEY001"


STATIC_SECRET = "fakeStaticSecret/Key+abcdefghijklmnopqrstuvwx"


STATIC_TOKEN = "IQoJb3JpZ2luX2VjEFAKESTATICSESSIONTOKEN=="


def _sts_credentials_response() -> httpx.Response:
    body = f"""<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>{ACCESS_KEY}</AccessKeyId>
      <SecretAccessKey>{SECRET_KEY}</SecretAccessKey>
      <SessionToken>{SESSION_TOKEN}</SessionToken>
      <Expiration>2030-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::{ACCOUNT}:assumed-role/gh-deployer/pmcp</Arn>
      <AssumedRoleId>AROAFAKEROLEID:pmcp</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>11111111-2222-3333-4444-555555555555</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"""
    return httpx.Response(200, headers={"Content-Type": "text/xml"}, content=body.encode())


def _form(request_body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request_body.decode()).items()}


AMBIENT_KEY_ID = "AKIAFAKEPROFILEKEY01"


AMBIENT_SECRET = "fakeProfileSecret/Key+abcdefghijklmnopqrstu"


def _ambient_environ(harness: Harness, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A profile in a shared credentials file, as a runner with AWS_PROFILE has it."""
    home = tmp_path_factory.mktemp("aws-home")
    credentials = home / "credentials"
    credentials.write_text(
        f"[ci]\naws_access_key_id = {AMBIENT_KEY_ID}\naws_secret_access_key = {AMBIENT_SECRET}\n"
    )
    harness.environ.update(
        {
            "AWS_PROFILE": "ci",
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )


def test_oidc_exchange_sends_the_issuers_token_for_the_sts_audience(harness: Harness) -> None:
    harness.target().deploy()

    [request] = harness.proxy.requests_for("AssumeRoleWithWebIdentity")
    form = _form(request.body)
    [issued] = harness.issuer.issued
    assert form["WebIdentityToken"] == issued.token
    claims = harness.issuer.verify(form["WebIdentityToken"], "sts.amazonaws.com")
    assert claims["sub"] == "repo:octo-org/octo-repo:ref:refs/heads/main"
    assert harness.issuer.audiences == ["sts.amazonaws.com"]
    assert form["RoleArn"] == DEPLOYER_ROLE
    assert form["RoleSessionName"] == "pmcp-octo-org-octo-repo-9876543210"
    assert form["DurationSeconds"] == "3600"
    assert "authorization" not in request.headers  # unsigned, as STS expects
    assert "pmcp-deploy-action/" in request.headers["user-agent"]
    # Every later call is signed with the session, not with anything ambient.
    for later in harness.proxy.requests_for("CreateFunction"):
        assert "Credential=ASIA" in later.headers["authorization"]


def test_audience_and_session_inputs_are_used(harness: Harness) -> None:
    harness.target(
        audience="custom-audience", role_session_name="my-session", role_duration_seconds=900
    ).deploy()

    form = _form(harness.proxy.requests_for("AssumeRoleWithWebIdentity")[0].body)
    assert harness.issuer.audiences == ["custom-audience"]
    assert (form["RoleSessionName"], form["DurationSeconds"]) == ("my-session", "900")


def test_access_denied_shows_claims_and_the_matching_trust_policy(harness: Harness) -> None:
    harness.proxy.inject(
        "AssumeRoleWithWebIdentity",
        lambda: sts_error(
            403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"
        ),
    )

    with pytest.raises(CredentialExchangeError) as caught:
        harness.target().deploy()

    error = caught.value
    text = error.diagnostics()
    token = harness.issuer.issued[-1].token
    assert token not in text
    assert "Not authorized to perform sts:AssumeRoleWithWebIdentity" in error.message
    assert "repo:octo-org/octo-repo:ref:refs/heads/main" in error.details  # the claims
    assert "https://token.actions.githubusercontent.com" in error.details
    statement_json = error.details[error.details.index("{") : error.details.rindex("}") + 1]
    statement = json.loads(statement_json.split("\n\nTo trust")[0])
    assert statement["Principal"]["Federated"] == (
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    )
    assert statement["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main",
    }
    assert '"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"' in error.details
    assert "AWS request id: 4f3c2b1a-0000-4000-8000-fake00000001" in error.details
    # Refused once, not retried, and nothing else was attempted.
    assert harness.proxy.operations() == ["AssumeRoleWithWebIdentity"]


def test_gitlab_token_refusal_names_the_gitlab_issuer(harness: Harness) -> None:
    harness.environ.pop("ACTIONS_ID_TOKEN_REQUEST_URL")
    harness.environ["PMCP_ID_TOKEN"] = "set by id_tokens:"
    harness.id_token = lambda aud: harness.issuer.mint_gitlab_token(aud)
    harness.proxy.inject(
        "AssumeRoleWithWebIdentity",
        lambda: sts_error(
            403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"
        ),
    )

    with pytest.raises(CredentialExchangeError) as caught:
        harness.target().deploy()

    details = caught.value.details
    assert "oidc-provider/gitlab.example.com" in details
    assert (
        '"gitlab.example.com:sub": "project_path:group/project:ref_type:branch:ref:main"' in details
    )
    assert '"gitlab.example.com:sub": "project_path:group/project:*"' in details


def test_invalid_identity_token_explains_the_identity_provider(harness: Harness) -> None:
    harness.proxy.inject(
        "AssumeRoleWithWebIdentity",
        lambda: sts_error(400, "InvalidIdentityToken", "No OpenIDConnect provider found"),
    )

    with pytest.raises(CredentialExchangeError) as caught:
        harness.target().deploy()

    assert "OpenID Connect identity provider" in caught.value.remediation
    assert "https://token.actions.githubusercontent.com" in caught.value.remediation


def test_idp_communication_error_is_retried(harness: Harness) -> None:
    harness.proxy.inject(
        "AssumeRoleWithWebIdentity",
        lambda: sts_error(400, "IDPCommunicationError", "could not reach the issuer"),
    )

    harness.target().deploy()

    requests = harness.proxy.requests_for("AssumeRoleWithWebIdentity")
    assert len(requests) == 2
    assert harness.proxy.pending_injections == 0


def test_secrets_never_reach_the_output_or_the_result(harness: Harness) -> None:
    harness.proxy.inject("AssumeRoleWithWebIdentity", _sts_credentials_response)

    result = harness.target().deploy()
    # A failing call too: its error text is what a user would see.
    harness.proxy.inject("GetFunction", lambda: sts_error(403, "AccessDeniedException", "denied"))
    with pytest.raises(Exception) as caught:
        harness.target().outputs()

    token = harness.issuer.issued[0].token
    console = harness.consoles[0]
    # The target masked every secret it handled (so the CI hides them too) ...
    assert {ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, token} <= console.redactor.values
    # ... and none of them appears anywhere.
    texts = [
        harness.output,
        repr(result),
        json.dumps(
            {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}, default=str
        ),
        str(caught.value),
        getattr(caught.value, "diagnostics", lambda: "")(),
    ]
    for secret in (SECRET_KEY, SESSION_TOKEN, token, ACCESS_KEY):
        for text in texts:
            assert secret not in text
    # The session really was used (so the check above is about real values).
    assert (
        f"Credential={ACCESS_KEY}/"
        in harness.proxy.requests_for("CreateFunction")[0].headers["authorization"]
    )


def test_keys_mode_warns_and_signs_with_the_keys(harness: Harness) -> None:
    result = harness.target(
        auth="secrets",
        role_to_assume="",
        aws_access_key_id=STATIC_KEY_ID,
        aws_secret_access_key=STATIC_SECRET,
        aws_session_token=STATIC_TOKEN,
    ).deploy()

    operations = harness.proxy.operations()
    assert "AssumeRoleWithWebIdentity" not in operations and "AssumeRole" not in operations
    assert harness.issuer.issued == []
    create = harness.proxy.requests_for("CreateFunction")[0]
    assert f"Credential={STATIC_KEY_ID}/" in create.headers["authorization"]
    assert create.headers["x-amz-security-token"] == STATIC_TOKEN
    assert "warning: AWS access keys in use" in harness.output
    assert "OIDC" in harness.output
    for secret in (STATIC_SECRET, STATIC_TOKEN):
        assert secret not in harness.output and secret not in repr(result)
    assert result.identity  # the caller ARN, not a key


def test_temporary_keys_deploy_without_the_long_lived_keys_warning(harness: Harness) -> None:
    """configure-aws-credentials exports an STS session's keys (ASIA…, with a session token):
    nothing long-lived to warn about."""
    result = harness.target(
        auth="secrets",
        role_to_assume="",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=SESSION_TOKEN,
    ).deploy()

    create = harness.proxy.requests_for("CreateFunction")[0]
    assert f"Credential={ACCESS_KEY}/" in create.headers["authorization"]
    assert create.headers["x-amz-security-token"] == SESSION_TOKEN
    assert "AWS access keys in use" not in harness.output
    assert "long-lived" not in harness.output
    assert "Deploying with temporary AWS access keys (an STS session's)." in harness.output
    for secret in (SECRET_KEY, SESSION_TOKEN):
        assert secret not in harness.output and secret not in repr(result)


def test_keys_can_assume_a_role_first(harness: Harness) -> None:
    harness.environ.pop("ACTIONS_ID_TOKEN_REQUEST_URL")  # auto: no ID token, keys given

    harness.target(aws_access_key_id=STATIC_KEY_ID, aws_secret_access_key=STATIC_SECRET).deploy()

    [assume] = harness.proxy.requests_for("AssumeRole")
    assert f"Credential={STATIC_KEY_ID}/" in assume.headers["authorization"]
    assert _form(assume.body)["RoleArn"] == DEPLOYER_ROLE
    create = harness.proxy.requests_for("CreateFunction")[0]
    assert "Credential=ASIA" in create.headers["authorization"]
    assert STATIC_KEY_ID not in create.headers["authorization"]


def test_allowed_account_ids_stop_a_deploy_to_another_account(harness: Harness) -> None:
    with pytest.raises(CredentialExchangeError, match="not in allowed-account-ids"):
        harness.target(
            auth="secrets",
            role_to_assume="",
            aws_access_key_id=STATIC_KEY_ID,
            aws_secret_access_key=STATIC_SECRET,
            allowed_account_ids=("111111111111",),
        ).deploy()

    assert harness.proxy.operations() == ["GetCallerIdentity"]


def test_allowed_account_ids_accept_the_right_account(harness: Harness) -> None:
    result = harness.target(allowed_account_ids=(ACCOUNT,)).deploy()
    assert result.version == "1"


def test_ambient_uses_the_runners_profile_and_says_which_identity(
    harness: Harness, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _ambient_environ(harness, tmp_path_factory)

    result = harness.target(auth="ambient", role_to_assume="").deploy()

    operations = harness.proxy.operations()
    assert "AssumeRoleWithWebIdentity" not in operations and "AssumeRole" not in operations
    assert harness.issuer.issued == []
    create = harness.proxy.requests_for("CreateFunction")[0]
    assert f"Credential={AMBIENT_KEY_ID}/" in create.headers["authorization"]
    assert (
        f"AWS identity: {result.identity} (account {ACCOUNT}; the runner's own credentials "
        "(shared-credentials-file))." in harness.output
    )
    assert AMBIENT_SECRET in harness.consoles[-1].redactor.values
    assert AMBIENT_SECRET not in harness.output and "AWS access keys in use" not in harness.output


def test_ambient_credentials_can_assume_a_role_and_obey_allowed_accounts(
    harness: Harness, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _ambient_environ(harness, tmp_path_factory)

    harness.target(auth="ambient").deploy()
    [assume] = harness.proxy.requests_for("AssumeRole")
    assert f"Credential={AMBIENT_KEY_ID}/" in assume.headers["authorization"]
    assert _form(assume.body)["RoleArn"] == DEPLOYER_ROLE

    harness.proxy.reset()
    with pytest.raises(CredentialExchangeError, match="not in allowed-account-ids"):
        harness.target(
            auth="ambient", role_to_assume="", allowed_account_ids=("111111111111",)
        ).deploy()
    assert harness.proxy.operations() == ["GetCallerIdentity"]


def test_ambient_without_credentials_says_what_it_looked_for(
    harness: Harness, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("empty-aws-home")
    harness.environ.update(
        {
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    with pytest.raises(CredentialExchangeError) as caught:
        harness.target(auth="ambient", role_to_assume="").deploy()
    assert caught.value.message.startswith(
        "auth is ambient, but this runner has no AWS credentials of its own"
    )
    assert harness.proxy.operations() == []


def test_ambient_with_keys_as_well_is_refused_offline(harness: Harness) -> None:
    problems = harness.target(
        auth="ambient", aws_access_key_id=STATIC_KEY_ID, aws_secret_access_key=STATIC_SECRET
    ).validate()
    assert [p.render() for p in problems] == [
        "input 'aws-access-key-id': auth is ambient (the runner's own AWS credentials), but "
        "access keys are given as well — remove the key inputs, or set auth: secrets to deploy "
        "with the keys"
    ]
